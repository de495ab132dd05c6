"""The common shape every loader returns: a document made of titled sections.

A loader turns one file into one or more :class:`Document` objects (a CSV export of research
projects holds many). Sections keep their heading path and, for PDFs, the page they are on, so
that chunks can carry ``section`` and ``page`` metadata. Loaders raise :class:`LoadError` with
a plain reason; the pipeline reports it by file name and goes on.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field

DOC_TYPES = ("kennisrotonde", "overzicht", "guidance", "project", "other")
SECTORS = ("po", "vo", "mbo", "ho")


class LoadError(Exception):
    """A file could not be read; the message is a plain reason for the person running ingest."""


@dataclass
class Section:
    heading: str
    text: str
    page: int | None = None  # printed page number (label) when numeric, else physical page
    page_label: str = ""
    page_index: int | None = None  # physical page, 1-based (for #page=N links)


@dataclass
class Document:
    doc_id: str
    doc_type: str
    title: str
    source: str
    sections: list[Section]
    url: str = ""
    published: str = ""
    sectors: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    kr_number: int | None = None
    anchor: str = ""  # id of a record inside a multi-document file (a project id)

    def metadata(self) -> dict[str, object]:
        """Flat scalar metadata shared by every chunk of this document (Chroma-compatible)."""
        meta: dict[str, object] = {
            "doc_id": self.doc_id, "doc_type": self.doc_type, "title": self.title,
            "url": self.url, "source": self.source, "published": self.published,
            "sectors": " ".join(self.sectors), "themes": ", ".join(self.themes),
            "anchor": self.anchor,
            "published_int": int(self.published.replace("-", "")) if self.published else 0,
        }
        for s in SECTORS:  # booleans, so that a Chroma `where` filter can select a sector
            meta[f"sector_{s}"] = s in self.sectors
        if self.kr_number is not None:
            meta["kr_number"] = self.kr_number
        return meta


def clean_text(text: str) -> str:
    """NFKC (ligatures, ĳ), no soft hyphens or zero-width characters, normalised spaces."""
    text = unicodedata.normalize("NFKC", text)
    for ch in ("\u00ad", "\u200b", "\u200c", "\u200d", "\ufeff"):
        text = text.replace(ch, "")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")


def normalise_sectors(values: object) -> list[str]:
    if isinstance(values, str):
        values = values.replace("|", " ").replace(",", " ").split()
    out = [str(v).strip().lower() for v in (values or [])]  # type: ignore[attr-defined]
    return [s for s in SECTORS if s in out]


def normalise_list(values: object) -> list[str]:
    if isinstance(values, str):
        values = values.replace("|", ",").split(",")
    return [str(v).strip() for v in (values or []) if str(v).strip()]  # type: ignore[attr-defined]


def sha256(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()
