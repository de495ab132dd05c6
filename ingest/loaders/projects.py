"""CSV and JSON exports of the research-project database: one document per project.

Expected columns (Dutch, as the export gives them): project_id, titel, samenvatting, instelling,
startjaar, eindjaar, sector, themas, status, url. Rows without a title or summary are skipped
with a reason; one bad row does not spoil the file.
"""

from __future__ import annotations

import csv
import io
import json
import logging

from ingest.documents import Document, LoadError, Section, normalise_list, normalise_sectors
from ingest.loaders.common import decode_text

log = logging.getLogger(__name__)
_STATUS = {"lopend": "Lopend onderzoek", "afgerond": "Afgerond onderzoek"}


def project_document(row: dict[str, object], source: str) -> Document | None:
    get = lambda k: str(row.get(k) or "").strip()  # noqa: E731
    pid, title, summary = get("project_id"), get("titel"), get("samenvatting")
    if not title or not summary:
        log.warning("%s: project %r has no title or summary, skipped", source, pid or "?")
        return None
    years = "-".join(y for y in (get("startjaar"), get("eindjaar")) if y)
    facts = [f"Instelling: {get('instelling')}" if get("instelling") else "",
             f"Looptijd: {years}" if years else "",
             f"Status: {_STATUS.get(get('status').lower(), get('status'))}" if get("status") else ""]
    body = summary + "\n\n" + "\n".join(f for f in facts if f)
    anchor = pid or title
    return Document(
        doc_id=get("url") or f"{source}#{anchor}", doc_type="project", title=title, source=source,
        sections=[Section("Onderzoeksproject", body)], url=get("url"),
        published=f"{get('startjaar')}-01-01" if get("startjaar").isdigit() else "",
        sectors=normalise_sectors(get("sector")), themes=normalise_list(get("themas")),
        anchor=anchor,
    )


def _documents(rows: list[dict[str, object]], source: str) -> list[Document]:
    docs = [d for d in (project_document(r, source) for r in rows) if d]
    if not docs:
        raise LoadError("no project rows with a title and summary found")
    return docs


def load_csv(data: bytes, source: str) -> list[Document]:
    text = decode_text(data)
    try:
        rows = list(csv.DictReader(io.StringIO(text)))
    except csv.Error as exc:
        raise LoadError(f"not a valid CSV file: {exc}") from exc
    if rows and "titel" not in rows[0]:
        raise LoadError("CSV has no 'titel' column; expected a project-database export")
    return _documents(rows, source)


def load_json(data: bytes, source: str) -> list[Document]:
    try:
        value = json.loads(decode_text(data))
    except json.JSONDecodeError as exc:
        raise LoadError(f"not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    if isinstance(value, dict):
        value = value.get("projects") or value.get("projecten") or []
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise LoadError("JSON is not a list of projects")
    return _documents(value, source)
