"""Loaders per file format, chosen by file extension.

Each loader is a function ``load(data: bytes, source: str) -> list[Document]``: it gets the raw
bytes (the pipeline has read and hashed them already) and the path relative to the ingest root.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from collections.abc import Callable

from ingest.documents import Document
from ingest.loaders import html, markdown, pdf, projects, text

Loader = Callable[[bytes, str], list[Document]]

LOADERS: dict[str, Loader] = {
    ".md": markdown.load,
    ".markdown": markdown.load,
    ".html": html.load,
    ".htm": html.load,
    ".pdf": pdf.load,
    ".txt": text.load,
    ".csv": projects.load_csv,
    ".json": projects.load_json,
}


def loader_for(source: str) -> Loader | None:
    return LOADERS.get(PurePosixPath(source).suffix.lower())
