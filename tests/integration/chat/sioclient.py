"""A minimal Chainlit 2.12 Socket.IO client: one chat session, questions in, events out.

Used by the integration tests and by bench/bench_chat.py."""

from __future__ import annotations

import asyncio
import datetime
import time
import uuid
from dataclasses import dataclass, field

import socketio

EVENTS = ["new_message", "stream_start", "stream_token", "update_message", "element",
          "task_start", "task_end", "chat_settings", "first_interaction"]


@dataclass
class Reply:
    question: str
    seconds: float
    first_token_s: float | None
    message: dict | None
    tokens: list[str] = field(default_factory=list)
    elements: list[dict] = field(default_factory=list)
    steps: list[dict] = field(default_factory=list)

    @property
    def streamed(self) -> str:
        return "".join(self.tokens)


class ChatClient:
    def __init__(self, base_url: str, client_type: str = "webapp") -> None:
        self.base_url, self.client_type = base_url, client_type
        self.session_id = str(uuid.uuid4())
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: list[tuple[str, dict, float]] = []
        self.thread_id: str | None = None
        for name in EVENTS:
            self.sio.on(name, self._recorder(name))

    def _recorder(self, name: str):
        async def record(data: dict | None = None) -> None:
            self.events.append((name, data or {}, time.perf_counter()))
            if name == "first_interaction":
                self.thread_id = (data or {}).get("thread_id")
        return record

    async def connect(self) -> ChatClient:
        await self.sio.connect(self.base_url, socketio_path="/ws/socket.io",
                               transports=["websocket"],
                               auth={"sessionId": self.session_id, "clientType": self.client_type,
                                     "userEnv": "{}", "chatProfile": None, "threadId": None})
        await self.sio.emit("connection_successful")
        await self._wait(lambda: any(e[0] == "chat_settings" for e in self.events), 10)
        return self

    async def _wait(self, done, timeout: float) -> None:
        deadline = time.perf_counter() + timeout
        while not done():
            if time.perf_counter() > deadline:
                raise TimeoutError("no reply from the chat server")
            await asyncio.sleep(0.01)

    async def ask(self, question: str, timeout: float = 30) -> Reply:
        start = len(self.events)
        t0 = time.perf_counter()
        msg = {"id": str(uuid.uuid4()), "threadId": self.thread_id or "", "name": "User",
               "type": "user_message", "output": question,
               "createdAt": datetime.datetime.now(datetime.UTC).isoformat()}
        await self.sio.emit("client_message", {"message": msg, "fileReferences": None})
        await self._wait(lambda: self._answered(start), timeout)
        new = self.events[start:]
        tokens = [d.get("output", "") for e, d, _ in new if e == "stream_start"]
        tokens += [d["token"] for e, d, _ in new if e == "stream_token"]
        first = next((t for e, _, t in new if e in ("stream_start", "stream_token")), None)
        answers = [d for e, d, _ in new if e == "new_message" and d.get("type") == "assistant_message"]
        steps = [d for e, d, _ in new if e in ("new_message", "update_message")
                 and d.get("type") == "retrieval"]
        return Reply(question, time.perf_counter() - t0, first - t0 if first else None,
                     answers[-1] if answers else None, tokens,
                     [d for e, d, _ in new if e == "element"], steps)

    def _answered(self, start: int) -> bool:
        """Our message's task has ended (task_start ... task_end after we sent it)."""
        names = [e[0] for e in self.events[start:]]
        return "task_start" in names and "task_end" in names[names.index("task_start"):]

    async def close(self) -> None:
        await self.sio.disconnect()
