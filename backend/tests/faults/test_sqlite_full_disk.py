"""SQLite when its files may not grow (a full disk, as the server process sees it): writes answer
503, reads go on, /health says degraded and why, nothing confirmed is lost, and once there is room
again the same server writes again and a new server finds everything.

The "full disk" is RLIMIT_FSIZE on the running server (prlimit on its pid, once its database
exists): a write past the limit fails with EFBIG, which SQLite reports as a disk I/O error, exactly
where a full disk fails with ENOSPC. Python ignores SIGXFSZ, so the process lives on. The limit
leaves the files' current sizes writable, so only growth fails, as on a full disk.
"""

import resource
import time
from pathlib import Path

import httpx
import pytest

from backend.tests.factories import UserFactory
from backend.tests.faults.conftest import Report
from backend.tests.faults.load import (
    Ledger,
    health_until,
    sessions_readable,
    start_and_end,
    stored_sessions,
    write_until_accepted,
    writes_ok,
)
from bench.server import running_server

USERS = 2
CONFIRMED_BEFORE = 10  # start -> end cycles before the limit
HEADROOM_BYTES = 256 * 1024  # the files may grow this much past their size when the limit is set
MAX_WRITES_UNTIL_FULL = 2000
WRITES_WHILE_FULL = 10


async def test_sqlite_with_no_room_to_grow(
    tmp_path: Path, report: Report, capfd: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "data"
    url = f"sqlite+aiosqlite:///{data_dir / 'neurotune.db'}"
    ledger = Ledger()
    with running_server(url, data_dir, db_write_probe_interval_sec="0.2") as (base_url, pid):
        async with httpx.AsyncClient(base_url=base_url) as http:
            users = [await UserFactory(http).create() for _ in range(USERS)]
            for i in range(CONFIRMED_BEFORE):
                assert await start_and_end(http, ledger, users[i % USERS])
            limit = max(path.stat().st_size for path in data_dir.glob("neurotune.db*")) + HEADROOM_BYTES
            soft, hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)
            resource.prlimit(pid, resource.RLIMIT_FSIZE, (limit, hard))
            limited_at = time.monotonic()
            try:
                for attempt in range(MAX_WRITES_UNTIL_FULL):
                    if not await start_and_end(http, ledger, users[attempt % USERS]):
                        break
                else:
                    pytest.fail(
                        f"{MAX_WRITES_UNTIL_FULL} writes succeeded under a {limit} byte file-size limit"
                    )
                full_at = time.monotonic()
                for i in range(WRITES_WHILE_FULL):
                    await start_and_end(http, ledger, users[i % USERS])
                confirmed_while_full = set(ledger.started)
                readable_while_full = await sessions_readable(http, ledger, confirmed_while_full)
                degraded = await health_until(
                    http,
                    ledger,
                    lambda body: body["db_writes"] == "refused",
                    "health while the files cannot grow",
                )
            finally:
                resource.prlimit(pid, resource.RLIMIT_FSIZE, (soft, hard))
            lifted_at = time.monotonic()
            recovered_at = await write_until_accepted(http, ledger, users[0])
            healthy = await health_until(http, ledger, writes_ok, "health with room again")
    server_log = capfd.readouterr().err
    (tmp_path / "server.log").write_text(server_log)

    with running_server(url, data_dir) as (base_url, _pid):  # a new server on the same file
        async with httpx.AsyncClient(base_url=base_url) as http:
            readable_after = await sessions_readable(http, ledger, ledger.started)
    lost_starts, lost_ends = (await stored_sessions(url)).lost(ledger)

    writes = ("start", "end")
    report(
        f"file-size limit {limit // 1024} KiB: {len(confirmed_while_full) - CONFIRMED_BEFORE} more starts "
        "confirmed before the first refusal; while full, writes "
        f"{ledger.by_status(since=full_at, until=lifted_at, kinds=writes)}, "
        f"reads {ledger.by_status(since=full_at, until=lifted_at, kinds=('read',))} "
        f"({readable_while_full} of {len(confirmed_while_full)} sessions readable)"
    )
    report(f"/health while full: {degraded['status']}, {degraded['reasons']}")
    report(
        f"limit lifted: the same server wrote again after {recovered_at - lifted_at:.2f} s, /health "
        f"{healthy['status']}; a new server on the file reads {readable_after} of {len(ledger.started)} "
        "sessions; "
        f"rows lost: {len(lost_starts)} of {len(ledger.started)} confirmed starts, {len(lost_ends)} of "
        f"{len(ledger.ended)} confirmed ends"
    )

    assert ledger.problems() == []
    assert ledger.statuses(since=limited_at, until=lifted_at, kinds=writes)[503] > 0
    assert readable_while_full == len(confirmed_while_full)
    assert degraded["db"] == "ok"
    assert degraded["status"] == "degraded"
    assert any(reason.startswith("database refuses writes: ") for reason in degraded["reasons"])
    assert healthy["db_writes"] == "ok"
    assert readable_after == len(ledger.started)
    assert lost_starts == set()
    assert lost_ends == set()
    assert "Traceback" not in server_log, f"see {tmp_path / 'server.log'}"
    assert " ERROR " not in server_log, f"see {tmp_path / 'server.log'}"
