"""Several workers on Redis against one: live sockets, failover of a session's timer, start/end.

Run: `.venv/bin/python -m bench.cluster` (in `make bench`; needs Redis at NEUROTUNE_BENCH_REDIS_URL
or NEUROTUNE_TEST_REDIS_URL, and MariaDB as bench/server.py finds it, else SQLite). Real `neurotune
serve` processes on loopback, the model off (bench/llm.py measures it). Three tables:

1. Live sockets: 1 worker x N sockets (the baseline), then 4 workers x 4N on Redis. Every session
   steps once a second; in the cluster each socket is opened on the worker *after* the one that
   started (owns) its session, so every frame it gets went through Redis. Lateness = when the
   client got a step - when it was due (both this machine's clock); RSS summed over the workers.
   Clients run in one process per worker (2 cores: client and servers share them).
2. Failover: a session owned by worker A is followed by a socket on B; A is SIGKILLed; the time
   until B holds the session's lease, over `--kills` kills (A is started again each time).
3. Start -> end loops of `--users` listeners for `--load-seconds`, 1 worker vs 4 (the cluster's
   ends go to another worker than the start, as a load balancer would send them).
Every wait is bounded.
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import signal
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import AsyncExitStack, ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from redis import Redis
from sqlalchemy import text

from backend.db.database import create_engine
from bench.load import Run, _register, _request, pct
from bench.server import bench_mysql_url, rss_mib, running_server
from bench.ws import dense_schedule

USERS_PER_WORKER = 10
REQUEST_TIMEOUT_SEC = 60
_EMPTY = (text("DELETE FROM presets"), text("DELETE FROM sessions"), text("DELETE FROM users"))


def redis_url() -> str:
    url = os.environ.get("NEUROTUNE_BENCH_REDIS_URL") or os.environ.get("NEUROTUNE_TEST_REDIS_URL")
    if not url:
        raise SystemExit(
            "set NEUROTUNE_BENCH_REDIS_URL (or NEUROTUNE_TEST_REDIS_URL), e.g. redis://127.0.0.1:6379/15"
        )
    return url


@contextmanager
def workers(
    count: int, database_url: str, data_dir: Path, **settings: str
) -> Iterator[list[tuple[str, int]]]:
    """`count` servers on one database (and, for more than one, one Redis); (base URL, pid) each.
    Started one after another: the first migrates, the others find the schema ready."""
    shared = {"ws_lookahead_sec": "2", **settings}
    if count > 1:
        shared |= {"redis_url": redis_url(), "redis_prefix": f"bench-{uuid.uuid4().hex[:8]}"}
    with ExitStack() as stack:
        yield [stack.enter_context(running_server(database_url, data_dir, **shared)) for _ in range(count)]


# --- 1. live sockets ------------------------------------------------------------------------


@dataclass
class Tally:
    lateness_ms: list[float] = field(default_factory=list)
    frames: int = 0
    refused: int = 0


async def _dense_sessions(urls: list[str], database_url: str, per_worker: int) -> list[tuple[int, str, int]]:
    """(session id, token, worker that started it): sessions of a one-step-a-second schedule,
    started through a kept preset (so the owner plays it from the start) and paused at once, so
    their steps wait for the listener's resume (a paused session's clock stops)."""
    engine = create_engine(database_url)
    sessions: list[tuple[int, str, int]] = []
    try:
        for w, url in enumerate(urls):
            async with aiohttp.ClientSession(url) as http:
                presets = []
                for token in await _register(http, USERS_PER_WORKER):
                    headers = {"Authorization": f"Bearer {token}"}
                    async with http.post(
                        "/sessions/start", json={"intent": "focus"}, headers=headers
                    ) as answer:
                        first = (await answer.json())["session_id"]
                    async with engine.begin() as connection:
                        await connection.execute(
                            text("UPDATE sessions SET schedule = :s WHERE id = :id"),
                            {"s": dense_schedule(), "id": first},
                        )
                    body = {"name": "dense", "session_id": first}
                    async with http.post("/presets", json=body, headers=headers) as answer:
                        presets.append(((await answer.json())["id"], token))
                for i in range(per_worker):
                    preset_id, token = presets[i % len(presets)]
                    headers = {"Authorization": f"Bearer {token}"}
                    async with http.post(f"/presets/{preset_id}/start", json={}, headers=headers) as answer:
                        session_id = (await answer.json())["session_id"]
                    async with http.post(f"/sessions/{session_id}/pause", headers=headers) as answer:
                        assert answer.status == 200, await answer.text()
                    sessions.append((session_id, token, w))
    finally:
        await engine.dispose()
    return sessions


async def _listen(base_url: str, session_id: int, token: str, seconds: float, tally: Tally) -> None:
    """Resume the session, follow it for `seconds`; steps due after the socket opened count."""
    headers = {"Authorization": f"Bearer {token}"}
    protocols = ("neurotune.v1", f"bearer.{token}")
    try:
        async with aiohttp.ClientSession(base_url) as http:
            async with http.post(f"/sessions/{session_id}/resume", headers=headers) as answer:
                if answer.status != 200:
                    tally.refused += 1
                    return
            async with http.ws_connect(f"/ws/session/{session_id}", protocols=protocols) as ws:
                opened = time.time()
                until = opened + seconds
                while (remaining := until - time.time()) > 0:
                    try:
                        message = await ws.receive(timeout=remaining)
                    except TimeoutError:
                        return
                    if message.type != aiohttp.WSMsgType.TEXT:
                        return
                    received = time.time()
                    frame = json.loads(message.data)
                    if frame["type"] != "step":
                        continue
                    started_at = frame["server_time"] - frame["elapsed_sec"]
                    due = started_at + frame["starts_at_sec"] - frame["lookahead_sec"]
                    if due >= opened:  # steps due before the socket opened are catch-up, not live
                        tally.lateness_ms.append((received - due) * 1000)
                    tally.frames += 1
    except aiohttp.ClientError:
        tally.refused += 1


def _listen_slice(base_url: str, sessions: list[tuple[int, str]], seconds: float) -> Tally:
    """One client process: its sockets, all to one worker."""
    tally = Tally()

    async def all_of_them() -> None:
        await asyncio.gather(*(_listen(base_url, s, t, seconds, tally) for s, t in sessions))

    asyncio.run(all_of_them())
    return tally


def sockets_run(count: int, per_worker: int, database_url: str, seconds: float) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    with (
        tempfile.TemporaryDirectory() as data_dir,
        workers(count, database_url, Path(data_dir)) as running,
        context.Pool(count, initializer=_raise_file_limit, initargs=(per_worker,)) as clients,
    ):
        clients.map(abs, range(count))  # client processes up and imported before timing
        urls = [url for url, _ in running]
        asyncio.run(_count_and_empty(database_url))
        sessions = asyncio.run(_dense_sessions(urls, database_url, per_worker))
        rss_idle = sum(rss_mib(pid) for _, pid in running)
        by_worker: dict[int, list[tuple[int, str]]] = {w: [] for w in range(count)}
        for session_id, token, started_on in sessions:
            by_worker[(started_on + 1) % count].append((session_id, token))  # follow it elsewhere
        pending = [
            clients.apply_async(_listen_slice, (urls[w], mine, seconds)) for w, mine in by_worker.items()
        ]
        time.sleep(min(seconds / 2, 20))
        rss_live = sum(rss_mib(pid) for _, pid in running)
        tallies = [result.get(timeout=seconds + 120) for result in pending]
    lateness = [ms for tally in tallies for ms in tally.lateness_ms]
    return {
        "workers": count,
        "sockets": len(sessions),
        "frames_per_sec": sum(t.frames for t in tallies) / seconds,
        "late_p50": pct(lateness, 0.5),
        "late_p99": pct(lateness, 0.99),
        "late_max": max(lateness, default=float("nan")),
        "samples": len(lateness),
        "rss_idle": rss_idle,
        "rss_live": rss_live,
        "refused": sum(t.refused for t in tallies),
    }


# --- 2. failover ----------------------------------------------------------------------------


async def _one_failover(owner: tuple[str, int], follower_url: str, redis: Redis, prefix: str) -> float:
    owner_url, owner_pid = owner
    async with aiohttp.ClientSession(owner_url) as http:
        token = (await _register(http, 1))[0]
        headers = {"Authorization": f"Bearer {token}"}
        async with http.post("/sessions/start", json={"intent": "reading"}, headers=headers) as answer:
            session_id = (await answer.json())["session_id"]
    owner_key = f"{prefix}:session:{session_id}:owner"
    killed_owner = redis.get(owner_key)
    protocols = ("neurotune.v1", f"bearer.{token}")
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(
            f"{follower_url.replace('http', 'ws')}/ws/session/{session_id}", protocols=protocols
        ) as ws,
    ):
        await ws.receive(timeout=10)  # following it
        os.kill(owner_pid, signal.SIGKILL)
        killed_at = time.monotonic()
        while redis.get(owner_key) in (None, killed_owner):
            if time.monotonic() - killed_at > 30:
                return float("nan")
            await asyncio.sleep(0.01)
        return time.monotonic() - killed_at


def failover_run(kills: int, database_url: str) -> list[float]:
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    shared = {"redis_url": redis_url(), "redis_prefix": prefix, "ws_lookahead_sec": "2"}
    redis = Redis.from_url(redis_url(), decode_responses=True)
    takeovers = []
    with tempfile.TemporaryDirectory() as data_dir, ExitStack() as keep:
        survivor = keep.enter_context(running_server(database_url, Path(data_dir), **shared))
        for k in range(kills):
            with running_server(database_url, Path(data_dir), **shared) as victim:
                takeovers.append(asyncio.run(_one_failover(victim, survivor[0], redis, prefix)))
            print(f"  kill {k + 1}/{kills}: taken over after {takeovers[-1]:.2f} s", flush=True)
    redis.close()
    return takeovers


# --- 3. start/end throughput ------------------------------------------------------------------


async def _listener(clients: list[aiohttp.ClientSession], run: Run, token: str, i: int, until: float) -> None:
    """Start on one worker, end on the next (a load balancer's spread)."""
    headers = {"Authorization": f"Bearer {token}"}
    n = 0
    while time.perf_counter() < until:
        start_on, end_on = clients[(i + n) % len(clients)], clients[(i + n + 1) % len(clients)]
        n += 1
        body = {"intent": "reading"}
        status, started = await _request(start_on, run, "POST", "/sessions/start", json=body, headers=headers)
        if status != 201:
            continue
        run.starts_seen += 1
        end = {"rating": 1 + n % 5}
        path = f"/sessions/{started['session_id']}/end"
        status, _ = await _request(end_on, run, "PATCH", path, json=end, headers=headers)
        run.ends_seen += status == 200


async def _drive(urls: list[str], run: Run, users: int, seconds: float) -> None:
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SEC)
    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                aiohttp.ClientSession(url, timeout=timeout, connector=aiohttp.TCPConnector(limit=users + 10))
            )
            for url in urls
        ]
        tokens = await _register(clients[0], users)
        started = time.perf_counter()
        until = started + seconds
        await asyncio.gather(*(_listener(clients, run, token, i, until) for i, token in enumerate(tokens)))
        run.wall_sec = time.perf_counter() - started


async def _count_and_empty(database_url: str, run: Run | None = None) -> None:
    """What the database holds (into `run`), then empty it for the next run."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            if run is not None:
                run.stored_sessions = int(
                    (await connection.execute(text("SELECT COUNT(*) FROM sessions"))).scalar_one()
                )
                ended = text("SELECT COUNT(*) FROM sessions WHERE ended_at IS NOT NULL")
                run.stored_ended = int((await connection.execute(ended)).scalar_one())
            for statement in _EMPTY:
                await connection.execute(statement)
    finally:
        await engine.dispose()


def throughput_run(count: int, database_url: str, users: int, seconds: float) -> Run:
    run = Run(f"{count} worker{'s' if count > 1 else ''}")
    with tempfile.TemporaryDirectory() as data_dir, workers(count, database_url, Path(data_dir)) as running:
        asyncio.run(_count_and_empty(database_url))
        asyncio.run(_drive([url for url, _ in running], run, users, seconds))
    asyncio.run(_count_and_empty(database_url, run))
    return run


def _raise_file_limit(sockets: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * sockets + 256)), hard))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sockets", type=int, default=1000, help="sockets per worker")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the sockets listen")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--users", type=int, default=200, help="start/end listeners")
    parser.add_argument("--load-seconds", type=float, default=30.0)
    parser.add_argument("--only", choices=["sockets", "failover", "throughput"], help="run one table")
    args = parser.parse_args()
    _raise_file_limit(4 * args.sockets)
    mysql = bench_mysql_url("neurotune_cluster")
    database_name = "MariaDB" if mysql else "SQLite"

    with tempfile.TemporaryDirectory() as sqlite_dir:
        database_url = mysql or f"sqlite+aiosqlite:///{sqlite_dir}/cluster.db"
        if args.only in (None, "sockets"):
            print(
                f"live sockets: 1 x {args.sockets}, then 4 x {args.sockets} ({database_name}) ...", flush=True
            )
            rows = [sockets_run(n, args.sockets, database_url, args.seconds) for n in (1, 4)]
            base = rows[0]
            print(
                f"\nLive sockets, {args.seconds:.0f} s, a step a second per socket, {database_name}, 2 cores"
            )
            print(
                f"{'workers':>7} | {'sockets':>7} | {'frames/s':>8} | {'late p50 ms':>11} | {'p99 ms':>8} | "
                f"{'max ms':>8} | {'p99 x 1 worker':>14} | {'RSS MiB idle → live, all workers':>33} | refused"
            )
            for row in rows:
                print(
                    f"{row['workers']:>7} | {row['sockets']:>7} | {row['frames_per_sec']:>8.0f} | "
                    f"{row['late_p50']:>11.1f} | {row['late_p99']:>8.1f} | {row['late_max']:>8.1f} | "
                    f"{row['late_p99'] / base['late_p99']:>14.2f} | "
                    f"{row['rss_idle']:>15.0f} → {row['rss_live']:<16.0f} | {row['refused']}"
                )
        if args.only in (None, "failover"):
            print(f"\nfailover: {args.kills} kills ...", flush=True)
            takeovers = failover_run(args.kills, database_url)
            done = [t for t in takeovers if t == t]
            print(f"\nTimer failover after SIGKILL of the owner, {len(done)}/{len(takeovers)} taken over")
            print(f"{'p50 s':>6} | {'max s':>6} | {'mean s':>6} | lease 3 s, renewed every 1 s")
            print(f"{statistics.median(done):>6.2f} | {max(done):>6.2f} | {statistics.fmean(done):>6.2f} |")
        if args.only in (None, "throughput"):
            runs = [throughput_run(n, database_url, args.users, args.load_seconds) for n in (1, 4)]
            print(
                f"\nStart -> end, {args.users} listeners, {args.load_seconds:.0f} s, {database_name}, 2 cores"
            )
            print(
                f"{'':<10}| {'req/s':>6} | {'p50 ms':>7} | {'p99 ms':>8} | {'5xx':>4} "
                "| stored/seen starts | ended/seen"
            )
            for run in runs:
                print(
                    f"{run.name:<10}| {run.rps:>6.0f} | {pct(run.latencies_ms, 0.5):>7.1f} | "
                    f"{pct(run.latencies_ms, 0.99):>8.1f} | {run.server_errors:>4} | "
                    f"{run.stored_sessions:>8}/{run.starts_seen:<9} | {run.stored_ended}/{run.ends_seen}"
                )
            print(f"4 workers / 1 worker: {runs[1].rps / runs[0].rps:.2f}x requests/s")


if __name__ == "__main__":
    main()
