"""The music library at scale: rescanning an unchanged library, and listing a large one.

Run: `.venv/bin/python -m bench.library [--files 10000] [--rows 100000]`. On SQLite, and on MariaDB
when NEUROTUNE_BENCH_MYSQL_URL or NEUROTUNE_TEST_MYSQL_URL is set (as in bench/api.py):

- rescan: a tree of `--files` small files, all indexed with their current size and mtime, scanned
  again by the real scanner against the real table (nothing to analyse: every file is skipped).
  Baseline in the same run: a bare `os.walk` + `stat` of the same tree. Target: under 3 s.
- listing: `--rows` indexed tracks behind a real server (uvicorn, one worker); one client asks
  `GET /library` with tempo ranges, format, key and orderings, one request at a time. Baseline:
  `GET /health` (one `SELECT 1`). Target: p99 under 20 ms.
"""

import argparse
import asyncio
import os
import random
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import text

from backend.audio_processor.analyzer import TrackAnalysis
from backend.audio_processor.scanner import FoundFile, ScannedFile, ScanOptions, scan_directory
from backend.db.database import create_engine, create_session_factory
from backend.db.migrate import upgrade_engine
from backend.library.catalog import LibraryIndex
from bench.server import bench_mysql_url, running_server

FORMATS = ("wav", "flac", "mp3", "ogg", "opus")
KEYS = [f"{tonic} {mode}" for tonic in ("C", "D", "E", "F#", "A", "B") for mode in ("major", "minor")]
RESCAN_TARGET_SEC = 3.0
LIST_TARGET_P99_MS = 20.0


def _scanned(path: Path, rng: random.Random, size: int = 0, mtime_ns: int = 0) -> ScannedFile:
    analysis = TrackAnalysis(
        duration_sec=rng.uniform(60, 600),
        bpm=round(rng.uniform(60, 180), 2),
        bpm_confidence=0.8,
        key=rng.choice(KEYS),
        key_confidence=0.7,
        beat_offset_sec=0.1,
    )
    return ScannedFile(FoundFile(path, path.suffix[1:], size, mtime_ns), analysis)


def _make_tree(root: Path, files: int) -> list[Path]:
    paths = []
    for i in range(files):
        folder = root / f"artist {i // 1000:02d}" / f"album {i // 100 % 10}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"track {i:05d}.{FORMATS[i % len(FORMATS)]}"
        path.write_bytes(b"x" * (i % 7))
        paths.append(path)
    return paths


def _walk_and_stat(root: Path) -> int:
    count = 0
    for folder, _dirs, names in os.walk(root):
        for name in names:
            os.stat(os.path.join(folder, name))
            count += 1
    return count


async def bench_rescan(database_url: str, root: Path, paths: list[Path]) -> tuple[float, float, int]:
    """Seconds to index the tree from scratch (batched upserts), and to rescan it unchanged."""
    engine = create_engine(database_url)
    try:
        await upgrade_engine(engine)
        index = LibraryIndex(create_session_factory(engine))
        rng = random.Random(1)
        rows = []
        for path in paths:
            info = path.stat()
            rows.append(_scanned(path, rng, info.st_size, info.st_mtime_ns))
        started = time.perf_counter()
        await index.save(rows)
        write_sec = time.perf_counter() - started
        started = time.perf_counter()
        progress = await scan_directory(
            root, root=root, roots=[root], index=index, options=ScanOptions(workers=1, file_timeout_sec=60)
        )
        rescan_sec = time.perf_counter() - started
        assert progress.tracks_analyzed == progress.failed == progress.removed == 0
        return write_sec, rescan_sec, progress.skipped
    finally:
        await engine.dispose()


async def _fill(database_url: str, root: Path, rows: int) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade_engine(engine)
        index = LibraryIndex(create_session_factory(engine))
        rng = random.Random(2)
        for start in range(0, rows, 10_000):
            await index.save(
                [
                    _scanned(root / f"a{i // 1000:03d}" / f"track {i:06d}.{FORMATS[i % len(FORMATS)]}", rng)
                    for i in range(start, min(rows, start + 10_000))
                ]
            )
    finally:
        await engine.dispose()


def _listing_queries(rng: random.Random) -> dict[str, list[dict[str, str | int | float]]]:
    """Each kind of listing, with varied arguments so no single page is cached anywhere."""
    queries: dict[str, list[dict[str, str | int | float]]] = {}
    lows = [rng.uniform(60, 170) for _ in range(50)]
    queries["bpm 10-wide, by bpm"] = [{"bpm_min": lo, "bpm_max": lo + 10, "order": "bpm"} for lo in lows]
    queries["bpm 10-wide, by name"] = [{"bpm_min": lo, "bpm_max": lo + 10} for lo in lows]
    queries["bpm 40-wide, by name"] = [{"bpm_min": lo - 30, "bpm_max": lo + 10} for lo in lows]
    queries["bpm 10-wide + format"] = [
        {"bpm_min": lo, "bpm_max": lo + 10, "format": FORMATS[i % 5]} for i, lo in enumerate(lows)
    ]
    queries["key, by -bpm"] = [{"key": KEYS[i % len(KEYS)], "order": "-bpm"} for i in range(50)]
    queries["no filter, by name*"] = [{"offset": 50 * i} for i in range(50)]
    return queries


def _p(latencies: list[float], q: float) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_listing(database_url: str, rows: int, requests: int) -> list[tuple[str, float, float]]:
    """(query kind, p50 ms, p99 ms) for GET /health and each listing kind."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "library"
        root.mkdir()
        asyncio.run(_fill(database_url, root.resolve(), rows))
        server = running_server(database_url, Path(tmp) / "data", library_roots=f'["{root}"]')
        with server as (base_url, _), httpx.Client(base_url=base_url, timeout=30) as http:
            run = uuid.uuid4().hex[:8]  # the MariaDB database keeps users from earlier runs
            body = {
                "username": f"bench_{run}",
                "email": f"bench-{run}@example.org",
                "password": "benchmark-pw",
            }
            token = http.post("/auth/register", json=body).json()["token"]
            headers = {"Authorization": f"Bearer {token}"}
            kinds: dict[str, list[dict[str, str | int | float]]] = {"GET /health (baseline)": [{}]}
            kinds.update(_listing_queries(random.Random(3)))
            for _ in range(50):  # warm the server (first requests pay imports and cold caches)
                http.get("/library", params={"bpm_min": 100, "bpm_max": 110}, headers=headers)
            results = []
            for kind, params in kinds.items():
                path = "/health" if kind.startswith("GET /health") else "/library"
                latencies = []
                for i in range(requests):
                    started = time.perf_counter()
                    response = http.get(path, params=params[i % len(params)], headers=headers)
                    latencies.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, response.text
                results.append((kind, _p(latencies, 0.5), _p(latencies, 0.99)))
            total = http.get("/library", headers=headers).headers["X-Total-Count"]
            assert int(total) == rows
            return results


async def _empty_library(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DELETE FROM library"))
    finally:
        await engine.dispose()


def _print_rescans(files: int, walk_sec: float, rescans: dict[str, tuple[float, float, int]]) -> None:
    print(f"\nRescan of {files:,} unchanged indexed files (target < {RESCAN_TARGET_SEC:.0f} s)")
    print(f"{'what':<46}| {'seconds':>8} | {'x baseline':>10}")
    print(f"{'baseline: os.walk + stat':<46}| {walk_sec:>8.3f} | {1.0:>10.1f}")
    for name, (write_sec, rescan_sec, _) in rescans.items():
        for what, sec in (
            ("rescan, nothing to analyse", rescan_sec),
            ("first index write, batched", write_sec),
        ):
            print(f"{f'{name}: {what}':<46}| {sec:>8.3f} | {sec / walk_sec:>10.1f}")


def _print_listings(rows: int, requests: int, listings: dict[str, list[tuple[str, float, float]]]) -> None:
    names = list(listings)
    print(
        f"\nGET /library over {rows:,} rows, {requests} sequential requests per kind, one uvicorn worker "
        f"(target p99 < {LIST_TARGET_P99_MS:.0f} ms)"
    )
    header = f"{'query':<28}" + "".join(
        f"| {name + ' p50 ms':>15} {'p99 ms':>7} {'p50 x /health':>13} " for name in names
    )
    print(header)
    print("-" * len(header))
    for row in range(len(listings[names[0]])):
        line = f"{listings[names[0]][row][0]:<28}"
        for name in names:
            _, p50, p99 = listings[name][row]
            line += f"| {p50:>15.1f} {p99:>7.1f} {p50 / listings[name][0][1]:>13.1f} "
        print(line)
    print("* not a target: the total of an unfiltered listing counts every row")
    if "MariaDB" not in listings:
        print("(MariaDB skipped: set NEUROTUNE_BENCH_MYSQL_URL or NEUROTUNE_TEST_MYSQL_URL)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--files", type=int, default=10_000, help="files in the rescanned tree")
    parser.add_argument("--rows", type=int, default=100_000, help="indexed tracks behind GET /library")
    parser.add_argument("--requests", type=int, default=300, help="requests per listing kind")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        mysql = bench_mysql_url("neurotune_bench")
        rescan_urls = {"SQLite": f"sqlite+aiosqlite:///{tmp}/rescan.db"}
        listing_urls = {"SQLite": f"sqlite+aiosqlite:///{tmp}/listing.db"}
        if mysql:
            rescan_urls["MariaDB"] = listing_urls["MariaDB"] = mysql
        tree = (Path(tmp) / "tree").resolve()
        paths = _make_tree(tree, args.files)
        started = time.perf_counter()
        assert _walk_and_stat(tree) == args.files
        walk_sec = time.perf_counter() - started
        rescans = {name: asyncio.run(bench_rescan(url, tree, paths)) for name, url in rescan_urls.items()}
        assert all(skipped == args.files for _, _, skipped in rescans.values())
        if mysql:
            asyncio.run(_empty_library(mysql))
        listings = {name: bench_listing(url, args.rows, args.requests) for name, url in listing_urls.items()}
    _print_rescans(args.files, walk_sec, rescans)
    _print_listings(args.rows, args.requests, listings)


if __name__ == "__main__":
    main()
