"""Live-stream scale: N concurrent session sockets on one server process, step lateness measured.

Run: `.venv/bin/python -m bench.ws` (part of `make bench`). Each session gets a schedule that
steps every second, so each socket receives about one `step` frame per second. Lateness of a
frame = the time the client received it - the time it was due (step start - lookahead), both
read from this machine's clock. Baseline in the same run: the same measurement with 10 sockets.
Loopback only; every loop is bounded in count and time.
"""

import argparse
import asyncio
import json
import random
import resource
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from sqlalchemy import text

from backend.db.database import create_engine
from bench.server import rss_mib, running_server

USERS = 10
STEPS = 60
SESSION_SEC = 300


def dense_schedule() -> str:
    """One step a second, rising then falling by 0.1 Hz per step (half the validator's limit)."""
    steps = [
        {
            "timestamp_sec": float(i),
            "target_bpm": 80,
            "binaural_freq": round(10.0 + 0.1 * min(i, STEPS - i), 2),
            "ramp_duration_sec": 1.0 if i else 0.0,
            "layer": "binaural",
        }
        for i in range(STEPS)
    ]
    return json.dumps({"intent": "bench", "total_duration_sec": SESSION_SEC, "steps": steps})


@dataclass
class Tally:
    lateness_ms: list[float] = field(default_factory=list)
    frames: int = 0
    refused: int = 0


async def _create_sessions(base_url: str, database_url: str, count: int) -> list[tuple[int, str]]:
    """`count` sessions spread over USERS users; schedules made dense and starts staggered."""
    async with aiohttp.ClientSession(base_url) as http:
        tokens = []
        for u in range(USERS):
            body = {
                "username": f"ws{u}_{time.time_ns() % 10**9}",
                "email": f"ws{u}-{time.time_ns()}@example.org",
            }
            async with http.post("/auth/register", json={**body, "password": "benchmark-pw"}) as response:
                tokens.append((await response.json())["token"])
        sessions: list[tuple[int, str]] = []
        for i in range(count):
            token = tokens[i % USERS]
            headers = {"Authorization": f"Bearer {token}"}
            async with http.post("/sessions/start", json={"intent": "focus"}, headers=headers) as response:
                sessions.append(((await response.json())["session_id"], token))
    engine = create_engine(database_url)
    schedule = dense_schedule()
    now = datetime.now(UTC).replace(tzinfo=None)
    async with engine.begin() as connection:
        for session_id, _ in sessions:
            # Starts spread over one second so steps do not all fall due at the same instant.
            started = now + timedelta(seconds=5 + random.random())
            await connection.execute(
                text("UPDATE sessions SET schedule = :s, started_at = :t WHERE id = :id"),
                {"s": schedule, "t": started, "id": session_id},
            )
    await engine.dispose()
    return sessions


async def _listen(ws_url: str, session_id: int, token: str, until: float, tally: Tally) -> None:
    protocols = ("neurotune.v1", f"bearer.{token}")
    async with aiohttp.ClientSession() as http:
        try:
            async with http.ws_connect(f"{ws_url}/ws/session/{session_id}", protocols=protocols) as ws:
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
                    if due >= started_at:  # steps due before we connected are catch-up, not live
                        tally.lateness_ms.append((received - max(due, started_at)) * 1000)
                    tally.frames += 1
        except aiohttp.ClientError:
            tally.refused += 1


def run(sockets: int, seconds: float) -> tuple[Tally, float, float, float]:
    """(tally, frames per second, server RSS MiB before, after connecting)."""
    with tempfile.TemporaryDirectory() as data_dir:
        database_url = f"sqlite+aiosqlite:///{data_dir}/bench.db"
        with running_server(database_url, Path(data_dir), ws_lookahead_sec="2") as (base_url, pid):
            sessions = asyncio.run(_create_sessions(base_url, database_url, sockets))
            rss_before = rss_mib(pid)
            tally = Tally()

            async def listen_all() -> float:
                until = time.time() + seconds
                ws_url = base_url.replace("http://", "ws://")
                tasks = [asyncio.create_task(_listen(ws_url, s, t, until, tally)) for s, t in sessions]
                await asyncio.sleep(min(seconds / 2, 10))
                peak = rss_mib(pid)
                await asyncio.gather(*tasks)
                return peak

            started = time.perf_counter()
            rss_peak = asyncio.run(listen_all())
            wall = time.perf_counter() - started
            return tally, tally.frames / wall, rss_before, rss_peak


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * args.sockets + 256)), hard))

    rows = [("baseline", 10), ("load", args.sockets)]
    results = {label: run(count, args.seconds) for label, count in rows}
    base_p99 = _pct(results["baseline"][0].lateness_ms, 0.99)
    print(f"\nLive stream, one server process, {args.seconds:.0f} s, step frames every 1 s per socket")
    print(
        f"{'':<10}| {'sockets':>7} | {'frames/s':>8} | {'late p50 ms':>11} | {'late p99 ms':>11} | "
        f"{'max ms':>7} | {'p99 x base':>10} | {'RSS MiB idle → live':>20} | refused"
    )
    for label, count in rows:
        tally, fps, rss_before, rss_peak = results[label]
        p99 = _pct(tally.lateness_ms, 0.99)
        print(
            f"{label:<10}| {count:>7} | {fps:>8.0f} | {_pct(tally.lateness_ms, 0.5):>11.1f} | {p99:>11.1f} | "
            f"{max(tally.lateness_ms, default=float('nan')):>7.1f} | {p99 / base_p99:>10.1f} | "
            f"{rss_before:>8.0f} → {rss_peak:>8.0f} | {tally.refused}"
        )
    print(
        f"(lateness samples: {', '.join(str(len(r[0].lateness_ms)) for r in results.values())}; "
        f"mean {statistics.fmean(results['load'][0].lateness_ms or [float('nan')]):.1f} ms under load)"
    )


if __name__ == "__main__":
    main()
