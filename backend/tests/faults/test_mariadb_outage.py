"""MariaDB killed mid-load and brought back: the app answers 503 (never 500) while it is gone,
recovers without a restart, and loses no write it confirmed."""

import asyncio
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from backend.db.database import create_engine
from backend.tests.factories import UserFactory
from backend.tests.faults.conftest import Report
from backend.tests.faults.load import (
    Ledger,
    health_until,
    health_watch,
    listener,
    stored_sessions,
    wait_until,
    writes_ok,
)
from backend.tests.faults.private_mariadb import PrivateMariaDB
from bench.server import running_server

USERS = 4
LISTENERS = 8
WARM_UP_STARTS = 40  # confirmed starts before the kill, so there is something to lose
OUTAGE_SEC = 3.0
AFTER_RECOVERY_SEC = 1.5
HEALTH_EVERY_SEC = 0.2


async def _create_database(server: PrivateMariaDB, name: str) -> str:
    engine = create_engine(server.url())
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
    finally:
        await engine.dispose()
    return server.url(name)


async def test_mariadb_killed_mid_load_then_restarted(
    private_mariadb: PrivateMariaDB,
    tmp_path: Path,
    report: Report,
    capfd: pytest.CaptureFixture[str],
) -> None:
    url = await _create_database(private_mariadb, "neurotune")
    ledger = Ledger()
    with running_server(url, tmp_path / "data", db_write_probe_interval_sec="0.5") as (base_url, _pid):
        async with httpx.AsyncClient(base_url=base_url) as http:
            users = [await UserFactory(http).create() for _ in range(USERS)]
            stop = asyncio.Event()
            load = [
                asyncio.create_task(listener(http, ledger, users[i % USERS], stop)) for i in range(LISTENERS)
            ]
            load.append(asyncio.create_task(health_watch(http, ledger, stop, HEALTH_EVERY_SEC)))
            try:
                await wait_until(lambda: len(ledger.started) >= WARM_UP_STARTS, "warm-up starts")
                killed_at = time.monotonic()
                await asyncio.to_thread(private_mariadb.kill)
                await asyncio.sleep(OUTAGE_SEC)
                await asyncio.to_thread(private_mariadb.start)  # the load goes on meanwhile
                back_at = time.monotonic()
                recovered_at = await wait_until(
                    lambda: ledger.first(201, kind="start", since=back_at) is not None,
                    "a start confirmed after the database came back (the app did not recover)",
                )
                await asyncio.sleep(AFTER_RECOVERY_SEC)
            finally:
                stop.set()
                await asyncio.gather(*load)
            healthy = await health_until(http, ledger, writes_ok, "health after the database came back")
    server_log = capfd.readouterr().err
    (tmp_path / "server.log").write_text(server_log)  # kept by pytest for a look after a failure
    stored = await stored_sessions(url)
    lost_starts, lost_ends = stored.lost(ledger)
    detected = ledger.first(503, kind="start", since=killed_at)
    health_ok_at = ledger.first(200, kind="health", since=back_at)
    unconfirmed_but_stored = stored.sessions - ledger.started

    writes = ("start", "end")
    report(
        f"before the kill: {ledger.by_status(until=killed_at, kinds=writes)}; "
        f"database down {back_at - killed_at:.1f} s: "
        f"{ledger.by_status(since=killed_at, until=back_at, kinds=writes)} "
        f"(first 503 {detected - killed_at if detected else float('nan'):.3f} s after the kill); "
        f"after: {ledger.by_status(since=back_at, kinds=writes)}"
    )
    report(
        f"recovered without restart: first start confirmed {recovered_at - back_at:.2f} s after mariadbd was "
        f"serving again, /health 200 after {health_ok_at - back_at if health_ok_at else float('nan'):.2f} s; "
        f"/health while down: {ledger.by_status(since=killed_at, until=back_at, kinds=('health',))}"
    )
    report(
        f"rows lost: {len(lost_starts)} of {len(ledger.started)} confirmed starts, {len(lost_ends)} of "
        f"{len(ledger.ended)} confirmed ends; stored although answered 503 (commit raced the kill): "
        f"{len(unconfirmed_but_stored)}"
    )

    errors = [line for line in server_log.splitlines() if " ERROR " in line or line.startswith("ERROR:")]
    assert ledger.problems() == [], f"see {tmp_path / 'server.log'}"  # every request answered, JSON
    assert errors == [], f"see {tmp_path / 'server.log'}"  # the outage is warned about, not a trace
    assert ledger.statuses(since=killed_at, until=back_at, kinds=("start",))[503] > 0
    assert healthy["db_writes"] == "ok"
    assert ledger.statuses(since=killed_at, until=back_at, kinds=("health",))[503] > 0
    assert lost_starts == set()
    assert lost_ends == set()


FROZEN_SEC = 3.0


async def test_health_answers_on_time_while_mariadb_is_frozen(
    private_mariadb: PrivateMariaDB, tmp_path: Path, report: Report
) -> None:
    """A database that holds its connections open and never answers (SIGSTOP) must not hang /health."""
    url = await _create_database(private_mariadb, "neurotune")
    ledger = Ledger()
    with running_server(url, tmp_path / "data", db_write_probe_interval_sec="0.5") as (base_url, _pid):
        async with httpx.AsyncClient(base_url=base_url) as http:
            await health_until(http, ledger, writes_ok, "health before the freeze")
            private_mariadb.freeze()
            frozen_at = time.monotonic()
            body = None
            try:
                while time.monotonic() - frozen_at < FROZEN_SEC:
                    body = await ledger.call(http, "health", "GET", "/health")
            finally:
                private_mariadb.thaw()
            thawed_at = time.monotonic()
            healthy = await health_until(http, ledger, writes_ok, "health after the thaw")
            ok_again = time.monotonic()
    report(
        f"frozen {thawed_at - frozen_at:.1f} s: /health {ledger.by_status(since=frozen_at, until=thawed_at)} "
        f"(db_error {body.get('db_error') if isinstance(body, dict) else body!r}), "
        f"slowest answer {ledger.slowest(since=frozen_at, until=thawed_at):.2f} s; "
        f"ok again {ok_again - thawed_at:.2f} s after the thaw"
    )
    assert ledger.problems() == []
    assert ledger.statuses(since=frozen_at, until=thawed_at)[503] > 0
    assert healthy["db_writes"] == "ok"
