"""Chat history and feedback: Chainlit's SQLAlchemy data layer, with redaction and local files.

The URL comes from settings (``NRO_DATABASE_URL``; empty: a SQLite file in the index folder).
Everything a visitor typed (questions, thread names, feedback comments, session data) passes
through :func:`assistant.privacy.redact` before it is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
from chainlit.types import Feedback

from assistant.chat.storage import LocalStorageClient
from assistant.privacy import redact
from assistant.settings import Settings


def database_url(settings: Settings) -> str:
    """The async SQLAlchemy URL of the chat database."""
    url = settings.database_url.strip()
    if not url:
        path = (Path(settings.index_dir) / "chat.sqlite").resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{path}"
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+asyncpg://" + url[len(plain):]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///"):]
    return url


def files_dir(settings: Settings) -> Path:
    return Path(settings.chat_files_dir or Path(settings.index_dir) / "chat-files")


def redact_deep(value: Any) -> Any:
    """Redact every string inside dicts and lists."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_deep(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_deep(v) for v in value]
    return value


class RedactingDataLayer(SQLAlchemyDataLayer):
    """SQLAlchemyDataLayer that never stores e-mail addresses, phone numbers or BSNs."""

    async def create_step(self, step_dict):  # type: ignore[no-untyped-def]
        step_dict = dict(step_dict)
        for key in ("input", "output", "name"):
            if isinstance(step_dict.get(key), str):
                step_dict[key] = redact(step_dict[key])
        return await super().create_step(step_dict)  # type: ignore[arg-type]

    async def update_thread(self, thread_id: str, name: str | None = None,
                            user_id: str | None = None, metadata: dict | None = None,
                            tags: list[str] | None = None) -> None:
        await super().update_thread(thread_id, name=redact(name) if name else name,
                                    user_id=user_id, metadata=redact_deep(metadata),
                                    tags=tags)

    async def upsert_feedback(self, feedback: Feedback) -> str:
        if feedback.comment:
            feedback.comment = redact(feedback.comment)
        return await super().upsert_feedback(feedback)


def make_data_layer(settings: Settings) -> RedactingDataLayer:
    storage = LocalStorageClient(files_dir(settings))
    return RedactingDataLayer(conninfo=database_url(settings), storage_provider=storage)
