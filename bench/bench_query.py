"""Query latency and memory at 1k, 10k and 100k chunks (offline answerer, hybrid retrieval).

    uv run --group dev python bench/bench_query.py [--sizes 1000,10000,100000] [--base-index index]

The corpus has ~550 chunks; larger indexes are made synthetically: every real chunk is copied
under new document ids with a few words changed and its real e5 vector slightly perturbed
(re-embedding 100k chunks would take hours on 2 cores; the query side is the real e5 model).
For each size: the golden-set questions are asked once to warm up, then timed; reported are
p50/p95 of retrieval and total time and the process memory (RSS) before and after loading.
Writes the section "Query latency at scale" of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.evaluate import load_golden  # noqa: E402
from assistant.index import IndexPaths, open_collection  # noqa: E402
from assistant.lexical import LexicalIndex  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from bench.common import machine, percentile, rss_mb, update_results  # noqa: E402
from ingest.pipeline import CHROMA_MAX_BATCH, Ingestor  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FILLER = ["schoolteam", "leerjaar", "lesopzet", "werkvorm", "evaluatie", "praktijk", "regio"]


def base_index(path: Path) -> Settings:
    settings = Settings(_env_file=None, index_dir=path)  # type: ignore[call-arg]
    if not (path / "lexical" / "chunks.json").exists():
        Ingestor(settings).run([ROOT / "corpus"], progress=True)
    return settings


def synthesize(base: Settings, size: int, out: Path) -> Settings:
    target = Settings(_env_file=None, index_dir=out, gaps_log=out / "gaps.jsonl")  # type: ignore[call-arg]
    if (out / "lexical" / "chunks.json").exists():
        return target
    got = open_collection(base, "e5").get(include=["documents", "metadatas", "embeddings"])
    ids, texts, metas = [], [], []
    vectors = []
    rng = np.random.default_rng(size)
    copies = -(-size // len(got["ids"]))
    for c in range(copies):
        for cid, text, meta, vec in zip(got["ids"], got["documents"], got["metadatas"],
                                        got["embeddings"]):
            if len(ids) >= size:
                break
            if c == 0:
                ids.append(cid), texts.append(text), metas.append(meta), vectors.append(vec)
                continue
            word = FILLER[(c + len(ids)) % len(FILLER)]
            m = dict(meta, doc_id=f"{meta['doc_id']}~{c}", source=f"synth/{c}/{meta['source']}")
            v = np.asarray(vec) + rng.normal(0, 0.02, len(vec))
            ids.append(f"{cid}~{c}")
            texts.append(f"{text}\n({word} {c})")
            metas.append(m)
            vectors.append(v / np.linalg.norm(v))
    collection = open_collection(target, "e5", create=True)
    for i in range(0, len(ids), CHROMA_MAX_BATCH):
        j = i + CHROMA_MAX_BATCH
        collection.upsert(ids=ids[i:j], documents=texts[i:j], metadatas=metas[i:j],
                          embeddings=[list(map(float, v)) for v in vectors[i:j]])
    LexicalIndex.build(ids, texts, metas).save(IndexPaths(out).lexical)
    IndexPaths(out).bump_version()
    return target


def measure(settings: Settings, questions: list[str]) -> dict[str, float]:
    from assistant.service import Assistant

    before = rss_mb()
    start = time.perf_counter()
    assistant = Assistant(settings)
    load_s = time.perf_counter() - start
    for q in questions:  # warm-up
        assistant.ask(q)
    retrieve, total = [], []
    for q in questions:
        a = assistant.ask(q)
        retrieve.append(a.timings_ms["retrieve"])
        total.append(a.timings_ms["total"])
    return {"chunks": assistant.retriever.size, "load_s": load_s, "rss_before": before,
            "rss_after": rss_mb(), "r50": percentile(retrieve, 50), "r95": percentile(retrieve, 95),
            "t50": percentile(total, 50), "t95": percentile(total, 95), "n": len(questions)}


def measure_in_subprocess(index: Path) -> dict[str, float]:
    """A fresh process per size, so that memory and load time belong to that size alone."""
    import json
    import subprocess

    out = subprocess.run([sys.executable, __file__, "--measure", str(index)], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--base-index", type=Path, default=ROOT / "index")
    ap.add_argument("--work", type=Path, default=ROOT / "out" / "bench-indexes")
    args = ap.parse_args()
    questions = [i.q for i in load_golden(ROOT / "tests" / "golden" / "golden.jsonl")
                 if not i.history]
    if args.measure:
        import json

        settings = Settings(_env_file=None, index_dir=args.measure,  # type: ignore[call-arg]
                            gaps_log=args.measure / "gaps.jsonl")
        print(json.dumps(measure(settings, questions)))
        return
    base = base_index(args.base_index)
    rows = []
    for size in map(int, args.sizes.split(",")):
        t0 = time.perf_counter()
        settings = synthesize(base, size, args.work / f"n{size}")
        build_s = time.perf_counter() - t0
        r = measure_in_subprocess(settings.index_dir)
        print(f"{size}: built in {build_s:.0f} s; {r}")
        rows.append(f"| {r['chunks']} | {r['r50']:.1f} | {r['r95']:.1f} | {r['t50']:.1f} | "
                    f"{r['t95']:.1f} | {r['load_s']:.1f} | {r['rss_before']:.0f} → "
                    f"{r['rss_after']:.0f} |")
    body = f"""Machine: {machine()}

Command: `uv run --group dev python bench/bench_query.py` (each size measured in a fresh
process over {len(questions)} golden-set questions after one warm-up pass; offline answerer,
hybrid retrieval, embedded Chroma).

| chunks | retrieve p50 ms | retrieve p95 ms | total p50 ms | total p95 ms | load s | RSS MB before → after |
|---|---|---|---|---|---|---|
""" + "\n".join(rows)
    update_results("Query latency at scale", body)
    print(body)


if __name__ == "__main__":
    main()
