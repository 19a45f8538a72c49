"""Load for the fault suite: listeners that start and end sessions against a real server, and a
ledger of every answer (status, time, whether it was JSON with Retry-After) and of every write the
client was told had happened, to compare with what the database holds afterwards."""

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import text

from backend.db.database import create_engine
from backend.tests.factories import TestUser

REQUEST_TIMEOUT_SEC = 30.0  # generous: only there so a hung server fails the test instead of hanging it
PAUSE_AFTER_REFUSAL_SEC = 0.05
"""A refused listener tries again this soon (not after Retry-After), so recovery is seen closely."""
NO_ANSWER = 0  # the status recorded when the server did not answer at all


@dataclass(frozen=True)
class Answer:
    at: float  # time.monotonic() when the answer arrived
    kind: str  # "start", "end", "read", "write", "health"
    status: int  # NO_ANSWER: a transport error or a timeout
    problem: str | None  # what is wrong with the answer beyond its status, if anything
    took_sec: float


@dataclass
class Ledger:
    answers: list[Answer] = field(default_factory=list)
    started: set[int] = field(default_factory=set)  # sessions the client saw 201 for
    owners: dict[int, TestUser] = field(default_factory=dict)  # who started each of them
    ended: set[int] = field(default_factory=set)  # sessions the client saw 200 for on /end

    async def call(self, http: httpx.AsyncClient, kind: str, method: str, path: str, **kwargs: Any) -> Any:
        """Send one request and record its answer; the JSON body, or None."""
        sent = time.monotonic()
        try:
            response = await http.request(method, path, timeout=REQUEST_TIMEOUT_SEC, **kwargs)
        except httpx.HTTPError as error:
            now = time.monotonic()
            self.answers.append(Answer(now, kind, NO_ANSWER, f"{type(error).__name__}: {error}", now - sent))
            return None
        problem = None
        body: Any = None
        try:
            body = response.json()
        except ValueError:
            problem = f"{response.status_code} not JSON: {response.text[:80]!r}"
        if (
            response.status_code >= 500
            and isinstance(body, dict)
            and "detail" not in body
            and kind != "health"
        ):
            problem = f"{response.status_code} without detail"
        if response.status_code == 503 and kind != "health" and "retry-after" not in response.headers:
            problem = "503 without Retry-After"
        now = time.monotonic()
        self.answers.append(Answer(now, kind, response.status_code, problem, now - sent))
        return body

    def confirmed_start(self, session_id: int, user: TestUser) -> None:
        self.started.add(session_id)
        self.owners[session_id] = user

    def statuses(
        self, *, since: float = 0.0, until: float = float("inf"), kinds: tuple[str, ...] = ()
    ) -> Counter[int]:
        """Answers by status among those of `kinds` (all if empty) that arrived in [since, until)."""
        return Counter(
            a.status for a in self.answers if since <= a.at < until and (not kinds or a.kind in kinds)
        )

    def by_status(
        self, *, since: float = 0.0, until: float = float("inf"), kinds: tuple[str, ...] = ()
    ) -> str:
        """The same, printed: e.g. "201:120 200:118 503:40"."""
        counts = self.statuses(since=since, until=until, kinds=kinds)
        return " ".join(f"{status or 'no-answer'}:{n}" for status, n in sorted(counts.items())) or "none"

    def problems(self) -> list[str]:
        """Answers no client should ever get: 500s, no answer at all, non-JSON, 503 without Retry-After."""
        found = [f"{a.kind}: {a.problem}" for a in self.answers if a.problem]
        found += [f"{a.kind}: {a.status}" for a in self.answers if a.status >= 500 and a.status != 503]
        return found

    def slowest(self, *, since: float = 0.0, until: float = float("inf")) -> float:
        """The longest wait for an answer that arrived in [since, until)."""
        return max((a.took_sec for a in self.answers if since <= a.at < until), default=0.0)

    def first(self, status: int, *, kind: str, since: float) -> float | None:
        return next(
            (a.at for a in self.answers if a.at >= since and a.kind == kind and a.status == status), None
        )


async def start_and_end(http: httpx.AsyncClient, ledger: Ledger, user: TestUser) -> bool:
    """Start a session and end it (rated); whether both were accepted."""
    body = await ledger.call(
        http, "start", "POST", "/sessions/start", json={"intent": "reading"}, headers=user.headers
    )
    session_id = body.get("session_id") if isinstance(body, dict) else None
    if session_id is None:
        return False
    ledger.confirmed_start(session_id, user)
    ended = await ledger.call(
        http, "end", "PATCH", f"/sessions/{session_id}/end", json={"rating": 4}, headers=user.headers
    )
    if isinstance(ended, dict) and ended.get("session_id") == session_id:
        ledger.ended.add(session_id)
        return True
    return False


async def listener(http: httpx.AsyncClient, ledger: Ledger, user: TestUser, stop: asyncio.Event) -> None:
    """Start and end sessions until `stop`; a refusal is retried shortly."""
    while not stop.is_set():
        if not await start_and_end(http, ledger, user):
            await asyncio.sleep(PAUSE_AFTER_REFUSAL_SEC)


async def health_watch(
    http: httpx.AsyncClient, ledger: Ledger, stop: asyncio.Event, every_sec: float
) -> None:
    while not stop.is_set():
        await ledger.call(http, "health", "GET", "/health")
        await asyncio.sleep(every_sec)


@dataclass(frozen=True)
class Stored:
    sessions: set[int]  # every session row in the database
    ended: set[int]  # those with ended_at set

    def lost(self, ledger: Ledger) -> tuple[set[int], set[int]]:
        """(starts the client saw answered 201 but the database lacks, ends likewise)."""
        return ledger.started - self.sessions, ledger.ended - self.ended


async def stored_sessions(database_url: str) -> Stored:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(text("SELECT id, ended_at FROM sessions"))).all()
    finally:
        await engine.dispose()
    return Stored({row.id for row in rows}, {row.id for row in rows if row.ended_at is not None})


async def sessions_readable(http: httpx.AsyncClient, ledger: Ledger, ids: set[int]) -> int:
    """How many of `ids` (sessions the ledger saw started) their owners can read back."""
    readable = 0
    for session_id in sorted(ids):
        headers = ledger.owners[session_id].headers
        body = await ledger.call(http, "read", "GET", f"/sessions/{session_id}", headers=headers)
        readable += isinstance(body, dict) and body.get("id") == session_id
    return readable


WAIT_TIMEOUT_SEC = 60.0  # generous: only there so a fault that never clears fails instead of hanging


async def wait_until(
    condition: Callable[[], bool], what: str, timeout_sec: float = WAIT_TIMEOUT_SEC
) -> float:
    """Poll `condition` until it holds; when it did (monotonic). Fails the test after `timeout_sec`."""
    deadline = time.monotonic() + timeout_sec
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout_sec:g} s")
        await asyncio.sleep(0.02)
    return time.monotonic()


async def write_until_accepted(http: httpx.AsyncClient, ledger: Ledger, user: TestUser) -> float:
    """Start and end sessions until both are accepted; when they were (monotonic)."""
    deadline = time.monotonic() + WAIT_TIMEOUT_SEC
    while not await start_and_end(http, ledger, user):
        if time.monotonic() > deadline:
            raise AssertionError(f"writes still refused after {WAIT_TIMEOUT_SEC:g} s")
        await asyncio.sleep(PAUSE_AFTER_REFUSAL_SEC)
    return time.monotonic()


def writes_ok(health: dict[str, Any]) -> bool:
    """The database reads and writes (whatever else /health reports, e.g. a small disk on a test machine)."""
    return bool(health["db"] == "ok" and health["db_writes"] == "ok")


async def health_until(
    http: httpx.AsyncClient, ledger: Ledger, wanted: Callable[[dict[str, Any]], bool], what: str
) -> dict[str, Any]:
    """GET /health until its body is what is wanted; that body."""
    deadline = time.monotonic() + WAIT_TIMEOUT_SEC
    while True:
        body = await ledger.call(http, "health", "GET", "/health")
        if isinstance(body, dict) and wanted(body):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: /health still says {body}")
        await asyncio.sleep(0.1)
