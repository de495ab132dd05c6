"""HTTP routes added to Chainlit's FastAPI app, and the third-party-free page template.

- ``POST /api/ask``: the ``nro ask --json`` object for ``{"question": ..., "history": [...],
  "sector": [...], "type": [...]}``, with a size limit and a per-client rate limit;
- ``GET /copilot/index.js``: the widget script, without its Google Fonts fallback;
- ``GET /chat-files/...``: files of stored source elements (see :mod:`assistant.chat.storage`);
- ``GET /staff`` and ``/staff/gesprek/{id}``: conversations and feedback for NRO staff
  (login from settings, see :mod:`assistant.chat.auth`);
- :func:`strip_third_party` removes the Google-font and jsdelivr links that Chainlit's
  ``index.html`` always carries, so a visitor's browser contacts no one else.
"""

from __future__ import annotations

import asyncio
import functools
import html
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from assistant.chat import auth, feedback
from assistant.chat.datalayer import database_url, files_dir
from assistant.chat.ratelimit import RateLimiter
from assistant.privacy import redact
from assistant.retrieve import Filters
from assistant.service import Turn
from assistant.settings import Settings

MAX_BODY_BYTES = 64_000
_EXTERNAL_LINK = re.compile(r"<link\b[^>]*href=\"https?://[^\"]*\"[^>]*/?>\s*", re.IGNORECASE)
_EXTERNAL_SCRIPT = re.compile(r"<script\b[^>]*src=\"https?://[^\"]*\"[^>]*>\s*</script>\s*",
                              re.IGNORECASE)


def strip_third_party(page: str) -> str:
    """Remove stylesheets, preconnects and scripts that point at another host."""
    page = page.replace('<html lang="en">', '<html lang="nl">', 1)
    return _EXTERNAL_SCRIPT.sub("", _EXTERNAL_LINK.sub("", page))


def patch_index_html() -> None:
    """Make Chainlit serve its page without links to Google Fonts or cdn.jsdelivr.net."""
    from chainlit import server

    original = server.get_html_template
    if getattr(original, "_nro_patched", False):
        return

    def template(root_path: str) -> str:
        return strip_third_party(original(root_path))

    template._nro_patched = True  # type: ignore[attr-defined]
    server.get_html_template = template


GOOGLE_INTER = "https://fonts.googleapis.com/css2?family=Inter:wght@400;500;700&display=swap"


@functools.lru_cache(maxsize=1)
def copilot_script() -> bytes:
    """Chainlit's widget script without its fallback to Google Fonts.

    With ``custom_fonts: []`` in theme.json the 2.12 widget adds a stylesheet link to Google
    Fonts into the host page; an empty data: stylesheet takes its place (system fonts).
    """
    import chainlit.server as server

    raw = (Path(server.copilot_build_dir) / "index.js").read_bytes()
    return raw.replace(GOOGLE_INTER.encode(), b"data:text/css,")


def widget_router() -> APIRouter:
    router = APIRouter()

    @router.get("/copilot/index.js")
    async def widget_js() -> Response:
        return Response(copilot_script(), media_type="application/javascript",
                        headers={"Cache-Control": "public, max-age=3600"})

    return router


def client_key(request: Request, settings: Settings) -> str:
    if settings.api_trust_forwarded:
        forwarded = request.headers.get("x-forwarded-for", "").split(",")[0].strip()
        if forwarded:
            return forwarded
    return request.client.host if request.client else "unknown"


def _error(status: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def parse_ask(body: dict[str, Any], settings: Settings) -> tuple[str, list[Turn], Filters]:
    """Validate an /api/ask body; raises ValueError with a Dutch message."""
    question = body.get("question")
    if not isinstance(question, str) or not question.strip():
        raise ValueError("Geef een vraag op in het veld 'question'.")
    if len(question) > settings.api_max_question_chars:
        raise OverflowError(f"De vraag is te lang (maximaal {settings.api_max_question_chars} "
                            "tekens).")
    history = []
    for turn in body.get("history") or []:
        if not isinstance(turn, dict) or turn.get("role") not in ("user", "assistant"):
            raise ValueError("'history' is een lijst van {\"role\": \"user\"|\"assistant\", "
                             "\"content\": \"...\"}.")
        history.append(Turn(turn["role"], redact(str(turn.get("content") or ""))[:4000]))

    def strings(key: str) -> tuple[str, ...]:
        value = body.get(key) or []
        return tuple(str(v) for v in ([value] if isinstance(value, str) else value))

    return redact(question), history[-10:], Filters(sectors=strings("sector"),
                                                    doc_types=strings("type"))


def api_router(settings: Settings, answer_fn: Callable[..., Any],
               limiter: RateLimiter | None = None) -> APIRouter:
    """``answer_fn(question, history, filters)`` is the thread-safe, blocking answering call."""
    router = APIRouter()
    limiter = limiter or RateLimiter(settings.api_rate_per_minute)

    @router.post("/api/ask")
    async def ask(request: Request) -> JSONResponse:
        allowed, wait = limiter.allow(client_key(request, settings))
        if not allowed:
            return _error(429, "Te veel vragen in korte tijd; probeer het zo opnieuw.",
                          **{"Retry-After": str(int(wait) + 1)})
        raw = await request.body()
        if len(raw) > MAX_BODY_BYTES:
            return _error(413, "Het verzoek is te groot.")
        try:
            body = json.loads(raw or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _error(400, "Ongeldige JSON.")
        try:
            if not isinstance(body, dict):
                raise ValueError("Stuur een JSON-object.")
            question, history, filters = parse_ask(body, settings)
        except OverflowError as exc:
            return _error(413, str(exc))
        except ValueError as exc:
            return _error(400, str(exc))
        answer = await asyncio.to_thread(answer_fn, question, history, filters)
        return JSONResponse(answer.to_json())

    return router


def files_router(settings: Settings) -> APIRouter:
    router = APIRouter()
    root = files_dir(settings).resolve()

    @router.get("/chat-files/{key:path}")
    async def chat_file(key: str) -> FileResponse:
        path = (root / key).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            raise HTTPException(404, "Bestand niet gevonden")
        media = "application/pdf" if path.read_bytes()[:5] == b"%PDF-" else "text/plain"
        return FileResponse(path, media_type=media, headers={"X-Content-Type-Options": "nosniff"})

    return router


_PAGE = """<!doctype html><html lang="nl"><head><meta charset="utf-8">
<title>{title}</title><style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;
padding:0 1rem}} td,th{{text-align:left;vertical-align:top;padding:.3rem .6rem;border-bottom:1px solid #ddd}}
.down{{color:#a00}} .up{{color:#070}} pre{{white-space:pre-wrap;font-family:inherit}}</style></head>
<body><h1>{title}</h1>{body}</body></html>"""


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=html.escape(title), body=body),
                        headers={"Cache-Control": "no-store"})


def staff_router(settings: Settings) -> APIRouter:
    router = APIRouter()
    url = database_url(settings)

    def require(request: Request) -> str:
        if not auth.staff_enabled(settings):
            raise HTTPException(404, "Niet gevonden")
        user = auth.staff_user(request.headers, settings)
        if not user:
            raise HTTPException(401, "Log in als medewerker van het NRO",
                                headers={"WWW-Authenticate": 'Basic realm="NRO staff"'})
        return user

    @router.get("/staff")
    async def overview(request: Request) -> HTMLResponse:
        user = require(request)
        rows = sorted(await feedback.feedback_rows(url), key=lambda r: (r["value"], r["created_at"] or ""))
        fb = "".join(
            f'<tr><td class="{r["rating"]}">{"duim omlaag" if r["value"] == 0 else "duim omhoog"}'
            f'</td><td>{html.escape(r["question"])}</td><td>{html.escape(r["comment"])}</td>'
            f'<td><a href="staff/gesprek/{html.escape(r["thread_id"])}">gesprek</a></td></tr>'
            for r in rows)
        threads = "".join(
            f'<tr><td>{html.escape(str(t["updated_at"] or t["created_at"] or ""))[:16]}</td>'
            f'<td><a href="staff/gesprek/{html.escape(t["id"])}">'
            f'{html.escape(str(t["name"] or "(zonder titel)"))}</a></td><td>{t["steps"]}</td></tr>'
            for t in await feedback.recent_threads(url))
        body = (f"<p>Ingelogd als {html.escape(user)}.</p><h2>Feedback</h2>"
                f"<table><tr><th>Oordeel</th><th>Vraag</th><th>Toelichting</th><th></th></tr>"
                f"{fb or '<tr><td colspan=4>Nog geen feedback.</td></tr>'}</table>"
                f"<h2>Gesprekken</h2><table><tr><th>Laatst</th><th>Gesprek</th><th>Stappen</th>"
                f"</tr>{threads}</table>")
        return _page("Kennisassistent: feedback en gesprekken", body)

    @router.get("/staff/gesprek/{thread_id}")
    async def conversation(thread_id: str, request: Request) -> HTMLResponse:
        require(request)
        try:
            messages = await feedback.thread_messages(url, thread_id)
        except Exception:  # noqa: BLE001 - e.g. not a UUID on PostgreSQL
            messages = []
        if not messages:
            raise HTTPException(404, "Gesprek niet gevonden")
        parts = []
        for m in messages:
            who = "Vraag" if m["type"] == "user_message" else "Antwoord"
            rating = ""
            if m["value"] is not None:
                label = "duim omhoog" if int(m["value"]) == 1 else "duim omlaag"
                cls = "up" if int(m["value"]) == 1 else "down"
                rating = (f'<p class="{cls}">Feedback: {label}'
                          f'{": " + html.escape(m["comment"]) if m["comment"] else ""}</p>')
            parts.append(f"<h3>{who}</h3><pre>{html.escape(str(m['output'] or ''))}</pre>{rating}")
        return _page("Gesprek", '<p><a href="../../staff">terug</a></p>' + "".join(parts))

    return router


def ready_router(is_ready: Callable[[], bool]) -> APIRouter:
    router = APIRouter()

    @router.get("/api/ready")
    async def ready() -> JSONResponse:
        """200 once the index is open and the model loaded (for load balancers and tests)."""
        ok = is_ready()
        return JSONResponse({"ready": ok}, status_code=200 if ok else 503)

    return router


def install(app: FastAPI, settings: Settings, ask: Callable[..., Any],
            is_ready: Callable[[], bool] = lambda: True) -> None:
    """Add the routes in front of Chainlit's catch-all page route."""
    if getattr(app.state, "nro_routes", False):
        return
    app.state.nro_routes = True
    new = APIRouter()
    for router in (api_router(settings, ask), files_router(settings),
                   staff_router(settings), ready_router(is_ready), widget_router()):
        new.include_router(router)
    before = len(app.router.routes)
    app.include_router(new)
    added = app.router.routes[before:]
    del app.router.routes[before:]
    app.router.routes[0:0] = added

