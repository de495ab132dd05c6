"""A local-folder storage client, so that Chainlit persists the elements of stored messages.

Chainlit's SQLAlchemy data layer keeps an element (a source panel, a PDF) only when a storage
client accepts its bytes; the bundled clients are cloud services. This one writes into a
folder and hands out URLs under ``/chat-files/`` that :mod:`assistant.chat.web` serves.
For several instances, point ``NRO_CHAT_FILES_DIR`` at a shared volume.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import quote

from chainlit.data.storage_clients.base import BaseStorageClient

URL_PREFIX = "/chat-files/"


class LocalStorageClient(BaseStorageClient):
    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def path_of(self, object_key: str) -> Path:
        """The file of an object key; refuses keys that would leave the folder."""
        path = (self.root / object_key).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise ValueError(f"object key outside the storage folder: {object_key!r}")
        return path

    async def upload_file(self, object_key: str, data: bytes | str,
                          mime: str = "application/octet-stream", overwrite: bool = True,
                          content_disposition: str | None = None) -> dict[str, Any]:
        path = self.path_of(object_key)
        if path.exists() and not overwrite:
            return {"object_key": object_key, "url": await self.get_read_url(object_key)}
        raw = data.encode("utf-8") if isinstance(data, str) else data
        await asyncio.to_thread(_write, path, raw)
        return {"object_key": object_key, "url": await self.get_read_url(object_key)}

    async def delete_file(self, object_key: str) -> bool:
        try:
            path = self.path_of(object_key)
        except ValueError:
            return False
        if not path.is_file():
            return False
        path.unlink()
        for parent in path.parents:  # tidy empty folders up to the root
            if parent == self.root or any(parent.iterdir()):
                break
            parent.rmdir()
        return True

    async def get_read_url(self, object_key: str) -> str:
        return URL_PREFIX + quote(object_key)

    async def close(self) -> None:
        return None


def _write(path: Path, raw: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(raw)
    tmp.replace(path)
