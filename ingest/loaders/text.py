"""Plain text: the first non-empty line is the title, blank lines separate paragraphs."""

from __future__ import annotations

from ingest.documents import Document, LoadError, Section
from ingest.loaders.common import decode_text, default_doc_type


def load(data: bytes, source: str) -> list[Document]:
    text = decode_text(data).strip()
    if not text:
        raise LoadError("the file is empty")
    title, _, rest = text.partition("\n")
    body = rest.strip() or title
    return [Document(doc_id=source, doc_type=default_doc_type(source), title=title.strip()[:200],
                     source=source, sections=[Section("", body)])]
