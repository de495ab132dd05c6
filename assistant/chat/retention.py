"""Retention: conversations whose last message is older than N days are deleted.

Deletes the feedback, elements (and their stored files), steps and the thread itself. The
chat app runs it at start-up and then daily; the SQL works on SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

log = logging.getLogger(__name__)

_OLD_THREADS = """
SELECT t."id" AS id FROM threads t LEFT JOIN steps s ON s."threadId" = t."id"
GROUP BY t."id", t."createdAt"
HAVING COALESCE(MAX(s."createdAt"), t."createdAt", '') < :cutoff
"""


def cutoff_iso(days: int, now: datetime | None = None) -> str:
    """Chainlit stores times as ISO text ending in Z; ISO strings compare in time order."""
    now = now or datetime.now(UTC)
    return (now - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S")


async def purge_old_threads(url: str, days: int, files_root: Path | None = None,
                            now: datetime | None = None) -> int:
    """Delete conversations older than ``days``; returns how many were deleted."""
    if days <= 0:
        return 0
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            ids = [str(r[0]) for r in await conn.execute(
                sa.text(_OLD_THREADS), {"cutoff": cutoff_iso(days, now)})]
            for thread_id in ids:
                await _delete_thread(conn, thread_id, files_root)
    finally:
        await engine.dispose()
    if ids:
        log.info("retention: deleted %d conversations older than %d days", len(ids), days)
    return len(ids)


async def _delete_thread(conn, thread_id: str, files_root: Path | None) -> None:
    p = {"id": thread_id}
    keys = [r[0] for r in await conn.execute(
        sa.text('SELECT "objectKey" FROM elements WHERE "threadId" = :id'), p)]
    await conn.execute(sa.text('DELETE FROM feedbacks WHERE "forId" IN '
                               '(SELECT "id" FROM steps WHERE "threadId" = :id)'), p)
    await conn.execute(sa.text('DELETE FROM feedbacks WHERE "threadId" = :id'), p)
    await conn.execute(sa.text('DELETE FROM elements WHERE "threadId" = :id'), p)
    await conn.execute(sa.text('DELETE FROM steps WHERE "threadId" = :id'), p)
    await conn.execute(sa.text('DELETE FROM threads WHERE "id" = :id'), p)
    if files_root:
        root = Path(files_root).resolve()
        for key in filter(None, keys):
            path = (root / key).resolve()
            if path.is_relative_to(root) and path.is_file():
                path.unlink()
