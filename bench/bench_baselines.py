"""Retrieval quality and latency against the baselines a user could pick instead, in one run.

    uv run --group dev python bench/bench_baselines.py [--index index]

On the in-scope questions of the bundled golden set: this product's hybrid retrieval (BM25 +
e5 dense, reciprocal rank fusion, product-type priors, grouped per document), BM25 only, dense
only, and LangChain's plain ``Chroma.as_retriever()`` over the same Chroma collection with the
same e5 embeddings (its top chunks, deduplicated to documents). Reports hit@1, hit@5 and MRR
of the expected document and the latency per question (p50/p95). Writes the section
"Baselines" of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.evaluate import load_golden  # noqa: E402
from assistant.retrieve import Retriever  # noqa: E402
from assistant.service import standalone_offline  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from bench.common import machine, percentile, update_results  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


class E5ForLangChain:
    """The same e5 model behind LangChain's Embeddings interface."""

    def __init__(self, e5) -> None:  # noqa: ANN001
        self.e5 = e5

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.e5.embed_passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.e5.embed_query(text).tolist()


def doc_keys(meta: dict) -> set[str]:
    keys = {str(meta.get("doc_id")), str(meta.get("source"))}
    if meta.get("anchor"):
        keys.add(f"{meta.get('source')}#{meta.get('anchor')}")
    return keys


def score(ranked: list[set[str]], expected: list[str]) -> tuple[bool, bool, float]:
    ranks = [i + 1 for i, keys in enumerate(ranked) if keys & set(expected)]
    first = ranks[0] if ranks else 0
    return first == 1, 0 < first <= 5, 1 / first if first else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index", type=Path, default=ROOT / "index")
    args = ap.parse_args()
    settings = Settings(_env_file=None, index_dir=args.index)  # type: ignore[call-arg]
    retriever = Retriever(settings)
    from langchain_chroma import Chroma

    from assistant.index import chroma_client

    lc = Chroma(client=chroma_client(settings), collection_name=settings.collection,
                embedding_function=E5ForLangChain(retriever.embeddings))  # type: ignore[arg-type]
    lc_retriever = lc.as_retriever(search_kwargs={"k": 20})
    items = [i for i in load_golden(ROOT / "tests" / "golden" / "golden.jsonl")
             if i.kind == "in_scope"]
    questions = [standalone_offline(i.q, i.history) for i in items]

    def ours(mode: str):  # noqa: ANN202
        return lambda q: [doc_keys(s.meta) for s in retriever.search(q, mode=mode).sources]

    def langchain(q: str) -> list[set[str]]:
        ranked: list[set[str]] = []
        for doc in lc_retriever.invoke(q):
            keys = doc_keys(doc.metadata)
            if keys not in ranked:
                ranked.append(keys)
        return ranked[:5]

    methods = {"hybrid (this product)": ours("hybrid"), "BM25 only": ours("bm25"),
               "dense only (e5)": ours("dense"), "LangChain Chroma.as_retriever()": langchain}
    rows = []
    for name, fn in methods.items():
        for q in questions[:5]:
            fn(q)  # warm-up
        hits1 = hits5 = mrr = 0.0
        times = []
        for q, item in zip(questions, items):
            t = time.perf_counter()
            ranked = fn(q)
            times.append((time.perf_counter() - t) * 1000)
            h1, h5, rr = score(ranked, item.expect_docs)
            hits1, hits5, mrr = hits1 + h1, hits5 + h5, mrr + rr
        n = len(items)
        rows.append(f"| {name} | {hits1 / n:.3f} | {hits5 / n:.3f} | {mrr / n:.3f} | "
                    f"{percentile(times, 50):.1f} | {percentile(times, 95):.1f} |")
        print(rows[-1])
    body = f"""Machine: {machine()}

Command: `uv run --group dev python bench/bench_baselines.py` (one run, {len(items)} in-scope
golden questions incl. English and follow-ups rewritten offline; bundled corpus, e5 index).

| method | hit@1 | hit@5 | MRR | p50 ms | p95 ms |
|---|---|---|---|---|---|
""" + "\n".join(rows)
    update_results("Baselines", body)
    print(body)


if __name__ == "__main__":
    main()
