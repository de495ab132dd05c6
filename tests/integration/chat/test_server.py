"""A real headless ``chainlit run`` driven over HTTP and Socket.IO (python-socketio)."""

from __future__ import annotations

import asyncio
import base64
import json
import re

import httpx

from assistant.chat.auth import hash_password
from assistant.settings import Settings

from .servers import ChatServer, chat_env
from .sioclient import ChatClient


async def _ask(url: str, *questions: str, client_type: str = "webapp"):
    client = await ChatClient(url, client_type).connect()
    try:
        return [await client.ask(q) for q in questions], client.thread_id, client.session_id
    finally:
        await client.close()


def test_socketio_question_gets_a_streamed_answer_with_linked_sources(server: ChatServer) -> None:
    (reply,), _, _ = asyncio.run(_ask(server.url, "Werkt een verbod op smartphones in de klas?"))
    assert len(reply.tokens) > 3, "the answer streams in pieces"
    message = reply.message
    assert message and reply.streamed.strip() == message["output"].strip()
    cited = set(re.findall(r"\[\d+\]", message["output"]))
    names = {e["name"] for e in reply.elements}
    assert cited and cited <= names
    assert all(e["forId"] == message["id"] and e["display"] == "side" for e in reply.elements)
    assert any(s["name"] == "Zoeken in de kennisbank" for s in reply.steps)
    assert reply.seconds < 2.0


def test_widget_session_answers_too(server: ChatServer) -> None:
    (reply,), _, _ = asyncio.run(_ask(server.url, "Helpt een plusklas?", client_type="copilot"))
    assert reply.message and reply.elements
    # the widget opens a source only when its [n] is clicked (Copilot auto-opens "side")
    assert {e["display"] for e in reply.elements} == {"page"}


def test_page_is_dutch_hardened_and_loads_nothing_from_other_hosts(server: ChatServer) -> None:
    page = httpx.get(server.url + "/").text
    assert '<html lang="nl">' in page and "<title>Kennisassistent</title>" in page
    assert not re.search(r'(href|src)="https?://', page), "no third-party font, css or script"
    tr = httpx.get(server.url + "/project/translations?language=en-US").json()["translation"]
    assert tr["chat"]["input"]["placeholder"].startswith("Stel je vraag")
    cfg = httpx.get(server.url + "/project/settings?language=nl-NL").json()
    assert len(cfg["starters"]) == 4 and cfg["dataPersistence"] is True
    assert "voer geen persoonsgegevens van leerlingen in" in cfg["markdown"].lower()
    features = cfg["features"]
    assert features["spontaneous_file_upload"]["enabled"] is False
    assert features["mcp"]["enabled"] is False and features["unsafe_allow_html"] is False
    assert httpx.get(server.url + "/copilot/index.js").status_code == 200


def test_cors_allows_only_configured_origins(server: ChatServer) -> None:
    def preflight(origin: str) -> httpx.Response:
        return httpx.options(server.url + "/api/ask", headers={
            "Origin": origin, "Access-Control-Request-Method": "POST"})
    assert preflight("http://localhost:8000").headers.get(
        "access-control-allow-origin") == "http://localhost:8000"
    assert "access-control-allow-origin" not in preflight("https://evil.example").headers


def test_api_ask_returns_the_cli_json_contract(server: ChatServer) -> None:
    r = httpx.post(server.url + "/api/ask", json={"question": "Heeft huiswerk zin in groep 6?",
                                                  "type": ["kennisrotonde"]}, timeout=30)
    assert r.status_code == 200
    body = r.json()
    assert {"question", "answer", "refused", "citations", "answerer", "timings_ms"} <= set(body)
    assert body["citations"] and all(c["doc_type"] == "kennisrotonde" for c in body["citations"])
    too_long = httpx.post(server.url + "/api/ask", json={"question": "x" * 5000})
    assert too_long.status_code == 413 and "te lang" in too_long.json()["error"]


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def feedback_round_trip(settings: Settings, data_dir, extra_env: dict[str, str]) -> None:
    """Thumbs down with a comment; restart the server; the export and staff page show it."""
    from click.testing import CliRunner

    from assistant.cli import main

    env = chat_env(settings, data_dir, NRO_STAFF_USERS=json.dumps({"anne": hash_password("geheim")}),
                   **extra_env)
    srv = ChatServer(env, data_dir / "server.log").start()
    try:
        (reply,), thread_id, session_id = asyncio.run(
            _ask(srv.url, "Heeft zittenblijven in het basisonderwijs zin?"))
        r = httpx.put(srv.url + "/feedback", json={"sessionId": session_id, "feedback": {
            "forId": reply.message["id"], "threadId": thread_id, "value": 0,
            "comment": "Te kort antwoord, mail me: piet@school.nl"}})
        assert r.status_code == 200, r.text
    finally:
        srv.stop()
    srv.start()  # same database, new process
    try:
        assert httpx.get(srv.url + "/staff").status_code == 401
        page = httpx.get(srv.url + f"/staff/gesprek/{thread_id}", headers=_basic("anne", "geheim"))
        assert page.status_code == 200
        assert "duim omlaag: Te kort antwoord" in page.text and "piet@school.nl" not in page.text
        overview = httpx.get(srv.url + "/staff", headers=_basic("anne", "geheim")).text
        assert "zittenblijven" in overview and "Te kort antwoord" in overview
        assert httpx.get(srv.url + "/staff", headers=_basic("anne", "fout")).status_code == 401
    finally:
        srv.stop()
    cli_env = {k: v for k, v in env.items() if k.startswith("NRO_")}
    out = CliRunner().invoke(main, ["feedback", "export", "--format", "jsonl"], env=cli_env)
    assert out.exit_code == 0, out.output
    rows = [json.loads(line) for line in out.output.splitlines()]
    row = next(r for r in rows if r["thread_id"] == thread_id)
    assert row["rating"] == "down" and row["comment"].startswith("Te kort antwoord")
    assert "[e-mailadres verwijderd]" in row["comment"]
    assert "zittenblijven" in row["question"] and "[1]" in row["answer"]
    csv_out = CliRunner().invoke(main, ["feedback", "export", "--format", "csv"], env=cli_env)
    assert csv_out.output.splitlines()[0].startswith("feedback_id,")
    assert "Te kort antwoord" in csv_out.output
    golden = CliRunner().invoke(main, ["feedback", "export", "--as-golden"], env=cli_env)
    line = json.loads(golden.output.splitlines()[-1])
    assert line["kind"] == "needs_review" and "zittenblijven" in line["q"]


def test_thumbs_down_survives_a_restart_and_is_exported_sqlite(answering: Settings,
                                                               tmp_path) -> None:
    feedback_round_trip(answering, tmp_path, {})


def test_resume_shows_the_stored_feedback(answering: Settings, tmp_path) -> None:
    """What the chat loads when a conversation is resumed carries the thumbs and comment."""
    from assistant.chat.datalayer import make_data_layer

    env = chat_env(answering, tmp_path)
    srv = ChatServer(env, tmp_path / "server.log").start()
    try:
        (reply,), thread_id, session_id = asyncio.run(_ask(srv.url, "Helpt een plusklas?"))
        httpx.put(srv.url + "/feedback", json={"sessionId": session_id, "feedback": {
            "forId": reply.message["id"], "threadId": thread_id, "value": 1,
            "comment": "Duidelijk"}}).raise_for_status()
    finally:
        srv.stop()
    settings = answering.model_copy(update={"database_url": env["NRO_DATABASE_URL"],
                                            "chat_files_dir": env["NRO_CHAT_FILES_DIR"]})

    async def load():
        layer = make_data_layer(settings)
        thread = await layer.get_thread(thread_id)
        files = [await layer.storage_provider.get_read_url(e["objectKey"])
                 for e in thread["elements"]]
        await layer.close()
        return thread, files
    thread, files = asyncio.run(load())
    answer = next(s for s in thread["steps"] if s["id"] == reply.message["id"])
    assert answer["feedback"]["value"] == 1 and answer["feedback"]["comment"] == "Duidelijk"
    assert {e["name"] for e in thread["elements"]} >= {e["name"] for e in reply.elements}
    assert all(f.startswith("/chat-files/") for f in files)


def test_thumbs_down_survives_a_restart_and_is_exported_postgresql(
        answering: Settings, postgres: str, tmp_path) -> None:  # noqa: ANN001
    feedback_round_trip(answering, tmp_path, {"NRO_DATABASE_URL": postgres})
