"""Calibrates the support score of the citation check (assistant/llm.py SUPPORT_MIN).

    uv run --group dev python bench/calibrate_support.py [--index index]

Positives: each sentence of the extractive answers on the golden set, against the passages of
the source it cites (supported by construction; verbatim, so an LLM's paraphrases will score
somewhat lower). Negatives: the same sentence against the passages of the top source of
another question (a wrong citation). Prints, per threshold, the share of supported sentences
kept and of wrongly cited ones removed.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.evaluate import load_golden  # noqa: E402
from assistant.sentences import best_support, split_sentences  # noqa: E402
from assistant.service import Assistant  # noqa: E402
from assistant.settings import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
_CITE = re.compile(r"\s*\[(\d+)\]")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index", type=Path, default=ROOT / "index")
    args = ap.parse_args()
    assistant = Assistant(Settings(_env_file=None, index_dir=args.index))  # type: ignore[call-arg]
    answers = [assistant.ask(i.q) for i in load_golden(ROOT / "tests/golden/golden.jsonl")
               if i.kind == "in_scope" and not i.history]
    answers = [a for a in answers if not a.refused]
    rng = random.Random(0)
    pos, neg = [], []
    for a in answers:
        evidence = {s.n: "\n".join(p.text for p in s.evidence) for s in a.sources}
        other = rng.choice([b for b in answers if b.sources[0].doc_id != a.sources[0].doc_id])
        wrong = "\n".join(p.text for p in other.sources[0].evidence)
        for sentence in split_sentences(a.text):
            numbers = [int(n) for n in _CITE.findall(sentence)]
            if not numbers:
                continue
            claim = _CITE.sub("", sentence)
            pos.append(best_support(claim, evidence[numbers[0]])[0])
            neg.append(best_support(claim, wrong)[0])
    print(f"{len(pos)} cited sentences from {len(answers)} answers")
    print("| threshold | supported kept | wrong-source removed |")
    print("|---|---|---|")
    for t in (0.3, 0.4, 0.5, 0.6, 0.7):
        kept = sum(p >= t for p in pos) / len(pos)
        removed = sum(n < t for n in neg) / len(neg)
        print(f"| {t} | {kept:.3f} | {removed:.3f} |")


if __name__ == "__main__":
    main()
