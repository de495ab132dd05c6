"""The plain parts of the chat: rendering, redaction, rate limit, login, API, storage,
schema upgrade and retention (no Chainlit server, no index)."""

from __future__ import annotations

import asyncio
import base64
import sqlite3
from datetime import datetime, timedelta, UTC
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.answer import Answer
from assistant.chat import render
from assistant.chat.auth import hash_password, staff_user, verify_password
from assistant.chat.ratelimit import RateLimiter
from assistant.chat.retention import purge_old_threads
from assistant.chat.schema import ensure_schema
from assistant.chat.storage import LocalStorageClient
from assistant.chat.web import api_router, strip_third_party
from assistant.privacy import redact
from assistant.settings import Settings

HOSTILE = ('Tekst <script>alert(1)</script> <img src=x onerror=alert(2)> '
           '![teller](https://tracker.example/p.png) \\![x](https://tracker.example/q.png)')


def test_inert_markdown_has_no_tags_and_no_images() -> None:
    out = render.inert(HOSTILE)
    assert "<" not in out and "&lt;script>" in out
    assert "![" not in out.replace("\\!\\[", "")
    # streamed piece by piece (even one character at a time) it stays inert
    pieces = "".join(render.inert(c) for c in HOSTILE)
    assert "<" not in pieces and "](https://tracker" in pieces and "\\!" in pieces


def test_stream_pieces_rebuild_the_text() -> None:
    text = "Eerste zin [1].\n\n**Bronnen**\n\n[1] Kennisrotonde-antwoord"
    pieces = render.stream_pieces(text, words=2)
    assert "".join(pieces) == text and len(pieces) > 2


def test_filters_follow_the_chat_settings_labels() -> None:
    assert render.filters_from({"sector": "Alle sectoren", "doc_type": "Alle kennisproducten"}) is None
    f = render.filters_from({"sector": "Mbo", "doc_type": "Guidance reports"})
    assert f.sectors == ("mbo",) and f.doc_types == ("guidance",)


def test_refusal_message_links_the_form() -> None:
    url = "https://www.nro.nl/kennisrotonde/vraag-stellen"
    answer = Answer("Lasagne?", f"Stel je vraag via het formulier: {url}", True, [])
    assert f"[{url}]({url})" in render.message_markdown(answer, url)


@pytest.mark.parametrize(("text", "gone"), [
    ("mail naar jan.de.vries@school.nl graag", "jan.de.vries@school.nl"),
    ("bel 06-12345678 of +31 20 123 4567", "06-12345678"),
    ("zijn BSN is 111222333", "111222333"),
])
def test_redaction_removes_personal_data(text: str, gone: str) -> None:
    assert gone not in redact(text)


def test_redaction_keeps_ordinary_nine_digit_numbers() -> None:
    assert "123456789" in redact("projectnummer 123456789")  # fails the elfproef


def test_rate_limit_per_client_and_window() -> None:
    now = [0.0]
    limiter = RateLimiter(3, clock=lambda: now[0])
    assert [limiter.allow("a")[0] for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")[0]
    now[0] = 61.0
    assert limiter.allow("a")[0]


def test_staff_login_by_password_hash_or_sso_header() -> None:
    stored = hash_password("geheim")
    assert verify_password("geheim", stored) and not verify_password("fout", stored)
    settings = Settings(_env_file=None, staff_users={"anne": stored},
                        staff_header="X-Forwarded-User")
    basic = "Basic " + base64.b64encode(b"anne:geheim").decode()
    assert staff_user({"authorization": basic}, settings) == "anne"
    wrong = "Basic " + base64.b64encode(b"anne:fout").decode()
    assert staff_user({"authorization": wrong}, settings) is None
    assert staff_user({"X-Forwarded-User": "piet"}, settings) == "piet"
    assert staff_user({"X-Forwarded-User": "piet"}, Settings(_env_file=None)) is None


def test_page_template_loses_third_party_links() -> None:
    page = ('<html lang="en"><link rel="preconnect" href="https://fonts.googleapis.com" />'
            '<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/katex/katex.min.css"/>'
            '<link rel="stylesheet" href="/assets/app.css">')
    out = strip_third_party(page)
    assert "googleapis" not in out and "jsdelivr" not in out and "/assets/app.css" in out
    assert '<html lang="nl">' in out


class _FakeAnswer:
    def __init__(self, q: str) -> None:
        self.q = q

    def to_json(self) -> dict:
        return {"question": self.q, "answer": "Antwoord [1]", "refused": False, "citations": []}


def _api(per_minute: int = 30) -> tuple[TestClient, list]:
    asked: list = []

    def ask(question, history, filters):  # noqa: ANN001, ANN202
        asked.append((question, history, filters))
        return _FakeAnswer(question)
    app = FastAPI()
    app.include_router(api_router(Settings(_env_file=None, api_max_question_chars=50,
                                           api_rate_per_minute=per_minute), ask))
    return TestClient(app), asked


def test_api_ask_validates_redacts_and_passes_filters() -> None:
    client, asked = _api()
    r = client.post("/api/ask", json={"question": "Werkt huiswerk? piet@x.nl", "sector": "po",
                                      "type": ["kennisrotonde"],
                                      "history": [{"role": "user", "content": "Vorige vraag"}]})
    assert r.status_code == 200 and r.json()["answer"] == "Antwoord [1]"
    question, history, filters = asked[0]
    assert "piet@x.nl" not in question and history[0].content == "Vorige vraag"
    assert filters.sectors == ("po",) and filters.doc_types == ("kennisrotonde",)
    assert client.post("/api/ask", json={"question": "x" * 51}).status_code == 413
    assert client.post("/api/ask", json={}).status_code == 400
    assert client.post("/api/ask", content=b"{niet json").status_code == 400
    assert client.post("/api/ask", json={"question": "a", "history": ["x"]}).status_code == 400


def test_api_ask_rate_limit_answers_429_with_retry_after() -> None:
    client, _ = _api(per_minute=2)
    codes = [client.post("/api/ask", json={"question": "Werkt huiswerk?"}).status_code
             for _ in range(3)]
    assert codes == [200, 200, 429]
    r = client.post("/api/ask", json={"question": "Werkt huiswerk?"})
    assert int(r.headers["retry-after"]) > 0 and "Te veel vragen" in r.json()["error"]


def test_local_storage_round_trip_and_no_escape(tmp_path: Path) -> None:
    store = LocalStorageClient(tmp_path)
    up = asyncio.run(store.upload_file("u/e1/[1]", "tekst", "text/plain"))
    assert up["url"] == "/chat-files/u/e1/%5B1%5D" and (tmp_path / "u/e1/[1]").read_text() == "tekst"
    assert asyncio.run(store.delete_file("u/e1/[1]")) and not (tmp_path / "u").exists()
    with pytest.raises(ValueError):
        asyncio.run(store.upload_file("../buiten", b"x"))


STALE_DDL = [  # the DDL from Chainlit's documentation, which 2.12 outgrew
    'CREATE TABLE threads ("id" TEXT PRIMARY KEY, "createdAt" TEXT, "name" TEXT, "userId" TEXT, '
    '"userIdentifier" TEXT, "tags" TEXT, "metadata" TEXT)',
    'CREATE TABLE steps ("id" TEXT PRIMARY KEY, "name" TEXT NOT NULL, "type" TEXT NOT NULL, '
    '"threadId" TEXT NOT NULL, "parentId" TEXT, "streaming" BOOLEAN NOT NULL, "waitForAnswer" '
    'BOOLEAN, "isError" BOOLEAN, "metadata" TEXT, "tags" TEXT, "input" TEXT, "output" TEXT, '
    '"createdAt" TEXT, "start" TEXT, "end" TEXT, "generation" TEXT, "showInput" TEXT, '
    '"language" TEXT, "indent" INT)',
]


def test_schema_upgrade_adds_what_chainlit_2_12_writes(tmp_path: Path) -> None:
    db = tmp_path / "chat.sqlite"
    with sqlite3.connect(db) as conn:
        for ddl in STALE_DDL:
            conn.execute(ddl)
    changes = asyncio.run(ensure_schema(f"sqlite+aiosqlite:///{db}"))
    assert "added steps.defaultOpen" in changes and "created elements" in changes
    assert asyncio.run(ensure_schema(f"sqlite+aiosqlite:///{db}")) == []  # idempotent
    with sqlite3.connect(db) as conn:
        cols = {r[1] for r in conn.execute("PRAGMA table_info(elements)")}
    assert {"props", "autoPlay", "playerConfig"} <= cols


def test_retention_deletes_only_old_conversations_and_their_files(tmp_path: Path) -> None:
    db, files = tmp_path / "chat.sqlite", tmp_path / "files"
    url = f"sqlite+aiosqlite:///{db}"
    asyncio.run(ensure_schema(url))
    now = datetime(2026, 6, 1, tzinfo=UTC)
    old, new = (now - timedelta(days=200)).isoformat(), (now - timedelta(days=3)).isoformat()
    (files / "u").mkdir(parents=True)
    (files / "u" / "e-old").write_text("x")
    with sqlite3.connect(db) as conn:
        conn.execute('INSERT INTO threads ("id", "createdAt") VALUES (?, ?), (?, ?)',
                     ("t-old", old, "t-new", new))
        conn.execute('INSERT INTO steps ("id", "name", "type", "threadId", "streaming", '
                     '"createdAt") VALUES (?,?,?,?,?,?), (?,?,?,?,?,?)',
                     ("s1", "u", "user_message", "t-old", False, old,
                      "s2", "u", "user_message", "t-new", False, new))
        conn.execute('INSERT INTO feedbacks ("id", "forId", "threadId", "value") '
                     "VALUES ('f1', 's1', 't-old', 0)")
        conn.execute('INSERT INTO elements ("id", "threadId", "name", "objectKey") '
                     "VALUES ('e1', 't-old', '[1]', 'u/e-old')")
    assert asyncio.run(purge_old_threads(url, 180, files, now=now)) == 1
    with sqlite3.connect(db) as conn:
        assert [r[0] for r in conn.execute("SELECT id FROM threads")] == ["t-new"]
        assert conn.execute("SELECT COUNT(*) FROM feedbacks").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM steps").fetchone()[0] == 1
    assert not (files / "u" / "e-old").exists()
