"""Chat under load: N concurrent Socket.IO sessions asking Q questions each (not a test).

Starts ``chainlit run`` headless on the given index (a copy of nothing: it answers from the
index as ``nro serve`` would, with history in a temporary SQLite file), then reports errors,
p50/p95 answer time and the server's resident memory before and after.

    uv run --group dev python bench/bench_chat.py --index index --sessions 30 --questions 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.settings import load_settings  # noqa: E402
from tests.integration.chat.servers import ChatServer, chat_env  # noqa: E402
from tests.integration.chat.sioclient import ChatClient  # noqa: E402

QUESTIONS = ["Heeft huiswerk in de basisschool effect op de leerprestaties?",
             "Werkt een verbod op smartphones in de klas?",
             "Hoe geef ik feedback die leerlingen echt verder helpt?",
             "Heeft zittenblijven in het basisonderwijs zin?",
             "Helpt een plusklas voor hoogbegaafde leerlingen?",
             "Wat werkt bij leesmotivatie?", "En in het voortgezet onderwijs?"]


async def session(url: str, n: int, questions: int, times: list, errors: list) -> None:
    try:
        client = await ChatClient(url).connect()
    except Exception as exc:  # noqa: BLE001
        errors.append(f"session {n}: connect: {exc}")
        return
    try:
        for i in range(questions):
            q = QUESTIONS[(n + i) % len(QUESTIONS)]
            try:
                reply = await client.ask(q, timeout=120)
            except Exception as exc:  # noqa: BLE001
                errors.append(f"session {n}: {exc}")
                continue
            if not reply.message or "ging iets mis" in reply.message["output"]:
                errors.append(f"session {n}: no answer to {q!r}")
            else:
                times.append(reply.seconds)
    finally:
        await client.close()


async def load(url: str, sessions: int, questions: int) -> tuple[list, list, float]:
    times: list[float] = []
    errors: list[str] = []
    t0 = time.perf_counter()
    await asyncio.gather(*(session(url, n, questions, times, errors) for n in range(sessions)))
    return times, errors, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, default=None, help="index folder (default: settings)")
    ap.add_argument("--sessions", type=int, default=30)
    ap.add_argument("--questions", type=int, default=3)
    args = ap.parse_args()
    settings = load_settings()
    if args.index:
        settings = settings.model_copy(update={"index_dir": args.index})
    data = Path(tempfile.mkdtemp(prefix="bench-chat-"))
    server = ChatServer(chat_env(settings, data, NRO_STREAM_DELAY_MS=str(settings.stream_delay_ms)),
                        data / "server.log").start()
    try:
        rss_before = server.rss_kb()
        times, errors, wall = asyncio.run(load(server.url, args.sessions, args.questions))
        rss_after = server.rss_kb()
    finally:
        server.stop()
    q = statistics.quantiles(times, n=20) if len(times) > 1 else [0.0] * 19
    report = {"sessions": args.sessions, "questions_each": args.questions,
              "answers": len(times), "errors": len(errors),
              "p50_s": round(statistics.median(times), 3) if times else None,
              "p95_s": round(q[18], 3), "max_s": round(max(times), 3) if times else None,
              "wall_s": round(wall, 1), "rss_before_mb": round(rss_before / 1024, 1),
              "rss_after_mb": round(rss_after / 1024, 1), "embeddings": settings.embeddings}
    print(json.dumps(report, indent=2))
    for e in errors[:10]:
        print("error:", e, file=sys.stderr)


if __name__ == "__main__":
    main()
