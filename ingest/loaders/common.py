"""Helpers shared by the text-based loaders."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import PurePosixPath

from ingest.documents import LoadError, clean_text


def decode_text(data: bytes) -> str:
    """UTF-8 text or a plain reason why not (binary data, another encoding)."""
    if b"\x00" in data[:8192]:
        raise LoadError("binary data, not a text file")
    try:
        return clean_text(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise LoadError(f"not valid UTF-8 text (byte {exc.start})") from exc


def iso_date(value: object) -> str:
    if isinstance(value, (date, datetime)):
        return value.isoformat()[:10]
    m = re.search(r"\d{4}-\d{2}-\d{2}", str(value or ""))
    return m.group(0) if m else ""


def default_doc_type(source: str) -> str:
    """Guess the product type from the folder a file sits in, when the file does not say."""
    parts = {p.lower() for p in PurePosixPath(source).parts[:-1]}
    for folder, doc_type in (("kennisrotonde", "kennisrotonde"), ("overzichten", "overzicht"),
                             ("overzicht", "overzicht"), ("guidance", "guidance"),
                             ("projecten", "project")):
        if folder in parts:
            return doc_type
    return "other"


def kr_number(value: object) -> int | None:
    m = re.search(r"\d+", str(value or ""))
    return int(m.group(0)) if m else None
