"""120 simultaneous sign-ups: the server's peak memory above idle, and how every one was answered.

Run: `.venv/bin/python -m bench.signups` (in `make bench`). A real server (one uvicorn worker, the
model off) on SQLite, and on MariaDB when NEUROTUNE_BENCH_MYSQL_URL or NEUROTUNE_TEST_MYSQL_URL is
set, takes `--users` registrations at once. argon2id needs 64 MiB per hash; the baseline in the
same run lets 64 hashes run at once (as before hashing was bounded), the default lets
NEUROTUNE_PASSWORD_HASH_CONCURRENCY (2). Memory is the server process's resident set, sampled
every 20 ms.
"""

import argparse
import asyncio
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bench.server import bench_mysql_url, rss_mib, running_server


@dataclass
class Burst:
    name: str
    idle_mib: float = 0.0
    peak_mib: float = 0.0
    wall_sec: float = 0.0
    statuses: Counter[str] = field(default_factory=Counter)


async def _sign_up(base_url: str, users: int, stamp: int, burst: Burst) -> None:
    async with aiohttp.ClientSession(base_url, timeout=aiohttp.ClientTimeout(total=120)) as http:

        async def one(i: int) -> None:
            body = {
                "username": f"s{stamp}_{i}",
                "email": f"s{stamp}.{i}@example.org",
                "password": "sign-up-pw",
            }
            try:
                async with http.post("/auth/register", json=body) as response:
                    await response.read()
                    burst.statuses[str(response.status)] += 1
            except (TimeoutError, aiohttp.ClientError) as error:
                burst.statuses[type(error).__name__] += 1

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(users)))
        burst.wall_sec = time.perf_counter() - started


def run(name: str, database_url: str, users: int, concurrency: int) -> Burst:
    burst = Burst(name)
    with (
        tempfile.TemporaryDirectory() as data_dir,
        running_server(database_url, Path(data_dir), password_hash_concurrency=str(concurrency)) as (
            base_url,
            pid,
        ),
    ):
        time.sleep(1)
        burst.idle_mib = burst.peak_mib = rss_mib(pid)
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                burst.peak_mib = max(burst.peak_mib, rss_mib(pid))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            asyncio.run(_sign_up(base_url, users, time.monotonic_ns() % 10**9, burst))
        finally:
            done.set()
            sampler.join()
    return burst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=120)
    args = parser.parse_args()
    bursts = []
    with tempfile.TemporaryDirectory() as sqlite_dir:
        databases = {"SQLite": f"sqlite+aiosqlite:///{sqlite_dir}/signups.db"}
        if mysql := bench_mysql_url("neurotune_signups"):
            databases["MariaDB"] = mysql
        for database, url in databases.items():
            for label, concurrency in (("64 at once (baseline)", 64), ("bounded (default 2)", 2)):
                bursts.append(run(f"{database}, {label}", url, args.users, concurrency))
    print(f"\n{args.users} simultaneous sign-ups, one uvicorn worker, argon2id m=64 MiB")
    header = f"{'run':<34}| {'idle MiB':>8} | {'peak MiB':>8} | {'above idle':>10} | {'wall s':>6} | answers"
    print(header)
    print("-" * len(header))
    for burst in bursts:
        statuses = " ".join(f"{status}:{count}" for status, count in sorted(burst.statuses.items()))
        above = burst.peak_mib - burst.idle_mib
        print(
            f"{burst.name:<34}| {burst.idle_mib:>8.0f} | {burst.peak_mib:>8.0f} | {above:>10.0f} "
            f"| {burst.wall_sec:>6.1f} | {statuses}"
        )
    for baseline, bounded in zip(bursts[::2], bursts[1::2], strict=True):
        ratio = (bounded.peak_mib - bounded.idle_mib) / max(1.0, baseline.peak_mib - baseline.idle_mib)
        print(f"{bounded.name.split(',')[0]}: memory above idle, bounded / baseline = {ratio:.2f}")


if __name__ == "__main__":
    main()
