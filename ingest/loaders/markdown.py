"""Markdown with YAML front matter: a Kennisrotonde answer, an overview, any note.

Headings (#, ##, ###) become the section path; the first level-1 heading is the title when the
front matter has none.
"""

from __future__ import annotations

import re

import yaml

from ingest.documents import DOC_TYPES, Document, LoadError, Section, normalise_list, normalise_sectors
from ingest.loaders.common import decode_text, default_doc_type, iso_date, kr_number

_FRONT = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.S)
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def split_front_matter(text: str) -> tuple[dict, str]:
    if not text.startswith("---"):
        return {}, text
    m = _FRONT.match(text)
    if not m:
        raise LoadError("front matter starts with '---' but is never closed")
    try:
        meta = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        where = f" (line {line + 2})" if line is not None else ""
        raise LoadError(f"front matter is not valid YAML{where}") from exc
    if not isinstance(meta, dict):
        raise LoadError("front matter is not a set of 'key: value' lines")
    return meta, text[m.end():]


def sections_from_markdown(body: str) -> tuple[str, list[Section]]:
    """Split Markdown into sections by heading; returns (first H1, sections)."""
    title = ""
    path: list[tuple[int, str]] = []
    sections: list[Section] = []
    buf: list[str] = []

    def flush() -> None:
        text = "\n".join(buf).strip()
        if text:
            sections.append(Section(" > ".join(h for _, h in path), text))
        buf.clear()

    for line in body.split("\n"):
        m = _HEADING.match(line)
        if not m:
            buf.append(line)
            continue
        flush()
        level, heading = len(m.group(1)), m.group(2).strip()
        if level == 1 and not title:
            title = heading
            continue
        path = [(lvl, h) for lvl, h in path if lvl < level] + [(level, heading)]
    flush()
    return title, sections


def load(data: bytes, source: str) -> list[Document]:
    meta, body = split_front_matter(decode_text(data))
    h1, sections = sections_from_markdown(body)
    title = str(meta.get("title") or h1 or source.rsplit("/", 1)[-1])
    if not sections:
        raise LoadError("no text after the front matter")
    doc_type = str(meta.get("doc_type") or default_doc_type(source))
    if doc_type not in DOC_TYPES:
        raise LoadError(f"unknown doc_type {doc_type!r} (known: {', '.join(DOC_TYPES)})")
    url = str(meta.get("url") or "")
    return [Document(
        doc_id=url or source, doc_type=doc_type, title=title, source=source, sections=sections,
        url=url, published=iso_date(meta.get("published")),
        sectors=normalise_sectors(meta.get("sectors")), themes=normalise_list(meta.get("themes")),
        kr_number=kr_number(meta.get("kr_number")),
    )]
