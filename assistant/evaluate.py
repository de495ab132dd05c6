"""``nro eval``: answer quality on a golden set, per question and in total.

Golden set: JSONL, one item per line::

    {"q": "...", "expect_docs": ["kennisrotonde/kr-9001-huiswerk-po.md"], "kind": "in_scope",
     "must_mention": ["Cooper"], "history": [{"role": "user", "content": "..."}], "sector": "po"}

``kind`` is ``in_scope`` (answerable), ``out_of_scope`` (not about education) or ``not_covered``
(education, but not in the knowledge base). An expected document matches a citation by its
``doc_id``, its ``source`` path, or ``source#anchor`` (a project in a CSV export).

Metrics: hit@1, hit@5, MRR and nDCG@5 of the expected documents among the answer's citations
(a refused in-scope question scores 0; ``retrieval_hit5`` ignores refusals), refusal accuracy
per kind, citation precision (cited sentences supported by the source they cite), citation
recall of ``must_mention`` facts, answer length, and latency p50/p95 after a warm-up question.
"""

from __future__ import annotations

import json
import math
import re
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from collections.abc import Sequence

from assistant.answer import Answer
from assistant.retrieve import Filters, Source
from assistant.sentences import best_support, split_sentences
from assistant.service import Assistant, Turn
from assistant.settings import Settings

KINDS = ("in_scope", "out_of_scope", "not_covered")
_CITE = re.compile(r"\s*\[(\d+)\]")


@dataclass
class GoldenItem:
    q: str
    expect_docs: list[str]
    kind: str = "in_scope"
    must_mention: tuple[str, ...] = ()
    history: tuple[Turn, ...] = ()
    sector: str = ""
    lang: str = ""


def load_golden(path: Path) -> list[GoldenItem]:
    items = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            kind = d.get("kind", "in_scope")
            if kind not in KINDS:
                raise ValueError(f"kind must be one of {KINDS}")
            items.append(GoldenItem(
                q=d["q"], expect_docs=list(d.get("expect_docs") or []), kind=kind,
                must_mention=tuple(d.get("must_mention") or ()),
                history=tuple(Turn(t["role"], t["content"]) for t in d.get("history") or []),
                sector=d.get("sector") or "", lang=d.get("lang") or ""))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}, line {n}: {exc}") from exc
    return items


def source_keys(source: Source) -> set[str]:
    meta = source.meta
    keys = {str(source.doc_id), str(meta.get("source", ""))}
    if meta.get("anchor"):
        keys.add(f"{meta.get('source')}#{meta.get('anchor')}")
    return keys


def _ranks(sources: Sequence[Source], expected: Sequence[str]) -> list[int]:
    """1-based ranks of the sources that match an expected document."""
    return [i + 1 for i, s in enumerate(sources) if source_keys(s) & set(expected)]


def citation_precision(answer: Answer) -> tuple[int, int]:
    """(supported, cited) sentences: a cited sentence is supported when its words are found
    in one of the passages it cites."""
    evidence = {s.n: "\n".join(p.text for p in s.evidence) for s in answer.sources}
    supported = cited = 0
    for sentence in split_sentences(answer.text):
        numbers = [int(n) for n in _CITE.findall(sentence)]
        if not numbers:
            continue
        cited += 1
        claim = _CITE.sub("", sentence)
        if any(n in evidence and best_support(claim, evidence[n])[0] >= 0.5 for n in numbers):
            supported += 1
    return supported, cited


def evaluate_item(assistant: Assistant, item: GoldenItem) -> dict[str, Any]:
    filters = Filters(sectors=(item.sector,)) if item.sector else None
    answer = assistant.ask(item.q, history=item.history, filters=filters)
    ranks = _ranks(answer.sources, item.expect_docs) if not answer.refused else []
    retrieved = _ranks(answer.retrieved, item.expect_docs)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(item.expect_docs), 5)))
    dcg = sum(1 / math.log2(r + 1) for r in ranks if r <= 5)
    supported, cited = citation_precision(answer) if not answer.refused else (0, 0)
    mentioned = [m for m in item.must_mention if m.lower() in answer.text.lower()]
    return {
        "q": item.q, "kind": item.kind, "lang": item.lang or answer.language,
        "follow_up": bool(item.history), "expect_docs": item.expect_docs,
        "refused": answer.refused, "correct_refusal": answer.refused == (item.kind != "in_scope"),
        "hit1": bool(ranks and ranks[0] == 1), "hit5": bool(ranks and ranks[0] <= 5),
        "rr": 1 / ranks[0] if ranks else 0.0, "ndcg5": dcg / ideal if ideal else 0.0,
        "retrieval_hit1": bool(retrieved and retrieved[0] == 1),
        "retrieval_hit5": bool(retrieved and retrieved[0] <= 5),
        "cited_sentences": cited, "supported_sentences": supported,
        "must_mention": len(item.must_mention), "mentioned": len(mentioned),
        "words": len(answer.text.split()), "relevance": round(answer.relevance, 4),
        "signals": answer.signals, "ms": answer.timings_ms.get("total", 0.0),
        "retrieve_ms": answer.timings_ms.get("retrieve", 0.0),
        "citations": [sorted(source_keys(s))[0] for s in answer.sources],
        "top_retrieved": sorted(source_keys(answer.retrieved[0]))[0] if answer.retrieved else "",
        "answer": answer.text, "answerer": answer.answerer,
    }


def _mean(values: Sequence[float]) -> float:
    return round(sum(values) / len(values), 4) if values else 0.0


def percentile(values: Sequence[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return round(ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo), 2)


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    ins = [r for r in rows if r["kind"] == "in_scope"]
    cited = sum(r["cited_sentences"] for r in rows)
    must = sum(r["must_mention"] for r in rows)
    ms = [r["ms"] for r in rows]
    per_kind = {}
    for kind in KINDS:
        sub = [r for r in rows if r["kind"] == kind]
        if sub:
            per_kind[kind] = {"n": len(sub), "refused": _mean([r["refused"] for r in sub]),
                              "correct": _mean([r["correct_refusal"] for r in sub])}
    return {
        "n": len(rows), "in_scope": len(ins),
        "hit1": _mean([r["hit1"] for r in ins]), "hit5": _mean([r["hit5"] for r in ins]),
        "mrr": _mean([r["rr"] for r in ins]), "ndcg5": _mean([r["ndcg5"] for r in ins]),
        "retrieval_hit1": _mean([r["retrieval_hit1"] for r in ins]),
        "retrieval_hit5": _mean([r["retrieval_hit5"] for r in ins]),
        "in_scope_refused": per_kind.get("in_scope", {}).get("refused", 0.0),
        "out_of_scope_refused": per_kind.get("out_of_scope", {}).get("refused", 0.0),
        "not_covered_refused": per_kind.get("not_covered", {}).get("refused", 0.0),
        "refusal": _mean([r["correct_refusal"] for r in rows]),
        "citation_precision": round(sum(r["supported_sentences"] for r in rows) / cited, 4)
        if cited else 0.0,
        "citation_recall": round(sum(r["mentioned"] for r in rows) / must, 4) if must else None,
        "answer_words": _mean([r["words"] for r in rows if not r["refused"]]),
        "latency_ms_p50": percentile(ms, 50), "latency_ms_p95": percentile(ms, 95),
        "retrieve_ms_p50": percentile([r["retrieve_ms"] for r in rows], 50),
        "retrieve_ms_p95": percentile([r["retrieve_ms"] for r in rows], 95),
        "per_kind": per_kind,
        "english_hit5": _mean([r["hit5"] for r in ins if r["lang"] == "en"]),
        "follow_up_hit5": _mean([r["hit5"] for r in ins if r["follow_up"]]),
    }


def run_eval(settings: Settings, items: list[GoldenItem],
             assistant: Assistant | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    assistant = assistant or Assistant(settings)
    assistant.ask("Werkt huiswerk?")  # warm-up: model and index in memory
    rows = [evaluate_item(assistant, item) for item in items]
    return summarize(rows), rows


def parse_thresholds(spec: str) -> dict[str, float]:
    out = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        key, _, value = part.partition("=")
        out[key.strip()] = float(value)
    return out


def failures(summary: dict[str, Any], thresholds: dict[str, float]) -> list[str]:
    """Metrics below their threshold (``*_refused`` of in_scope and latency: above)."""
    bad = []
    for key, limit in thresholds.items():
        if key not in summary:
            bad.append(f"{key}: unknown metric")
            continue
        value = summary[key]
        lower_is_better = key in ("in_scope_refused",) or key.startswith("latency")
        if (value > limit) if lower_is_better else (value < limit):
            bad.append(f"{key} = {value} (limit {limit})")
    return bad


def parse_config(spec: str, base: Settings) -> Settings:
    """``"llm=fake,retrieval=bm25,top_k=3"`` → a copy of ``base`` with those settings."""
    update: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        key, _, value = part.partition("=")
        key = key.strip()
        if key not in Settings.model_fields:
            raise ValueError(f"unknown setting {key!r} in {spec!r}")
        update[key] = value.strip()
    return Settings.model_validate({**base.model_dump(), **update})


def compare(rows_a: list[dict], rows_b: list[dict]) -> list[dict]:
    """Per question: the outcome under A and B; changed outcomes first."""
    def outcome(r: dict) -> str:
        if r["refused"]:
            return "refused"
        return "hit@1" if r["hit1"] else "hit@5" if r["hit5"] else "miss"

    out = []
    for a, b in zip(rows_a, rows_b):
        out.append({"q": a["q"], "kind": a["kind"], "a": outcome(a), "b": outcome(b),
                    "changed": outcome(a) != outcome(b) or a["answer"] != b["answer"],
                    "outcome_changed": outcome(a) != outcome(b)})
    return sorted(out, key=lambda r: (not r["outcome_changed"], not r["changed"]))


def fit_logistic(x: list[list[float]], y: list[int], steps: int = 4000,
                 lr: float = 0.5, l2: float = 1e-3) -> list[float]:
    """Logistic regression by gradient descent on standardised features; returns weights
    on the original scale as [bias, w1, w2, ...]."""
    import numpy as np

    X, Y = np.asarray(x, float), np.asarray(y, float)
    mu, sd = X.mean(0), X.std(0) + 1e-9
    Z = np.c_[np.ones(len(X)), (X - mu) / sd]
    w = np.zeros(Z.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-Z @ w))
        w -= lr * (Z.T @ (p - Y) / len(Y) + l2 * np.r_[0, w[1:]])
    scale = w[1:] / sd
    return [float(w[0] - (scale * mu).sum()), *map(float, scale)]


def calibrate(rows: list[dict], features: Sequence[str]) -> dict[str, Any]:
    """Fit refusal weights per language on the golden rows; report the best threshold."""
    from assistant.relevance import relevance

    result: dict[str, Any] = {}
    for lang in ("nl", "en"):
        sub = [r for r in rows if (r["lang"] == "en") == (lang == "en")]
        if len({r["kind"] == "in_scope" for r in sub}) < 2:
            continue
        x = [[float(r["signals"].get(f, 0.0)) for f in features] for r in sub]
        y = [int(r["kind"] == "in_scope") for r in sub]
        w = fit_logistic(x, y)
        weights = {"bias": round(w[0], 3), **{f: round(v, 3) for f, v in zip(features, w[1:])}}
        scores = [relevance(r["signals"], lang, weights) for r in sub]
        result[lang] = {"weights": weights, "n": len(sub),
                        "scores_in_scope": [round(s, 3) for s, t in zip(scores, y) if t],
                        "scores_other": [round(s, 3) for s, t in zip(scores, y) if not t]}
    return result


def markdown_report(summary: dict[str, Any], rows: list[dict[str, Any]], title: str) -> str:
    lines = [f"# {title}", "", f"{summary['n']} questions ({summary['in_scope']} in scope)", "",
             "| metric | value |", "|---|---|"]
    for key in ("hit1", "hit5", "mrr", "ndcg5", "retrieval_hit5", "in_scope_refused",
                "out_of_scope_refused", "not_covered_refused", "refusal", "citation_precision",
                "citation_recall", "answer_words", "latency_ms_p50", "latency_ms_p95",
                "retrieve_ms_p50", "retrieve_ms_p95", "english_hit5", "follow_up_hit5"):
        lines.append(f"| {key} | {summary.get(key)} |")
    lines += ["", "| kind | n | refused | correct |", "|---|---|---|---|"]
    for kind, v in summary["per_kind"].items():
        lines.append(f"| {kind} | {v['n']} | {v['refused']} | {v['correct']} |")
    misses = [r for r in rows if not r["correct_refusal"] or
              (r["kind"] == "in_scope" and not r["hit5"])]
    if misses:
        lines += ["", "## Questions to look at", "", "| question | kind | refused | expected | cited |",
                  "|---|---|---|---|---|"]
        for r in misses:
            lines.append(f"| {r['q']} | {r['kind']} | {r['refused']} | "
                         f"{', '.join(r['expect_docs'])} | {', '.join(r['citations'][:3])} |")
    return "\n".join(lines) + "\n"


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0
