"""Knowledge gaps: questions the assistant refused, grouped and counted for staff."""

from __future__ import annotations

import json
import re
from pathlib import Path


def _key(question: str) -> str:
    return re.sub(r"[^\w ]+", "", question.lower()).strip()


def knowledge_gaps(log: Path) -> list[dict]:
    """Refused questions by frequency (most asked first), with when they were last asked."""
    groups: dict[str, dict] = {}
    if not Path(log).exists():
        return []
    for line in Path(log).read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue  # a torn last line of a killed process loses only itself
        group = groups.setdefault(_key(rec["question"]), {"question": rec["question"],
                                                          "count": 0, "last_seen": ""})
        group["count"] += 1
        group["last_seen"] = max(group["last_seen"], rec.get("ts", ""))
    return sorted(groups.values(), key=lambda g: (-g["count"], g["question"]))
