"""``nro serve``: make sure there is an index, then run the chat headless with Chainlit.

An empty index is filled from the bundled ``corpus/`` first (a few minutes with the real e5
embeddings on two cores; later starts reuse it). Chainlit reads ``.chainlit/``, ``public/``
and ``chainlit.md`` from its working directory, so the server runs from the project root.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from assistant.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
APP = Path(__file__).resolve().parent / "app.py"


def index_is_empty(settings: Settings) -> bool:
    from assistant.status import index_status

    return not index_status(settings)["chunks_total"]


def ensure_index(settings: Settings, corpus: Path, echo: Callable[[str], None]) -> int:
    """Ingest ``corpus`` when the index is empty; returns the ingest exit code (0: fine)."""
    if not index_is_empty(settings):
        return 0
    from ingest.pipeline import Ingestor

    echo(f"The index in {settings.index_dir} is empty: ingesting {corpus} first "
         "(a few minutes, once).")
    summary = Ingestor(settings).run([corpus])
    for source, reason in summary.errors:
        echo(f"skipped {source}: {reason}")
    return summary.exit_code


def server_env(settings: Settings) -> dict[str, str]:
    """The environment of the server process: settings made absolute (it runs elsewhere)."""
    env = dict(os.environ)
    env["NRO_INDEX_DIR"] = str(Path(settings.index_dir).resolve())
    if settings.gaps_log:
        env["NRO_GAPS_LOG"] = str(Path(settings.gaps_log).resolve())
    env["NRO_SOURCES_DIR"] = str(Path(settings.sources_dir).resolve())
    env["NRO_EMBEDDINGS"] = settings.embeddings
    if settings.chat_files_dir:
        env["NRO_CHAT_FILES_DIR"] = str(Path(settings.chat_files_dir).resolve())
    env.setdefault("ANONYMIZED_TELEMETRY", "False")
    return env


def command(host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "chainlit", "run", str(APP), "--headless",
            "--host", host, "--port", str(port)]


def url_of(host: str, port: int) -> str:
    return f"http://{'localhost' if host in ('127.0.0.1', '0.0.0.0') else host}:{port}"


def run(settings: Settings, host: str, port: int) -> int:
    """Become the chat server (exec on POSIX, so signals reach it); returns its exit code."""
    cmd, env = command(host, port), server_env(settings)
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        os.chdir(PROJECT_ROOT)
        os.execve(cmd[0], cmd, env)  # does not return
    proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        return proc.wait()
