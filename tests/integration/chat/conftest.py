"""Fixtures for the chat: settings on the fast bag-of-words index, the app under a fake
Chainlit context, and a real headless ``chainlit run`` on a free loopback port."""

from __future__ import annotations

import importlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator
from unittest.mock import Mock

import httpx
import pytest

from assistant.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "corpus"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chat_env(settings: Settings, data_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for a chat server process on ``settings``' index."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NRO_")}
    env.update({
        "NRO_INDEX_DIR": str(settings.index_dir), "NRO_EMBEDDINGS": settings.embeddings,
        "NRO_GAPS_LOG": str(data_dir / "gaps.jsonl"),
        "NRO_DATABASE_URL": f"sqlite+aiosqlite:///{data_dir / 'chat.sqlite'}",
        "NRO_CHAT_FILES_DIR": str(data_dir / "files"), "NRO_SOURCES_DIR": str(CORPUS),
        "NRO_REFUSAL_THRESHOLD": str(settings.refusal_threshold),
        "NRO_STREAM_DELAY_MS": "5", "ANONYMIZED_TELEMETRY": "False",
    })
    env.update(extra)
    return env


class ChatServer:
    """``chainlit run assistant/chat/app.py --headless`` on 127.0.0.1, stoppable and restartable."""

    def __init__(self, env: dict[str, str], log: Path, port: int | None = None) -> None:
        self.env, self.log, self.port = env, log, port or free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "ChatServer":
        cmd = [sys.executable, "-m", "chainlit", "run", "assistant/chat/app.py", "--headless",
               "--host", "127.0.0.1", "--port", str(self.port)]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=open(self.log, "ab"),
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chat server exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"chat server did not start: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def rss_kb(self) -> int:
        status = Path(f"/proc/{self.proc.pid}/status").read_text() if self.proc else ""
        line = next((ln for ln in status.splitlines() if ln.startswith("VmRSS")), "VmRSS: 0 kB")
        return int(line.split()[1])


@pytest.fixture(scope="session")
def answering(bow_index: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Bag-of-words index that always answers (its relevance scores are not calibrated)."""
    data = tmp_path_factory.mktemp("chat-data")
    return bow_index.model_copy(update={
        "refusal_threshold": 0.0, "stream_delay_ms": 0.0, "sources_dir": CORPUS,
        "database_url": f"sqlite+aiosqlite:///{data / 'chat.sqlite'}",
        "chat_files_dir": str(data / "files"), "gaps_log": data / "gaps.jsonl"})


@pytest.fixture(scope="session")
def refusing(answering: Settings) -> Settings:
    """The same index with the default threshold: on bag-of-words it refuses every question."""
    return answering.model_copy(update={"refusal_threshold": 0.5})


@pytest.fixture(scope="session")
def app_module(answering: Settings):  # noqa: ANN201
    """assistant.chat.app imported with its settings pointing at the test index."""
    saved = dict(os.environ)
    os.environ.update({"NRO_INDEX_DIR": str(answering.index_dir),
                       "NRO_EMBEDDINGS": answering.embeddings,
                       "NRO_DATABASE_URL": answering.database_url,
                       "NRO_CHAT_FILES_DIR": answering.chat_files_dir})
    try:
        app = importlib.import_module("assistant.chat.app")
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return app


@pytest.fixture(scope="session")
def server(answering: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChatServer]:
    data = tmp_path_factory.mktemp("chat-server")
    srv = ChatServer(chat_env(answering, data), data / "server.log").start()
    yield srv
    srv.stop()


def fake_session(chat_settings: dict | None = None) -> Mock:
    from chainlit.session import WebsocketSession

    s = Mock(spec=WebsocketSession)
    s.id, s.thread_id, s.user = "sess-1", "5d3e1c59-0000-4000-8000-000000000001", None
    s.client_type, s.has_first_interaction, s.files = "webapp", True, {}
    s.chat_settings, s.chat_profile, s.user_env = chat_settings or {}, None, {}
    s.environ, s.token, s.languages = None, None, None
    return s
