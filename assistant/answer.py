"""Answers and the extractive (offline) answerer.

An :class:`Answer` holds the prose with ``[n]`` citations, the numbered sources, and renders
the JSON contract of ``nro ask --json`` and the Dutch source list. The extractive answerer
needs no model: it opens with the sentence that best answers the question (preferring a
source's own short answer), adds supporting points from the other sources, each with its
``[n]``, and skips sentences that cannot stand alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.lexical import tokenize
from assistant.retrieve import Retrieval, Source
from assistant.sentences import (INJECTION, KEY_SECTIONS, NEGATIVE_SECTIONS, SKIP_SECTIONS, Sentence,
                                 chunk_sentences)

MONTHS = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
          "september", "oktober", "november", "december"]
# Sentences opening with these words lean on the sentence before them.
_DANGLING = re.compile(
    r"^(dit|dat|deze|die|daarom|daardoor|daarnaast|daarbij|daarmee|bovendien|ook|maar|toch|zo|"
    r"hierdoor|hierbij|hiervan|hiermee|wel|verder|tegelijk|echter|ze|zij|hij|hun|dezelfde|"
    r"dergelijke|ten tweede|ten derde|tot slot|als laatste|tegelijkertijd|anderzijds|en|of|"
    r"kortom|dus|toen|vervolgens|beide|both|this|that|these)\b", re.I)
_CITE = re.compile(r"\s*\[(\d+)\]")


def type_label(meta: dict) -> str:
    """Dutch label of a source: Kennisrotonde-antwoord nr. N, Guidance report p. N, ..."""
    doc_type = meta.get("doc_type")
    if doc_type == "kennisrotonde":
        kr = meta.get("kr_number")
        return f"Kennisrotonde-antwoord nr. {kr}" if kr else "Kennisrotonde-antwoord"
    if doc_type == "overzicht":
        return "Thematisch overzicht"
    if doc_type == "guidance":
        page = meta.get("page_label") or meta.get("page")
        return f"Guidance report p. {page}" if page else "Guidance report"
    if doc_type == "project":
        return "Onderzoeksproject"
    return "Document"


def dutch_date(iso: str) -> str:
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", iso or "")
    if not m:
        return ""
    return f"{int(m.group(3))} {MONTHS[int(m.group(2)) - 1]} {m.group(1)}"


def source_link(source: Source) -> str:
    """The URL to open: for a PDF the physical page, so that it opens where it is cited."""
    meta = source.passages[0].meta if source.passages else source.meta
    url = str(meta.get("url") or "")
    page = meta.get("page_index")
    if meta.get("doc_type") == "guidance" and page and url:
        return f"{url}#page={page}"
    return url


@dataclass
class Answer:
    question: str
    text: str
    refused: bool
    sources: list[Source]
    answerer: str = "extractive"
    notice: str = ""
    language: str = "nl"
    standalone_question: str = ""
    prompt: str = ""
    relevance: float = 0.0
    removed_sentences: list[str] = field(default_factory=list)
    quotes: dict[int, str] = field(default_factory=dict)  # n -> the passage the answer used
    retrieved: list[Source] = field(default_factory=list)  # what retrieval found (also on refusal)
    signals: dict[str, float] = field(default_factory=dict)  # inputs of the refusal rule
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def cited(self) -> list[int]:
        return sorted({int(n) for n in _CITE.findall(self.text)})

    def quote(self, source: Source) -> str:
        if source.n in self.quotes:
            return self.quotes[source.n]
        if not source.passages:
            return ""
        body = source.passages[0].text.split("\n", 1)[-1]
        lines = [ln for ln in body.split("\n") if ln.strip() and not ln.startswith("#")]
        return " ".join(lines)[:600]

    def to_json(self) -> dict:
        cited = set(self.cited)
        return {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "citations": [] if self.refused else [{
                "n": s.n, "doc_id": s.doc_id, "title": s.title,
                "doc_type": s.meta.get("doc_type"), "type_label": type_label(
                    s.passages[0].meta if s.passages else s.meta),
                "url": source_link(s) or None, "source": s.meta.get("source"),
                "page": s.passages[0].meta.get("page") if s.passages else None,
                "published": s.meta.get("published") or None, "score": round(s.score, 4),
                "quote": self.quote(s), "cited": s.n in cited,
            } for s in self.sources],
            "answerer": self.answerer,
            "notice": self.notice or None,
            "language": self.language,
            "standalone_question": self.standalone_question or self.question,
            "relevance": round(self.relevance, 4),
            "prompt": self.prompt or None,
            "timings_ms": self.timings_ms,
        }

    def sources_markdown(self) -> str:
        lines = []
        for s in self.sources:
            meta = s.passages[0].meta if s.passages else s.meta
            date = dutch_date(str(s.meta.get("published") or ""))
            link = source_link(s)
            title = f"[{s.title}]({link})" if link else s.title
            lines.append(f"[{s.n}] {type_label(meta)}: {title}" + (f" ({date})" if date else ""))
        return "\n".join(lines)

    def markdown(self) -> str:
        parts = [f"_{self.notice}_"] if self.notice else []
        parts.append(self.text)
        if not self.refused and self.sources:
            parts.append("**Bronnen**\n\n" + self.sources_markdown().replace("\n", "  \n"))
        return "\n\n".join(parts)


def cite(sentence: str, n: int) -> str:
    """Put ``[n]`` before the sentence's final punctuation."""
    m = re.search(r"([.!?…:;]+[\"')]?)$", sentence)
    if m:
        return f"{sentence[:m.start()]} [{n}]{m.group(1)}"
    return f"{sentence} [{n}]."


@dataclass
class _Candidate:
    source: Source
    sentence: Sentence
    score: float
    terms: set[str]


def _candidates(question: str, retrieval: Retrieval, max_sources: int) -> list[_Candidate]:
    q_terms = set(tokenize(question))
    out, seen = [], set()
    top = retrieval.sources[0].score if retrieval.sources else 0.0
    for rank, source in enumerate(retrieval.sources[:max_sources]):
        if rank and source.score < 0.75 * top:  # a weak runner-up adds noise, not support
            break
        for passage in source.evidence:
            for sent in chunk_sentences(passage.text):
                text = sent.text
                words = len(text.split())
                if (SKIP_SECTIONS.match(sent.section) or NEGATIVE_SECTIONS.search(sent.section)
                        or text in seen or words < 6
                        or words > 70 or text.rstrip().endswith(("?", ":"))
                        or _DANGLING.match(text) or "http" in text or INJECTION.search(text)):
                    continue
                seen.add(text)
                terms = set(tokenize(text))
                hit = len(q_terms & terms) / max(len(q_terms), 1)
                if rank and not hit:
                    continue
                score = (hit + 0.5 * bool(KEY_SECTIONS.search(sent.section))
                         + 0.3 / (rank + 1) - 0.02 * sent.position)
                out.append(_Candidate(source, sent, score, terms))
    return out


def _similar(a: set[str], b: set[str]) -> bool:
    return bool(a and b) and len(a & b) / len(a | b) > 0.5


def extractive_text(question: str, retrieval: Retrieval, sentences: int = 4,
                    max_sources: int = 3) -> tuple[str, dict[int, str]]:
    """A short Dutch answer built from the sources' own sentences, each with its [n];
    also returns, per cited source, the sentences quoted from it."""
    cands = sorted(_candidates(question, retrieval, max_sources), key=lambda c: -c.score)
    if not cands:
        return "", {}
    first = next((c for c in cands if c.source.n == retrieval.sources[0].n), cands[0])
    chosen = [first]
    per_source = {first.source.n: 1}
    for c in cands:
        if len(chosen) >= sentences:
            break
        if c is first or per_source.get(c.source.n, 0) >= 2:
            continue
        if any(_similar(c.terms, d.terms) for d in chosen):
            continue
        chosen.append(c)
        per_source[c.source.n] = per_source.get(c.source.n, 0) + 1
    rest = sorted(chosen[1:], key=lambda c: (c.source.n, c.sentence.position))
    quotes: dict[int, str] = {}
    for c in [first, *rest]:
        quotes[c.source.n] = (quotes.get(c.source.n, "") + " " + c.sentence.text).strip()
    return " ".join(cite(c.sentence.text, c.source.n) for c in [first, *rest]), quotes
