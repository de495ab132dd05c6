"""``nro serve`` from an empty index: ingests the bundled corpus, prints the URL, serves."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from .servers import free_port


def test_serve_ingests_an_empty_index_prints_the_url_and_answers(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NRO_")}
    env.update(NRO_EMBEDDINGS="fake-bow", NRO_REFUSAL_THRESHOLD="0",
               NRO_GAPS_LOG=str(tmp_path / "gaps.jsonl"), ANONYMIZED_TELEMETRY="False")
    proc = subprocess.Popen([sys.executable, "-m", "assistant.cli", "serve", "--index",
                             str(tmp_path / "index"), "--port", str(port)], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        lines = []
        while proc.poll() is None:
            line = proc.stdout.readline()
            lines.append(line)
            if "Kennisassistent: http" in line:
                break
        assert f"Kennisassistent: http://localhost:{port}" in "".join(lines), lines
        assert any("is empty: ingesting" in ln for ln in lines)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/ready").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        page = httpx.get(f"http://127.0.0.1:{port}/")
        assert page.status_code == 200 and "<title>Kennisassistent</title>" in page.text
        r = httpx.post(f"http://127.0.0.1:{port}/api/ask",
                       json={"question": "Helpt een plusklas?"}, timeout=30)
        assert r.status_code == 200 and r.json()["citations"]
        assert (tmp_path / "index" / "chat.sqlite").exists()
    finally:
        proc.terminate()
        proc.wait(20)
