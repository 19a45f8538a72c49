"""Throttle repeated login failures per email and per client address (sliding window, in memory).

Emails are counted by their canonical form (models.identity), exactly the identity an account is
found by, so every spelling of one address shares one count.

One process, one memory: with several workers each counts on its own (documented in the README).
"""

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

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


class LoginThrottle:
    """Counts failures; `retry_after` > 0 means refuse (429) without checking the password."""

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
