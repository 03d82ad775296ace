"""Token buckets in memory, per key (a visitor id, a client address).

Held by the web app: each process counts on its own, so with N processes behind a balancer a client
gets up to N times the limit; limits are for abuse, not accounting.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    burst: int  # requests allowed at once
    per_second: float  # requests the bucket regains each second


class RateLimiter:
    def __init__(self, rate: Rate, clock: Callable[[], float] = time.monotonic, max_keys: int = 50_000):
        self.rate = rate
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key → (tokens, when counted)

    def take(self, key: str) -> float:
        """Spend one request for `key`: 0 when allowed, else the seconds until one is allowed again."""
        now = self._clock()
        tokens = self._tokens(key, now)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate.per_second
        self._buckets[key] = (tokens - 1, now)
        self._forget_idle(now)
        return 0.0

    def _tokens(self, key: str, now: float) -> float:
        tokens, then = self._buckets.get(key, (float(self.rate.burst), now))
        return min(float(self.rate.burst), tokens + (now - then) * self.rate.per_second)

    def _forget_idle(self, now: float) -> None:
        """Keys whose bucket has refilled hold nothing worth keeping: memory stays bounded."""
        if len(self._buckets) <= self._max_keys:
            return
        full = [key for key in self._buckets if self._tokens(key, now) >= self.rate.burst]
        for key in full:
            del self._buckets[key]
        while len(self._buckets) > self._max_keys:  # still too many: the oldest go
            del self._buckets[next(iter(self._buckets))]


def retry_after_header(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
