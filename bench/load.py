"""Load with the model on and off: 200 listeners start and end sessions in a loop, side by side.

Run: `.venv/bin/python -m bench.load` (in `make bench`). For SQLite and MariaDB (when
NEUROTUNE_BENCH_MYSQL_URL or NEUROTUNE_TEST_MYSQL_URL is set), a real server (uvicorn, one worker)
is started with the bundled model on, and again with it off (the baseline in the same run);
`--users` listeners each loop POST /sessions/start -> PATCH /sessions/{id}/end for `--seconds`,
every tenth one also opening the session's live stream after the start and timing its first
frame. Every request has a 60 s timeout, so the load is bounded.

Reported per run: requests/s, p50/p99, answers by status, rows committed vs rows the client saw
(sessions stored vs 201s, sessions ended vs 200s), what became of each session's refinement
(sessions.refinement, after the server has drained), and the live stream's time to first frame.
"""

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from sqlalchemy import text

from backend.db.database import create_engine
from bench.server import bench_mysql_url, running_server

INTENTS = ["deep focus: coding", "reading", "sleep", "calm my anxiety", "power nap", "creative writing"]
WATCH_EVERY = 10
"""Every tenth listener also opens its session's live stream after each start."""
REQUEST_TIMEOUT_SEC = 60
DRAIN_TIMEOUT_SEC = 60
_OUTCOMES = text("SELECT refinement, COUNT(*) FROM sessions GROUP BY refinement")
_STORED = text("SELECT COUNT(*) FROM sessions")
_ENDED = text("SELECT COUNT(*) FROM sessions WHERE ended_at IS NOT NULL")


@dataclass
class Run:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    first_frame_ms: list[float] = field(default_factory=list)
    starts_seen: int = 0
    ends_seen: int = 0
    wall_sec: float = 0.0
    stored_sessions: int = 0
    stored_ended: int = 0
    refinements: Counter[str] = field(default_factory=Counter)

    @property
    def rps(self) -> float:
        return len(self.latencies_ms) / self.wall_sec if self.wall_sec else 0.0

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status.startswith("5"))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def _request(
    http: aiohttp.ClientSession, run: Run, method: str, path: str, **kwargs: Any
) -> tuple[int, Any]:
    started = time.perf_counter()
    try:
        async with http.request(method, path, **kwargs) as response:
            body = await response.json(content_type=None)
            status = response.status
    except TimeoutError:
        run.statuses["timeout"] += 1
        return 0, None
    except aiohttp.ClientError as error:
        run.statuses[type(error).__name__] += 1
        return 0, None
    run.latencies_ms.append((time.perf_counter() - started) * 1000)
    run.statuses[str(status)] += 1
    return status, body


async def _first_frame_ms(http: aiohttp.ClientSession, session_id: int, token: str) -> float | None:
    started = time.perf_counter()
    try:
        async with http.ws_connect(
            f"/ws/session/{session_id}",
            protocols=("neurotune.v1", f"bearer.{token}"),
            timeout=aiohttp.ClientWSTimeout(ws_receive=10, ws_close=10),
        ) as ws:
            message = await ws.receive(timeout=10)
            if message.type != aiohttp.WSMsgType.TEXT:
                return None
            return (time.perf_counter() - started) * 1000
    except (TimeoutError, aiohttp.ClientError):
        return None


async def _listener(http: aiohttp.ClientSession, run: Run, token: str, index: int, until: float) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    i = 0
    while time.perf_counter() < until:
        body = {"intent": INTENTS[(index + i) % len(INTENTS)], "duration_min": 30}
        status, started = await _request(http, run, "POST", "/sessions/start", json=body, headers=headers)
        i += 1
        if status != 201:
            continue
        run.starts_seen += 1
        session_id = started["session_id"]
        if index % WATCH_EVERY == 0:
            first = await _first_frame_ms(http, session_id, token)
            if first is None:
                run.statuses["ws_no_frame"] += 1
            else:
                run.first_frame_ms.append(first)
        end = {"rating": 1 + i % 5}
        status, _ = await _request(
            http, run, "PATCH", f"/sessions/{session_id}/end", json=end, headers=headers
        )
        run.ends_seen += status == 200


async def _register(http: aiohttp.ClientSession, users: int) -> list[str]:
    stamp = time.monotonic_ns() % 10**9
    gate = asyncio.Semaphore(16)

    async def one(i: int) -> str:
        body = {
            "username": f"load{i}_{stamp}",
            "email": f"load{i}.{stamp}@example.org",
            "password": "load-bench-pw",
        }
        async with gate, http.post("/auth/register", json=body) as response:
            assert response.status == 201, await response.text()
            token: str = (await response.json())["token"]
            return token

    return list(await asyncio.gather(*(one(i) for i in range(users))))


async def _drive(base_url: str, run: Run, users: int, seconds: float) -> None:
    connector = aiohttp.TCPConnector(limit=users + 10)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SEC)
    async with aiohttp.ClientSession(base_url, connector=connector, timeout=timeout) as http:
        tokens = await _register(http, users)
        started = time.perf_counter()
        until = started + seconds
        await asyncio.gather(*(_listener(http, run, token, i, until) for i, token in enumerate(tokens)))
        run.wall_sec = time.perf_counter() - started


def _wait_for_model(base_url: str) -> str:
    for _ in range(600):
        llm = str(httpx.get(f"{base_url}/health", timeout=5).json().get("llm"))
        if llm != "loading":
            return llm
        time.sleep(0.5)
    raise RuntimeError("the model did not finish loading")


async def _stored(database_url: str, run: Run) -> None:
    """What the database holds once nothing is pending (or the drain timed out)."""
    engine = create_engine(database_url)
    try:
        deadline = time.monotonic() + DRAIN_TIMEOUT_SEC
        while True:
            async with engine.connect() as connection:
                rows = (
                    await connection.execute(
                        text("SELECT refinement, COUNT(*) FROM sessions GROUP BY refinement")
                    )
                ).all()
            refinements = Counter({str(outcome): int(count) for outcome, count in rows})
            if not refinements.get("pending") or time.monotonic() > deadline:
                break
            await asyncio.sleep(1)
        async with engine.connect() as connection:
            run.stored_sessions = int(
                (await connection.execute(text("SELECT COUNT(*) FROM sessions"))).scalar_one()
            )
            run.stored_ended = int(
                (
                    await connection.execute(text("SELECT COUNT(*) FROM sessions WHERE ended_at IS NOT NULL"))
                ).scalar_one()
            )
        run.refinements = refinements
    finally:
        await engine.dispose()


def bench(name: str, database_url: str, model: str, users: int, seconds: float) -> Run:
    run = Run(name)
    with (
        tempfile.TemporaryDirectory() as data_dir,
        running_server(database_url, Path(data_dir), llm_model=model) as (base_url, _),
    ):
        print(
            f"{name}: model {_wait_for_model(base_url)}, {users} listeners for {seconds:g} s ...", flush=True
        )
        asyncio.run(_drive(base_url, run, users, seconds))
        asyncio.run(_stored(database_url, run))
    return run


async def _empty(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DELETE FROM sessions"))
            await connection.execute(text("DELETE FROM users"))
    finally:
        await engine.dispose()


def _print(runs: list[Run]) -> None:
    print(f"\nStart -> end loop, {runs[0].name.split(',')[0]} and the rest; one uvicorn worker, 2 cores")
    header = (
        f"{'run':<22}| {'req/s':>6} | {'p50 ms':>7} | {'p99 ms':>8} | {'5xx':>4} | {'answers by status':<28}"
        f"| {'stored/seen starts':>18} | {'ended/seen':>11} | {'WS 1st frame p50/p99 ms':>23}"
    )
    print(header)
    print("-" * len(header))
    for run in runs:
        statuses = " ".join(f"{status}:{count}" for status, count in sorted(run.statuses.items()))
        p50, p99 = pct(run.latencies_ms, 0.5), pct(run.latencies_ms, 0.99)
        print(
            f"{run.name:<22}| {run.rps:>6.0f} | {p50:>7.1f} | {p99:>8.1f} | {run.server_errors:>4} "
            f"| {statuses:<28}| {run.stored_sessions:>8}/{run.starts_seen:<9} "
            f"| {run.stored_ended:>5}/{run.ends_seen:<5} "
            f"| {pct(run.first_frame_ms, 0.5):>10.1f} / {pct(run.first_frame_ms, 0.99):<10.1f}"
        )
    print("\nRefinement outcomes (sessions.refinement after the drain; NULL = no model configured)")
    for run in runs:
        print(f"{run.name:<22}| " + ", ".join(f"{k}: {v}" for k, v in sorted(run.refinements.items())))
    print("\nModel on / model off, requests/s")
    for on, off in zip(runs[::2], runs[1::2], strict=True):
        database = on.name.split(",")[0]
        print(f"{database:<22}| {on.rps / off.rps:>5.2f}x  ({on.rps:.0f} vs {off.rps:.0f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--sqlite-only", action="store_true", help="skip MariaDB")
    args = parser.parse_args()
    runs: list[Run] = []
    with tempfile.TemporaryDirectory() as sqlite_dir:
        databases = {"SQLite": f"sqlite+aiosqlite:///{sqlite_dir}/load.db"}
        if not args.sqlite_only and (mysql := bench_mysql_url("neurotune_load")):
            databases["MariaDB"] = mysql
        for database, url in databases.items():
            for model in ("bundled", "none"):
                runs.append(
                    bench(
                        f"{database}, model {'on' if model != 'none' else 'off'}",
                        url,
                        model,
                        args.users,
                        args.seconds,
                    )
                )
                asyncio.run(_empty(url))
    _print(runs)
    if "MariaDB" not in databases:
        print("(MariaDB skipped: set NEUROTUNE_BENCH_MYSQL_URL or NEUROTUNE_TEST_MYSQL_URL)")


if __name__ == "__main__":
    main()
