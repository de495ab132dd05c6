"""The HTML report of ``nro eval`` with PNG charts (matplotlib), readable without programming.

Writes ``summary.md``, ``results.json``, ``report.html`` and the charts into one folder.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from assistant.evaluate import markdown_report

LABELS = {"in_scope": "Beantwoordbaar", "out_of_scope": "Buiten onderwijs",
          "not_covered": "Niet in de kennisbank"}


def _charts(summary: dict[str, Any], rows: list[dict[str, Any]], out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    fig, ax = plt.subplots(figsize=(6, 3.2))
    keys = ["hit1", "hit5", "mrr", "ndcg5", "citation_precision"]
    ax.bar(keys, [summary[k] or 0 for k in keys], color="#1f6f8b")
    ax.set_ylim(0, 1)
    ax.set_title("Vindt het de juiste bron? (beantwoordbare vragen)")
    fig.tight_layout()
    fig.savefig(out / "quality.png", dpi=100)
    plt.close(fig)
    names.append("quality.png")

    fig, ax = plt.subplots(figsize=(6, 3.2))
    kinds = list(summary["per_kind"])
    ax.bar([LABELS.get(k, k) for k in kinds], [summary["per_kind"][k]["refused"] for k in kinds],
           color=["#2a9d8f", "#e76f51", "#f4a261"][: len(kinds)])
    ax.set_ylim(0, 1)
    ax.set_title("Aandeel geweigerde vragen per soort")
    fig.tight_layout()
    fig.savefig(out / "refusals.png", dpi=100)
    plt.close(fig)
    names.append("refusals.png")

    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.hist([r["ms"] for r in rows], bins=30, color="#264653")
    ax.set_xlabel("ms per vraag")
    ax.set_title(f"Antwoordtijd (p50 {summary['latency_ms_p50']} ms, "
                 f"p95 {summary['latency_ms_p95']} ms)")
    fig.tight_layout()
    fig.savefig(out / "latency.png", dpi=100)
    plt.close(fig)
    names.append("latency.png")
    return names


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_report(summary: dict[str, Any], rows: list[dict[str, Any]], out: Path,
                 title: str = "Kwaliteit van de Kennisassistent") -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.md").write_text(markdown_report(summary, rows, title), encoding="utf-8")
    (out / "results.json").write_text(json.dumps({"summary": summary, "questions": rows},
                                                 ensure_ascii=False, indent=1), encoding="utf-8")
    charts = _charts(summary, rows, out)
    kinds = _table(["Soort vraag", "Aantal", "Geweigerd", "Juist behandeld"],
                   [[LABELS.get(k, k), v["n"], f"{v['refused']:.0%}", f"{v['correct']:.0%}"]
                    for k, v in summary["per_kind"].items()])
    metrics = _table(["Maat", "Waarde", "Wat betekent dit?"], [
        ["hit@1", summary["hit1"], "de verwachte bron staat bovenaan"],
        ["hit@5", summary["hit5"], "de verwachte bron staat bij de eerste vijf"],
        ["MRR", summary["mrr"], "gemiddelde 1/positie van de verwachte bron"],
        ["nDCG@5", summary["ndcg5"], "rangorde van alle verwachte bronnen"],
        ["citatieprecisie", summary["citation_precision"], "zinnen met [n] die de bron ondersteunt"],
        ["citatierecall", summary["citation_recall"], "verplichte feiten die het antwoord noemt"],
        ["woorden", summary["answer_words"], "gemiddelde lengte van een antwoord"],
        ["p50 / p95 ms", f"{summary['latency_ms_p50']} / {summary['latency_ms_p95']}",
         "antwoordtijd per vraag"]])
    questions = _table(["Vraag", "Soort", "Geweigerd", "Verwacht", "Geciteerd", "hit@5"],
                       [[r["q"], LABELS.get(r["kind"], r["kind"]), "ja" if r["refused"] else "nee",
                         ", ".join(r["expect_docs"]), ", ".join(r["citations"][:3]),
                         "ja" if r["hit5"] else "-"] for r in rows])
    images = "".join(f'<img src="{n}" alt="{n}">' for n in charts)
    page = f"""<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8">
<title>{html.escape(title)}</title><style>
body{{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:4px 8px;
font-size:14px;text-align:left}}th{{background:#eef}}img{{max-width:48%;margin:4px}}
</style></head><body><h1>{html.escape(title)}</h1>
<p>{summary['n']} vragen, waarvan {summary['in_scope']} beantwoordbaar.</p>
<h2>Per soort vraag</h2>{kinds}<h2>Maten</h2>{metrics}<h2>Grafieken</h2>{images}
<h2>Alle vragen</h2>{questions}</body></html>"""
    (out / "report.html").write_text(page, encoding="utf-8")
