"""Chat servers for the tests: ``chainlit run --headless`` on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

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

    def start(self) -> ChatServer:
        cmd = [sys.executable, "-m", "chainlit", "run", "assistant/chat/app.py", "--headless",
               "--host", "127.0.0.1", "--port", str(self.port)]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=open(self.log, "ab"),
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chat server exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/api/ready", timeout=1).status_code == 200:
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
