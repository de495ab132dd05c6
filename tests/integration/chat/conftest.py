"""Fixtures for the chat: settings on the fast bag-of-words index, the app under a fake
Chainlit context, and a real headless ``chainlit run`` on a free loopback port."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from unittest.mock import Mock

import pytest

from assistant.settings import Settings

from .servers import CORPUS, ChatServer, chat_env


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
def app_module(answering: Settings):
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


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """URL of a PostgreSQL database on a server started for the tests."""
    from .postgres import Postgres

    pg = Postgres().start()
    yield pg.url
    pg.stop()
