"""Throttle repeated login failures per email and per client address (sliding window).

`LoginThrottle` counts in this process's memory (one worker); `RedisLoginThrottle` counts in Redis,
so several workers share one count per email and per client (an attacker gets no more attempts
by reaching another worker). Both answer the `Throttle` protocol.

Emails are counted by their canonical form (models.identity), exactly the identity an account is
found by, so every spelling of one address shares one count.

"""

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from backend.db.redis_state import RedisState
from backend.models.identity import canonical_email

# Attackers choose the emails; sweep stale keys once this many are tracked.
_SWEEP_AT_KEYS = 10_000


@dataclass
class _Window:
    limit: int
    window_sec: float
    clock: Callable[[], float]
    failures: dict[str, deque[float]] = field(default_factory=dict)

    def _recent(self, key: str) -> deque[float]:
        stamps = self.failures.get(key)
        if stamps is None:
            return deque()
        cutoff = self.clock() - self.window_sec
        while stamps and stamps[0] <= cutoff:
            stamps.popleft()
        if not stamps:
            del self.failures[key]
        return stamps

    def retry_after(self, key: str) -> int:
        """Seconds until `key` may try again; 0 when it may try now."""
        stamps = self._recent(key)
        if len(stamps) < self.limit:
            return 0
        return max(1, math.ceil(stamps[-self.limit] + self.window_sec - self.clock()))

    def record(self, key: str) -> None:
        if len(self.failures) >= _SWEEP_AT_KEYS:
            for stale in list(self.failures):
                self._recent(stale)
        self._recent(key)
        self.failures.setdefault(key, deque()).append(self.clock())
        # Bound memory: keep no more stamps per key than the limit needs.
        while len(self.failures[key]) > self.limit:
            self.failures[key].popleft()

    def clear(self, key: str) -> None:
        self.failures.pop(key, None)


class Throttle(Protocol):
    async def check(self, email: str, client: str) -> int:
        """Seconds until this email and client may try again; 0: they may try now."""
        ...

    async def failed(self, email: str, client: str) -> None: ...

    async def succeeded(self, email: str) -> None:
        """A correct password clears the email's count, not the client's: one shared address
        guessing many accounts stays throttled."""
        ...


class LoginThrottle:
    """Counts failures in memory; `retry_after` > 0 means refuse (429) without checking the password."""

    def __init__(
        self,
        *,
        per_email: int,
        per_client: int,
        window_sec: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._emails = _Window(per_email, window_sec, clock)
        self._clients = _Window(per_client, window_sec, clock)

    def retry_after(self, email: str, client: str) -> int:
        return max(self._emails.retry_after(canonical_email(email)), self._clients.retry_after(client))

    def record_failure(self, email: str, client: str) -> None:
        self._emails.record(canonical_email(email))
        self._clients.record(client)

    def record_success(self, email: str) -> None:
        # A correct password clears the email's count, not the client's: one shared address
        # guessing many accounts stays throttled.
        self._emails.clear(canonical_email(email))

    async def check(self, email: str, client: str) -> int:
        return self.retry_after(email, client)

    async def failed(self, email: str, client: str) -> None:
        self.record_failure(email, client)

    async def succeeded(self, email: str) -> None:
        self.record_success(email)


# Sliding window over a sorted set scored by Redis's own clock (one clock for every host):
# drop stamps older than the window, then either record one (keeping no more than the limit)
# or say how long until the oldest of the last `limit` leaves the window.
_WINDOW_LUA = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local window_ms = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms - window_ms)
if ARGV[1] == 'record' then
    redis.call('ZADD', KEYS[1], now_ms, now[1] .. now[2] .. ':' .. redis.call('INCR', KEYS[1] .. ':n'))
    redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -limit - 1)
    redis.call('PEXPIRE', KEYS[1], window_ms)
    redis.call('PEXPIRE', KEYS[1] .. ':n', window_ms)
    return 0
end
if redis.call('ZCARD', KEYS[1]) < limit then
    return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], -limit, -limit, 'WITHSCORES')
return math.max(1, math.ceil((tonumber(oldest[2]) + window_ms - now_ms) / 1000))
"""


class RedisLoginThrottle:
    """The same throttle, counted in Redis and shared by every worker (expiring with the window)."""

    def __init__(self, redis: RedisState, *, per_email: int, per_client: int, window_sec: float) -> None:
        self._redis = redis
        self._limits = {"email": per_email, "client": per_client}
        self._window_ms = round(window_sec * 1000)
        self._script = redis.client.register_script(_WINDOW_LUA)

    def _key(self, kind: str, value: str) -> str:
        return self._redis.key("throttle", kind, value)

    async def _window(self, action: str, kind: str, value: str) -> int:
        result = await self._script(
            keys=[self._key(kind, value)], args=[action, self._window_ms, self._limits[kind]]
        )
        return int(result)

    async def check(self, email: str, client: str) -> int:
        by_email = await self._window("check", "email", canonical_email(email))
        return max(by_email, await self._window("check", "client", client))

    async def failed(self, email: str, client: str) -> None:
        await self._window("record", "email", canonical_email(email))
        await self._window("record", "client", client)

    async def succeeded(self, email: str) -> None:
        key = self._key("email", canonical_email(email))
        await self._redis.client.delete(key, key + ":n")
