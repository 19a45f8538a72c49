"""argon2id password hashing (argon2-cffi's RFC 9106 low-memory profile)."""

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

T = TypeVar("T")

_hasher = PasswordHasher()  # argon2id, t=3, m=64 MiB, p=4

# Verified against when the email is unknown, so both failure paths cost the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password-just-for-timing")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if `password` matches; with no hash (unknown user) it still spends the same effort."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


class HashingBusy(Exception):
    """Every hashing slot stayed taken for the whole wait; retry after `retry_after_sec`."""

    def __init__(self, retry_after_sec: int) -> None:
        super().__init__(f"too many sign-ins at once; retry in {retry_after_sec} s")
        self.retry_after_sec = retry_after_sec


class PasswordWork:
    """argon2id off the event loop, at most `concurrency` at a time.

    Each hash takes 64 MiB and a core's worth of time, so running more at once only adds memory:
    a burst of sign-ups waits for a slot (up to `wait_sec`, then `HashingBusy`, answered 503 with
    Retry-After), and memory stays near `concurrency` x 64 MiB whatever the burst. The threads
    are the slots: even a caller that gives up cannot start more hashes than there are threads.
    """

    def __init__(self, concurrency: int, wait_sec: float) -> None:
        self._slots = asyncio.Semaphore(concurrency)
        self._threads = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="argon2")
        self._wait_sec = wait_sec

    async def hash(self, password: str) -> str:
        return await self._run(hash_password, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return await self._run(verify_password, password_hash, password)

    async def _run(self, work: Callable[..., T], *args: Any) -> T:
        try:
            async with asyncio.timeout(self._wait_sec):
                await self._slots.acquire()
        except TimeoutError:
            raise HashingBusy(max(1, round(self._wait_sec))) from None
        try:
            return await asyncio.get_running_loop().run_in_executor(self._threads, work, *args)
        finally:
            self._slots.release()

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)
