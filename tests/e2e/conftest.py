"""Browser tests: Debian's chromium driven by Playwright for Python against a real chat server.

The index is the bundled corpus plus one hostile document (a <script>, an inline event
handler and a Markdown image on an outside host), built with bag-of-words embeddings. Every
request the browser makes to a host other than 127.0.0.1 is recorded and blocked.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

from assistant.settings import Settings
from tests.conftest import make_settings
from tests.integration.chat.servers import ChatServer, chat_env, free_port

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
HOSTILE = """---
title: "Helpt een schoolmoestuin bij leesplezier?"
doc_type: kennisrotonde
kr_number: 9999
url: https://www.nro.nl/voorbeeld/kennisrotonde/kr-9999
published: 2024-02-01
sectors: [po]
themes: [schoolmoestuin]
---
# Helpt een schoolmoestuin bij leesplezier?

## Kort antwoord
Een schoolmoestuin vergroot het leesplezier van leerlingen niet aantoonbaar, maar de moestuin
maakt leerlingen wel nieuwsgierig naar boeken over planten. <script>window.__pwned = 1;</script>
Leerlingen die in de schoolmoestuin werken, lezen vaker informatieve teksten over tuinieren.
<img src="x" onerror="window.__pwned = 2"> Het onderzoek naar de schoolmoestuin is beperkt.
![teller](https://tracker.example/pixel.png) De schoolmoestuin blijft populair op basisscholen.
"""


@pytest.fixture(scope="session")
def e2e_index(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    from ingest.pipeline import Ingestor

    base = tmp_path_factory.mktemp("e2e")
    corpus = base / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    (corpus / "kennisrotonde" / "kr-9999-schoolmoestuin.md").write_text(HOSTILE, encoding="utf-8")
    settings = make_settings(base / "index", embeddings="fake-bow", refusal_threshold=0.0,
                             sources_dir=corpus)
    summary = Ingestor(settings).run([corpus], progress=False)
    assert not summary.errors, summary.errors
    return settings


class HostPage:
    """examples/website served on its own origin, like the NRO site would be."""

    def __init__(self) -> None:
        handler = functools.partial(_QuietHandler, directory=str(ROOT / "examples" / "website"))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def host_page() -> Iterator[HostPage]:
    page = HostPage()
    yield page
    page.httpd.shutdown()


@pytest.fixture(scope="session")
def e2e_server(e2e_index: Settings, host_page: HostPage,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChatServer]:
    data = tmp_path_factory.mktemp("e2e-server")
    env = chat_env(e2e_index, data, NRO_SOURCES_DIR=str(e2e_index.sources_dir),
                   NRO_ALLOW_ORIGINS=f'["{host_page.origin}"]', NRO_STREAM_DELAY_MS="10")
    server = ChatServer(env, data / "server.log").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():  # noqa: ANN201
    """Module-scoped: one sync Playwright at a time (other e2e modules start their own)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS,
                               headless=True)
        yield b
        b.close()


class Visit:
    """A browser context that blocks and records requests to any host but 127.0.0.1."""

    def __init__(self, browser) -> None:  # noqa: ANN001
        self.outside: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900},
                                           locale="nl-NL")
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _route(self, route) -> None:  # noqa: ANN001
        host = urlparse(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        self.page.screenshot(path=str(path), full_page=False)
        return path


@pytest.fixture
def visit(browser) -> Iterator[Visit]:  # noqa: ANN001
    v = Visit(browser)
    yield v
    v.context.close()
