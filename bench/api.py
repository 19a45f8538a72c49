"""API throughput and latency with 50 concurrent clients, SQLite and MariaDB side by side.

Run: `make bench` (or `.venv/bin/python -m bench.api`). Starts a real server (uvicorn, one worker)
per database on a free loopback port and drives it over HTTP. MariaDB is used when
NEUROTUNE_BENCH_MYSQL_URL is set, else the server in NEUROTUNE_TEST_MYSQL_URL with a
`neurotune_bench` database (created and emptied here). Baselines in the same run: `GET /` for the
endpoints, and a plain schema round-trip for the planner.
"""

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from backend.schedules.listener import Neurotype
from backend.schedules.plan import SessionBrief, plan_schedule
from backend.schedules.schedule import ModulationSchedule
from backend.schedules.validator import ensure_safe
from bench.server import bench_mysql_url, running_server

CLIENTS = 50
INTENTS = ["deep focus: coding", "reading", "sleep", "calm my anxiety", "power nap", "creative writing"]


@dataclass
class Phase:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    wall_sec: float = 0.0
    errors: int = 0

    @property
    def rps(self) -> float:
        return len(self.latencies_ms) / self.wall_sec if self.wall_sec else 0.0

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


@dataclass
class Reply:
    status: int
    body: Any


@dataclass
class Client:
    http: aiohttp.ClientSession
    index: int
    emails: list[str] = field(default_factory=list)
    token: str = ""
    open_sessions: list[int] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def _timed(phase: Phase, client: Client, method: str, path: str, ok: int, **kwargs: Any) -> Reply:
    started = time.perf_counter()
    async with client.http.request(method, path, **kwargs) as response:
        reply = Reply(response.status, await response.json())
    phase.latencies_ms.append((time.perf_counter() - started) * 1000)
    if reply.status != ok:
        phase.errors += 1
    return reply


async def _run_phase(
    name: str, clients: list[Client], per_client: int, step: Callable[[Client, Phase, int], Awaitable[None]]
) -> Phase:
    phase = Phase(name)

    async def drive(client: Client) -> None:
        for i in range(per_client):
            await step(client, phase, i)

    started = time.perf_counter()
    await asyncio.gather(*(drive(c) for c in clients))
    phase.wall_sec = time.perf_counter() - started
    return phase


async def _register(c: Client, p: Phase, i: int) -> None:
    email = f"bench{c.index}-{i}-{time.monotonic_ns()}@example.org"
    body = {
        "username": f"b{c.index}_{i}_{time.monotonic_ns() % 10**9}",
        "email": email,
        "password": "benchmark-pw",
    }
    reply = await _timed(p, c, "POST", "/auth/register", 201, json=body)
    c.emails.append(email)
    c.token = reply.body.get("token", c.token)


async def _login(c: Client, p: Phase, i: int) -> None:
    body = {"email": c.emails[i % len(c.emails)], "password": "benchmark-pw"}
    reply = await _timed(p, c, "POST", "/auth/login", 200, json=body)
    c.token = reply.body.get("token", c.token)


async def _start(c: Client, p: Phase, i: int) -> None:
    body = {"intent": INTENTS[i % len(INTENTS)], "duration_min": 30}
    reply = await _timed(p, c, "POST", "/sessions/start", 201, json=body, headers=c.headers)
    if reply.status == 201:
        c.open_sessions.append(reply.body["session_id"])


async def _end(c: Client, p: Phase, i: int) -> None:
    session_id = c.open_sessions.pop()
    body = {"rating": 1 + i % 5, "feedback_note": "bench"}
    await _timed(p, c, "PATCH", f"/sessions/{session_id}/end", 200, json=body, headers=c.headers)


async def _history(c: Client, p: Phase, i: int) -> None:
    await _timed(p, c, "GET", "/sessions/history?limit=20", 200, headers=c.headers)


async def _root(c: Client, p: Phase, i: int) -> None:
    await _timed(p, c, "GET", "/", 200)


async def drive_server(base_url: str, rounds: int) -> list[Phase]:
    # aiohttp, not httpx: on this machine httpx's client tops out near 300 req/s and would
    # measure itself instead of the server.
    connector = aiohttp.TCPConnector(limit=CLIENTS)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(base_url, connector=connector, timeout=timeout) as http:
        clients = [Client(http, i) for i in range(CLIENTS)]
        return [
            await _run_phase("GET / (baseline)", clients, rounds, _root),
            await _run_phase("register", clients, 2, _register),
            await _run_phase("login", clients, 4, _login),
            await _run_phase("start", clients, rounds, _start),
            await _run_phase("end", clients, rounds, _end),
            await _run_phase("history", clients, rounds, _history),
        ]


def bench_backend(database_url: str, rounds: int) -> list[Phase]:
    with (
        tempfile.TemporaryDirectory() as data_dir,
        running_server(database_url, Path(data_dir)) as (base_url, _),
    ):
        return asyncio.run(drive_server(base_url, rounds))


def bench_planner(n: int) -> tuple[float, float, float]:
    """Mean and p99 µs per planned+validated schedule, and the mean µs of a schema round-trip."""
    neurotypes = list(Neurotype)
    plan_us: list[float] = []
    for i in range(n):
        started = time.perf_counter()
        ensure_safe(
            plan_schedule(
                SessionBrief(INTENTS[i % len(INTENTS)], 5 + i % 236, neurotypes[i % len(neurotypes)])
            )
        )
        plan_us.append((time.perf_counter() - started) * 1e6)
    sample = plan_schedule(SessionBrief("deep focus: coding", 60)).model_dump()
    started = time.perf_counter()
    for _ in range(n):
        ModulationSchedule.model_validate(sample)
    baseline_us = (time.perf_counter() - started) * 1e6 / n
    plan_us.sort()
    return statistics.fmean(plan_us), plan_us[int(0.99 * len(plan_us))], baseline_us


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20, help="requests per client per endpoint")
    args = parser.parse_args()

    backends: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as sqlite_dir:
        backends["SQLite"] = f"sqlite+aiosqlite:///{sqlite_dir}/bench.db"
        mysql = bench_mysql_url("neurotune_bench")
        if mysql:
            backends["MariaDB"] = mysql
        results = {name: bench_backend(url, args.rounds) for name, url in backends.items()}

    print(f"\nAPI, {CLIENTS} concurrent clients, one uvicorn worker, {os.cpu_count()} cores")
    header = f"{'endpoint':<18}" + "".join(
        f"| {name + ' req/s':>14} {'p50 ms':>8} {'p99 ms':>8} {'err':>4} " for name in results
    )
    if len(results) == 2:
        header += "| MariaDB/SQLite req/s"
    print(header)
    print("-" * len(header))
    names = list(results)
    for row in range(len(results[names[0]])):
        line = f"{results[names[0]][row].name:<18}"
        for name in names:
            phase = results[name][row]
            line += f"| {phase.rps:>14.0f} {phase.pct(0.5):>8.1f} {phase.pct(0.99):>8.1f} {phase.errors:>4} "
        if len(names) == 2:
            line += f"| {results[names[1]][row].rps / results[names[0]][row].rps:>10.2f}x"
        print(line)
    if "MariaDB" not in results:
        print("(MariaDB skipped: set NEUROTUNE_BENCH_MYSQL_URL or NEUROTUNE_TEST_MYSQL_URL)")

    mean_us, p99_us, baseline_us = bench_planner(5000)
    print("\nPlanner (plan + validate), 5000 schedules of 5-240 min")
    print(f"{'what':<34}| {'mean µs':>9} | {'p99 µs':>9} | {'x baseline':>10}")
    ratio = mean_us / baseline_us
    print(f"{'plan_schedule + ensure_safe':<34}| {mean_us:>9.0f} | {p99_us:>9.0f} | {ratio:>10.1f}")
    print(f"{'baseline: schema round-trip':<34}| {baseline_us:>9.0f} | {'':>9} | {1.0:>10.1f}")


if __name__ == "__main__":
    main()
