"""SQLite in a read-only data directory: writes answer 503, reads go on, /health says degraded and
why, and nothing confirmed is lost.

Read-only for root too: the tests run as root here, and root ignores file modes (CAP_DAC_OVERRIDE),
so besides `chmod a-w` the directory and its files get the immutable attribute (`chattr +i`), which
binds root as well. As another user the modes alone do it.

The server that wrote the data is killed (SIGKILL), as a crash would, and a new one starts on the
read-only directory. That is the case where SQLite can still read: a crash leaves the WAL and its
index (`-wal`, `-shm`) beside the database, and SQLite reads a read-only WAL database through them.
After a clean stop they are gone and SQLite cannot create them in a read-only directory, so it cannot
open the database even to read ("unable to open database file"): the server does not start. A chmod
or chattr under a running server is not tested: its open files stay writable under chmod, and under
chattr SQLite's shared-memory index faults (SIGBUS) and the process dies.

Made writable again, the same server still refuses writes: SQLite shares one view of a file among
a process's connections, read-only while any connection from the read-only time is open, and the
pool keeps them. A restart writes at once; the test reports the same server's behaviour and asserts
the restart's.
"""

import asyncio
import os
import shutil
import signal
import stat
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from backend.tests.factories import TestUser, UserFactory
from backend.tests.faults.conftest import Report
from backend.tests.faults.load import (
    PAUSE_AFTER_REFUSAL_SEC,
    Ledger,
    health_until,
    sessions_readable,
    start_and_end,
    stored_sessions,
    write_until_accepted,
)
from bench.server import running_server

USERS = 2
CONFIRMED_BEFORE = 10
WRITES_WHILE_READ_ONLY = 10
SAME_SERVER_WATCH_SEC = 2.0
WRITES = ("start", "end", "write")  # how long to watch whether the server writes again once writable


async def test_sqlite_in_a_read_only_data_directory(
    tmp_path: Path, report: Report, capfd: pytest.CaptureFixture[str]
) -> None:
    _require_read_only_to_bind_this_user(tmp_path)
    data_dir = tmp_path / "data"
    url = f"sqlite+aiosqlite:///{data_dir / 'neurotune.db'}"
    ledger = Ledger()
    with running_server(url, data_dir) as (base_url, pid):
        async with httpx.AsyncClient(base_url=base_url) as http:
            users = [await UserFactory(http).create() for _ in range(USERS)]
            for i in range(CONFIRMED_BEFORE):
                assert await start_and_end(http, ledger, users[i % USERS])
            open_session = await UserFactory(http).start_session(users[0], "reading")  # never ended
            ledger.confirmed_start(open_session, users[0])
        os.kill(pid, signal.SIGKILL)
    assert {path.name for path in data_dir.iterdir()} >= {
        "neurotune.db",
        "neurotune.db-wal",
        "neurotune.db-shm",
    }

    make_writable = _make_read_only(data_dir)
    try:
        with running_server(url, data_dir, db_write_probe_interval_sec="0.2") as (base_url, _pid):
            async with httpx.AsyncClient(base_url=base_url) as http:
                degraded = await health_until(
                    http,
                    ledger,
                    lambda body: body["db_writes"] == "refused",
                    "health in a read-only directory",
                )
                read_only_at = time.monotonic()
                for i in range(WRITES_WHILE_READ_ONLY):
                    await start_and_end(http, ledger, users[i % USERS])
                await ledger.call(
                    http, "end", "PATCH", f"/sessions/{open_session}/end", json={}, headers=users[0].headers
                )
                await ledger.call(
                    http,
                    "write",
                    "POST",
                    "/auth/register",
                    json={"username": "latecomer", "email": "latecomer@example.org", "password": "x" * 12},
                )
                confirmed = set(ledger.started)
                readable = await sessions_readable(http, ledger, confirmed)
                history = await ledger.call(
                    http, "read", "GET", "/sessions/history", headers=users[1].headers
                )
                make_writable()
                writable_at = time.monotonic()
                same_server_writes = await _writes_within(http, ledger, users[0], SAME_SERVER_WATCH_SEC)
    finally:
        make_writable()
    server_log = capfd.readouterr().err
    (tmp_path / "server.log").write_text(server_log)

    with running_server(url, data_dir) as (base_url, _pid):  # restarted once the directory is writable
        async with httpx.AsyncClient(base_url=base_url) as http:
            restarted_at = time.monotonic()
            await write_until_accepted(http, ledger, users[1])
            readable_after = await sessions_readable(http, ledger, ledger.started)
    lost_starts, lost_ends = (await stored_sessions(url)).lost(ledger)

    method = "chmod a-w + chattr +i (root)" if os.geteuid() == 0 else "chmod a-w"
    report(
        f"read-only by {method}: writes "
        f"{ledger.by_status(since=read_only_at, until=writable_at, kinds=WRITES)}, "
        f"reads {ledger.by_status(since=read_only_at, until=writable_at, kinds=('read',))} ({readable} of "
        f"{len(confirmed)} sessions readable); /health: {degraded['status']}, {degraded['reasons']}"
    )
    report(
        "made writable again: the same server "
        + (
            f"wrote again after {same_server_writes - writable_at:.2f} s"
            if same_server_writes
            else f"still refused writes {SAME_SERVER_WATCH_SEC:g} s later"
        )
        + f"; restarted, it wrote ({ledger.by_status(since=restarted_at, kinds=WRITES)}) and reads "
        f"{readable_after} of {len(ledger.started)} sessions; rows lost: {len(lost_starts)} of "
        f"{len(ledger.started)} confirmed starts, {len(lost_ends)} of {len(ledger.ended)} confirmed ends"
    )

    assert ledger.problems() == []
    refused = ledger.statuses(since=read_only_at, until=writable_at, kinds=WRITES)
    assert set(refused) == {503}, refused
    assert readable == len(confirmed)
    assert isinstance(history, list)
    assert history
    assert degraded["db"] == "ok"
    assert degraded["status"] == "degraded"
    assert "database refuses writes: attempt to write a readonly database" in degraded["reasons"]
    assert readable_after == len(ledger.started)
    assert lost_starts == set()
    assert lost_ends == set()
    assert "Traceback" not in server_log, f"see {tmp_path / 'server.log'}"
    assert " ERROR " not in server_log, f"see {tmp_path / 'server.log'}"


def _require_read_only_to_bind_this_user(tmp_path: Path) -> None:
    """As root, only the immutable attribute stops writes; skip, saying so, where it is unavailable."""
    if os.geteuid() != 0:
        return
    chattr = shutil.which("chattr")
    if chattr is None:
        pytest.skip("running as root, which ignores file modes, and `chattr` (e2fsprogs) is not installed")
    probe = tmp_path / "chattr-probe"
    probe.write_text("")
    done = subprocess.run([chattr, "+i", probe], capture_output=True, text=True, check=False)
    subprocess.run([chattr, "-i", probe], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(
            "running as root, which ignores file modes, and `chattr +i` does not work here "
            f"({done.stderr.strip() or done.returncode}): no way to make a directory read-only for root"
        )


def _make_read_only(data_dir: Path) -> Callable[[], None]:
    """Make the directory and its files read-only (for root too); returns the undo (idempotent)."""
    paths = [data_dir, *sorted(path for path in data_dir.iterdir() if path.is_file())]
    modes = {path: stat.S_IMODE(path.stat().st_mode) for path in paths}
    chattr = shutil.which("chattr") if os.geteuid() == 0 else None
    for path in paths:
        path.chmod(0o555 if path.is_dir() else 0o444)
    if chattr:
        subprocess.run([chattr, "+i", *paths], check=True, capture_output=True)

    def undo() -> None:
        if chattr:
            subprocess.run([chattr, "-i", *paths], check=True, capture_output=True)
        for path, mode in modes.items():
            path.chmod(mode)

    return undo


async def _writes_within(
    http: httpx.AsyncClient, ledger: Ledger, user: TestUser, seconds: float
) -> float | None:
    """When a start and end were first both accepted within `seconds`, or None."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await start_and_end(http, ledger, user):
            return time.monotonic()
        await asyncio.sleep(PAUSE_AFTER_REFUSAL_SEC)
    return None
