"""Sentences of a chunk with the section they stand in, and word-overlap support scores.

Used by the extractive answerer (which sentences answer the question) and by the citation
check of the LLM answerer (does the cited source say this?).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.lexical import tokenize

# A sentence ends at . ! or ? followed by a capital (an inline list marker "- " in between is
# dropped: PDF text reflowed into one paragraph keeps its list items that way).
_SPLIT = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?:[-\u2022]\s+)?(?=[\"'(*]?[A-Z0-9À-Ý])")
_ABBREV_END = re.compile(r"\b(?:o\.a|e\.a|bijv|d\.w\.z|m\.a\.w|resp|ca|nr|p|pp|dr|prof|vs|etc|zgn)\.$",
                         re.I)
# Sections whose sentences are not findings: the asker's question, reading lists.
SKIP_SECTIONS = re.compile(r"^(vraag|referenties|literatuur|bronnen|meer lezen|voorwoord|inhoud|"
                           r"colofon)\b", re.I)
# Sections that list what not to do: their items, quoted alone, would read as advice.
NEGATIVE_SECTIONS = re.compile(r"valkuil|misverstand|wat werkt niet|veelgemaakte fout", re.I)
KEY_SECTIONS = re.compile(r"kort antwoord|samenvatting|conclusie|aanbeveling|in het kort", re.I)


@dataclass
class Sentence:
    text: str
    section: str
    position: int  # order within its chunk


def split_sentences(text: str) -> list[str]:
    parts = _SPLIT.split(re.sub(r"\s+", " ", text).strip())
    merged: list[str] = []
    for part in parts:  # re-join splits after abbreviations such as "o.a."
        if merged and _ABBREV_END.search(merged[-1]):
            merged[-1] += " " + part
        else:
            merged.append(part)
    return [p.strip() for p in merged if p.strip()]


def chunk_sentences(chunk_text: str) -> list[Sentence]:
    """Sentences of a chunk (its first line is the document title and is skipped)."""
    _, _, body = chunk_text.partition("\n")
    section = ""
    out: list[Sentence] = []
    paragraph: list[str] = []

    def flush() -> None:
        for s in split_sentences(" ".join(paragraph)):
            out.append(Sentence(s, section, len(out)))
        paragraph.clear()

    for line in body.split("\n"):
        stripped = line.strip()
        if stripped.startswith("#"):
            flush()
            section = stripped.lstrip("#").strip()
        elif not stripped:
            flush()
        elif stripped.startswith(("- ", "* ")):  # a list item; its wrapped lines follow
            flush()
            paragraph.append(stripped[2:])
        else:
            paragraph.append(stripped)
    flush()
    return out


def overlap(claim: str, evidence: str) -> float:
    """Share of the claim's content words (stemmed) that the evidence contains, 0..1."""
    terms = set(tokenize(claim))
    if not terms:
        return 0.0
    return len(terms & set(tokenize(evidence))) / len(terms)


def best_support(claim: str, source_text: str) -> tuple[float, str]:
    """The best-supporting window (one or two adjacent sentences) of a source for a claim."""
    sents = split_sentences(source_text.replace("\n", " "))
    windows = sents + [a + " " + b for a, b in zip(sents, sents[1:])]
    scored = [(overlap(claim, w), w) for w in windows] or [(0.0, "")]
    return max(scored, key=lambda x: x[0])


# Text in a document that addresses an AI system instead of a reader ("negeer alle eerdere
# instructies", "ignore previous instructions", "system prompt"): content, never a command.
INJECTION = re.compile(
    r"(negeer|vergeet|ignore|disregard|forget)\b[^.!?\n]{0,40}\b(instructie|instructies|opdracht|"
    r"opdrachten|instructions?|prompts?|regels|rules)|system ?prompt|systeemprompt|"
    r"je bent nu\b|you are now\b|als taalmodel|as an ai\b", re.I)


def neutralize(text: str) -> str:
    """Replace instruction-like sentences by a marker before text reaches a model."""
    if not INJECTION.search(text):
        return text
    out = []
    for line in text.split("\n"):
        if INJECTION.search(line):
            line = " ".join("[instructie uit document weggelaten]" if INJECTION.search(s) else s
                            for s in split_sentences(line))
        out.append(line)
    return "\n".join(out)
