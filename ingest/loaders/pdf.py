"""PDF guidance reports: text per page, printed page labels, outline entries as section titles.

Cleaning: NFKC (ligatures, ĳ), soft hyphens removed, running headers, footers and page numbers
dropped, bullet glyphs turned into list items, and careful
de-hyphenation: a word broken at a line end is joined when the joined form occurs elsewhere in
the document, or when neither form does and both halves are lower case; a real compound hyphen
("po-scholen") is kept when that form occurs in the document.
Metadata comes from the document info (Title, /NroUrl, /NroPublished, /NroSectors, /NroThemes,
or ``key=value`` pairs in /Keywords).
"""

from __future__ import annotations

import io
import re
from collections import Counter

from ingest.documents import Document, LoadError, Section, clean_text, normalise_list, normalise_sectors
from ingest.loaders.common import default_doc_type, iso_date

_BREAK = re.compile(r"(\w+)-\n(\w+)")
_PAGE_NUMBER_LINE = re.compile(r"^\s*(?:pagina\s+)?[0-9ivxlc]+\s*(?:/\s*\d+)?\s*$", re.I)
# Bullet glyphs come out of PDFs as a symbol (or a control character such as DEL) on its own
# line or before the item; they become Markdown list items ("- ").
_BULLET = re.compile(r"^[\x7f\u2022\u25aa\u25e6\u00b7\u25cf\u25a0\u2013\u2212]\s*(?:\n|(?=\S))", re.M)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def dehyphenate(text: str) -> str:
    words = Counter(w.lower() for w in re.findall(r"[\w-]+", text))

    def join(m: re.Match[str]) -> str:
        left, right = m.group(1), m.group(2)
        joined, hyphened = (left + right).lower(), f"{left}-{right}".lower()
        if words[joined]:
            return left + right
        if words[hyphened] or not (left[-1].islower() and right[0].islower()):
            return f"{left}-{right}"
        return left + right

    return _BREAK.sub(join, text)


def _page_text(raw: str) -> str:
    lines = [ln for ln in clean_text(raw).split("\n") if not _PAGE_NUMBER_LINE.match(ln)]
    text = _BULLET.sub("- ", "\n".join(lines))
    return _CONTROL.sub("", text).strip()


def _drop_running_lines(pages: list[str]) -> list[str]:
    """Remove running headers and footers: short lines that recur on many pages."""
    if len(pages) < 4:
        return pages
    counts = Counter(ln.strip() for page in pages for ln in set(page.split("\n")))
    running = {ln for ln, n in counts.items() if ln and len(ln) < 120 and n >= 0.4 * len(pages)}
    return ["\n".join(ln for ln in page.split("\n") if ln.strip() not in running)
            for page in pages]


def _outline(reader: object) -> list[tuple[int, str]]:
    """(0-based page index, title path) for every outline entry, in page order."""
    entries: list[tuple[int, str]] = []

    def walk(items: list, parents: list[str]) -> None:
        last = ""
        for item in items:
            if isinstance(item, list):
                walk(item, parents + [last] if last else parents)
                continue
            try:
                page = reader.get_destination_page_number(item)  # type: ignore[attr-defined]
            except Exception:  # a broken destination loses only that entry
                continue
            last = clean_text(str(item.title)).strip()
            entries.append((page, " > ".join(parents + [last])))

    try:
        walk(reader.outline, [])  # type: ignore[attr-defined]
    except Exception:
        return []
    return sorted(entries, key=lambda e: e[0])


def _split_by_outline(text: str, page: int, outline: list[tuple[int, str]]) -> list[tuple[str, str]]:
    """A page's text cut where the outline entries that start on this page have their heading
    line; the text before the first one continues the previous entry's section."""
    heading = next((t for p, t in reversed(outline) if p < page), "")
    pending = [t for p, t in outline if p == page]
    parts: list[tuple[str, list[str]]] = [(heading, [])]
    lines = text.split("\n")
    for n, line in enumerate(lines):
        title = pending[0].rsplit(" > ", 1)[-1] if pending else None
        # a long heading may wrap over up to three lines
        if title and any(" ".join(x.strip() for x in lines[n:n + k]) == title for k in (1, 2, 3)):
            parts.append((pending.pop(0), [line]))
        else:
            parts[-1][1].append(line)
    return [(h, "\n".join(lines).strip()) for h, lines in parts if "\n".join(lines).strip()]


def _info(reader: object) -> dict[str, str]:
    info = {str(k).lstrip("/"): str(v) for k, v in (reader.metadata or {}).items()}  # type: ignore[attr-defined]
    for pair in info.get("Keywords", "").split(";"):
        key, sep, value = pair.partition("=")
        if sep:
            info.setdefault("Nro" + key.strip().capitalize(), value.strip())
    return info


def load(data: bytes, source: str) -> list[Document]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise LoadError("the PDF is encrypted (password protected)")
        pages = [_page_text(p.extract_text() or "") for p in reader.pages]
        labels = list(reader.page_labels)
    except LoadError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise LoadError(f"unreadable PDF ({type(exc).__name__}: {exc})") from exc
    if not any(pages):
        raise LoadError("the PDF has no extractable text (a scan?)")
    full = dehyphenate("\n\f".join(_drop_running_lines(pages))).split("\n\f")
    outline, info = _outline(reader), _info(reader)
    sections = []
    for i, text in enumerate(full):
        label = labels[i] if i < len(labels) else str(i + 1)
        page = int(label) if label.isdigit() else i + 1
        for heading, part in _split_by_outline(text, i, outline):
            sections.append(Section(heading, part, page=page, page_label=label, page_index=i + 1))
    title = clean_text(info.get("Title", "")).strip() or sections[0].text.split("\n")[0][:200]
    url = info.get("NroUrl", "")
    return [Document(doc_id=url or source, doc_type=default_doc_type(source), title=title,
                     source=source, sections=sections, url=url,
                     published=iso_date(info.get("NroPublished")),
                     sectors=normalise_sectors(info.get("NroSectors", "")),
                     themes=normalise_list(info.get("NroThemes", "")))]
