"""A per-client rate limit for the JSON API: at most N requests in any 60-second window.

In memory, per process: behind several instances each one counts on its own, which is
acceptable for abuse protection (the load balancer's sticky sessions keep a client on one).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic,
                 max_clients: int = 10_000) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self.max_clients = max_clients
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> tuple[bool, float]:
        """Record a request; returns (allowed, seconds until the next one is allowed)."""
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault(client, deque())
            while hits and now - hits[0] >= 60.0:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return False, max(0.0, 60.0 - (now - hits[0]))
            hits.append(now)
            if len(self._hits) > self.max_clients:
                self._forget_idle(now)
            return True, 0.0

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, v in self._hits.items() if not v or now - v[-1] >= 60.0]:
            del self._hits[key]
