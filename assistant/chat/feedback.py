"""Read stored conversations and feedback for staff: export (JSONL/CSV, golden lines) and review.

Works on the tables Chainlit writes (see :mod:`assistant.chat.schema`), on SQLite and
PostgreSQL alike, through plain SQL. A feedback row carries the question, the answer it
rates, thumbs up (1) or down (0), the comment, and the sources the answer cited.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

FIELDS = ["feedback_id", "thread_id", "created_at", "rating", "value", "comment", "question",
          "answer", "refused", "cited_sources"]

_FEEDBACK_SQL = """
SELECT f."id" AS feedback_id, f."value" AS value, f."comment" AS comment,
       s."threadId" AS thread_id, s."output" AS answer, s."createdAt" AS created_at,
       s."metadata" AS metadata
FROM feedbacks f JOIN steps s ON s."id" = f."forId"
ORDER BY s."createdAt"
"""
_QUESTIONS_SQL = """
SELECT "threadId" AS thread_id, "output" AS question, "createdAt" AS created_at
FROM steps WHERE "type" = 'user_message' ORDER BY "createdAt"
"""
_THREADS_SQL = """
SELECT t."id" AS id, t."name" AS name, t."createdAt" AS created_at,
       COUNT(s."id") AS steps, MAX(s."createdAt") AS updated_at
FROM threads t LEFT JOIN steps s ON s."threadId" = t."id"
GROUP BY t."id", t."name", t."createdAt"
ORDER BY MAX(s."createdAt") DESC
LIMIT :limit
"""
_STEPS_SQL = """
SELECT s."id" AS id, s."type" AS type, s."output" AS output, s."createdAt" AS created_at,
       f."value" AS value, f."comment" AS comment
FROM steps s LEFT JOIN feedbacks f ON f."forId" = s."id"
WHERE s."threadId" = :thread_id AND s."type" IN ('user_message', 'assistant_message')
ORDER BY s."createdAt"
"""


def _json(value: Any) -> dict:
    if isinstance(value, dict):
        return value
    try:
        out = json.loads(value or "{}")
    except (TypeError, ValueError):
        return {}
    return out if isinstance(out, dict) else {}


async def _query(url: str, sql: str, **params: Any) -> list[dict]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            result = await conn.execute(sa.text(sql), params)
            return [{k: (str(v) if k.endswith("id") and v is not None else v)
                     for k, v in row._mapping.items()} for row in result]
    finally:
        await engine.dispose()


def _question_before(questions: list[dict], thread_id: str, when: str) -> str:
    previous = [q for q in questions if q["thread_id"] == thread_id
                and str(q["created_at"] or "") <= str(when or "")]
    return str(previous[-1]["question"]) if previous else ""


async def feedback_rows(url: str) -> list[dict]:
    """Every feedback with the question and the answer it rates, oldest first."""
    rows = await _query(url, _FEEDBACK_SQL)
    questions = await _query(url, _QUESTIONS_SQL) if rows else []
    out = []
    for row in rows:
        meta = _json(row["metadata"])
        out.append({
            "feedback_id": row["feedback_id"], "thread_id": row["thread_id"],
            "created_at": row["created_at"], "value": int(row["value"]),
            "rating": "up" if int(row["value"]) == 1 else "down",
            "comment": row["comment"] or "",
            "question": _question_before(questions, row["thread_id"], row["created_at"]),
            "answer": row["answer"] or "", "refused": bool(meta.get("refused")),
            "cited_sources": list(meta.get("cited_sources") or []),
        })
    return out


def as_golden(row: dict) -> dict:
    """A line for the golden set: thumbs up confirms the cited sources, down needs review."""
    if row["value"] == 1:
        kind = "out_of_scope" if row["refused"] else "in_scope"
        return {"q": row["question"], "expect_docs": row["cited_sources"], "kind": kind,
                "from": "feedback"}
    return {"q": row["question"], "expect_docs": [], "kind": "needs_review",
            "answer_docs": row["cited_sources"], "comment": row["comment"],
            "from": "feedback"}


def to_jsonl(rows: Iterable[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def to_csv(rows: Iterable[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=FIELDS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(dict(row, cited_sources=" ".join(row["cited_sources"])))
    return buf.getvalue()


async def recent_threads(url: str, limit: int = 200) -> list[dict]:
    return await _query(url, _THREADS_SQL, limit=limit)


async def thread_messages(url: str, thread_id: str) -> list[dict]:
    return await _query(url, _STEPS_SQL, thread_id=thread_id)
