"""What one chat server process holds: settings, the answering core, the history database.

The index is opened once, on the first question (not at import, so the server starts fast
and a missing index gives a plain Dutch message instead of a crash). Answers are computed one
at a time per process: the core is CPU-bound and its embedding engine is not known to be
thread-safe, so a lock is both safer and no slower on two cores.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Callable, Sequence

from assistant.answer import Answer
from assistant.chat.datalayer import database_url, files_dir
from assistant.chat.retention import purge_old_threads
from assistant.chat.schema import ensure_schema
from assistant.retrieve import Filters
from assistant.service import Assistant, Turn
from assistant.settings import Settings

log = logging.getLogger(__name__)
DAY_S = 24 * 3600


class ChatRuntime:
    def __init__(self, settings: Settings, assistant: Assistant | None = None) -> None:
        self.settings = settings
        self._assistant = assistant
        self._open_lock = threading.Lock()
        self._ask_lock = threading.Lock()
        self.ready = False

    @property
    def assistant(self) -> Assistant:
        with self._open_lock:
            if self._assistant is None:
                self._assistant = Assistant(self.settings)
            return self._assistant

    def warm_up(self) -> bool:
        """Open the index and load the embedding model before the first visitor asks."""
        try:
            self.assistant.retriever.search("huiswerk in de basisschool")
        except Exception:  # noqa: BLE001 - a missing index is reported when someone asks
            log.warning("warm-up failed; the index is opened on the first question",
                        exc_info=True)
            return False
        finally:
            self.ready = True
        return True

    def ask(self, question: str, history: Sequence[Turn] = (), filters: Filters | None = None,
            on_token: Callable[[str], None] | None = None) -> Answer:
        """Blocking; call it with ``asyncio.to_thread``."""
        assistant = self.assistant
        with self._ask_lock:
            return assistant.ask(question, history=list(history), filters=filters,
                                 on_token=on_token)

    @property
    def database_url(self) -> str:
        return database_url(self.settings)

    def ensure_schema_blocking(self) -> list[str]:
        """Create/upgrade the chat tables; safe to call inside or outside an event loop."""
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, ensure_schema(self.database_url)).result()

    async def purge_old(self) -> int:
        return await purge_old_threads(self.database_url, self.settings.retention_days,
                                       files_dir(self.settings))

    async def retention_loop(self) -> None:
        """Delete old conversations now and then once a day."""
        while True:
            try:
                await self.purge_old()
            except Exception:
                log.exception("retention run failed")
            await asyncio.sleep(DAY_S)
