import asyncio
import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend import __version__
from backend.db.database import create_engine, is_sqlite
from backend.db.health import DatabaseWriteProbe


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@contextmanager
def counted_probe_writes(engine: AsyncEngine) -> Iterator[list[int]]:
    """Statements that write the probe row while the block runs (one counter in a list)."""
    count = [0]

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO WRITE_PROBE"):
            count[0] += 1

    event.listen(engine.sync_engine, "before_cursor_execute", on_execute)
    try:
        yield count
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", on_execute)


def read_only_engine(database_url: str) -> AsyncEngine:
    """The same database through connections that refuse writes (reads still work)."""
    engine = create_engine(database_url)
    statement = "PRAGMA query_only=ON" if is_sqlite(database_url) else "SET SESSION TRANSACTION READ ONLY"

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(statement)
        cursor.close()

    event.listen(engine.sync_engine, "connect", on_connect)
    return engine


@contextmanager
def swapped_engine(app: FastAPI, engine: AsyncEngine) -> Iterator[None]:
    state = app.state.neurotune
    original, state.engine = state.engine, engine
    try:
        yield
    finally:
        state.engine = original


def install_probe(app: FastAPI, **kwargs: Any) -> DatabaseWriteProbe:
    probe = DatabaseWriteProbe(**kwargs)
    app.state.neurotune.write_probe = probe
    return probe


async def test_root_reports_version(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__}


async def test_health_reads_and_writes_for_real(app: FastAPI, client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["reasons"] == []
    assert body["api"] == "ok"
    assert body["db"] == "ok"
    assert body["db_writes"] == "ok"
    assert 0 <= body["db_write_checked_sec_ago"] < 60
    assert body["data_dir_free_mb"] > 0
    assert body["llm"] == "disabled"  # the shared settings switch the model off
    async with app.state.neurotune.engine.connect() as connection:
        rows = (await connection.execute(text("SELECT id, written_at FROM write_probe"))).all()
    assert [row.id for row in rows] == [1]
    assert datetime.now(UTC) - datetime.fromisoformat(rows[0].written_at) < timedelta(minutes=1)


async def test_health_reports_a_dead_database_as_503(app: FastAPI, client: httpx.AsyncClient) -> None:
    # Point the engine at a server that does not exist: the health check must say so, not crash.
    dead = create_engine("mysql+asyncmy://nobody@127.0.0.1:1/none")
    try:
        with swapped_engine(app, dead):
            response = await client.get("/health")
    finally:
        await dead.dispose()
    assert response.status_code == 503
    body = response.json()
    assert body["db"] == "error"
    assert body["db_error"]
    assert body["status"] == "degraded"
    assert body["reasons"] == [f"database does not answer: {body['db_error']}"]
    assert body["db_writes"] == "unknown"  # nothing to write to
    assert body["db_write_checked_sec_ago"] is None


async def test_a_database_that_refuses_writes_is_degraded_but_answers_200(
    app: FastAPI, client: httpx.AsyncClient, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    refusing = read_only_engine(database_url)
    try:
        with swapped_engine(app, refusing), caplog.at_level(logging.INFO):
            first = await client.get("/health")
            second = await client.get("/health")  # the cached result: no second warning
    finally:
        await refusing.dispose()
    assert first.status_code == 200  # it still reads: monitoring reads the body
    body = first.json()
    assert body["db"] == "ok"
    assert body["db_writes"] == "refused"
    assert body["status"] == "degraded"
    [reason] = body["reasons"]
    assert reason.startswith("database refuses writes: ")
    assert re.search("readonly database|READ ONLY transaction", reason), reason
    assert "[SQL:" not in reason  # the driver's words, not SQLAlchemy's statement dump
    assert second.json()["reasons"] == [reason]
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.levelname for r in warnings] == ["WARNING"]  # one, and no traceback at ERROR
    assert warnings[0].exc_info is None


async def test_writes_that_work_again_make_health_ok_again(
    app: FastAPI, client: httpx.AsyncClient, database_url: str
) -> None:
    install_probe(app, interval_sec=0, timeout_sec=5)
    refusing = read_only_engine(database_url)
    try:
        with swapped_engine(app, refusing):
            assert (await client.get("/health")).json()["db_writes"] == "refused"
    finally:
        await refusing.dispose()
    body = (await client.get("/health")).json()
    assert body["db_writes"] == "ok"
    assert body["status"] == "ok"


async def test_the_write_probe_runs_at_most_once_per_interval(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = FakeClock()
    install_probe(app, interval_sec=5, timeout_sec=5, clock=clock)
    with counted_probe_writes(app.state.neurotune.engine) as writes:
        answers = await asyncio.gather(*(client.get("/health") for _ in range(10)))
        assert {answer.status_code for answer in answers} == {200}
        assert writes == [1]
        clock.now += 4.9
        body = (await client.get("/health")).json()
        assert writes == [1]
        assert body["db_write_checked_sec_ago"] == pytest.approx(4.9)
        clock.now += 0.2
        body = (await client.get("/health")).json()
        assert writes == [2]
        assert body["db_write_checked_sec_ago"] == 0


async def test_concurrent_checks_share_one_probe(app: FastAPI) -> None:
    engine = app.state.neurotune.engine
    probe = DatabaseWriteProbe(interval_sec=5, timeout_sec=5)
    with counted_probe_writes(engine) as writes:
        results = await asyncio.gather(*(probe.check(engine) for _ in range(20)))
    assert writes == [1]
    assert probe.probes_run == 1
    assert all(result is results[0] for result in results)
    assert results[0].error is None


async def test_a_write_stuck_behind_a_lock_is_reported_on_time(
    app: FastAPI, client: httpx.AsyncClient, database_url: str
) -> None:
    timeout_sec = 0.5
    install_probe(app, interval_sec=0, timeout_sec=timeout_sec)
    assert (await client.get("/health")).json()["db_writes"] == "ok"  # the row exists now
    async with app.state.neurotune.engine.connect() as holder:
        # Another writer holds the probe row (MariaDB: its row lock; SQLite: the database's write
        # lock), as a long transaction would; the probe would wait up to SQLite's busy timeout (5 s)
        # or InnoDB's lock wait timeout (50 s) if nothing bounded it.
        await holder.execute(text("UPDATE write_probe SET written_at = 'held' WHERE id = 1"))
        started = time.monotonic()
        response = await client.get("/health")
        waited_sec = time.monotonic() - started
        await holder.rollback()
    assert response.status_code == 200
    body = response.json()
    assert body["db"] == "ok"
    assert body["db_writes"] == "refused"
    assert body["reasons"] == [f"database refuses writes: no write confirmed within {timeout_sec:g} s"]
    assert waited_sec < 4  # bounded by the probe's timeout, not by the lock's
    for _ in range(50):  # the lock is gone: the next probes write again
        if (await client.get("/health")).json()["db_writes"] == "ok":
            break
        await asyncio.sleep(0.1)
    else:
        pytest.fail("the write probe did not recover after the lock was released")


async def test_a_nearly_full_data_directory_is_degraded(app: FastAPI, client: httpx.AsyncClient) -> None:
    state = app.state.neurotune
    state.settings = state.settings.model_copy(update={"data_dir_min_free_mb": 1e12})
    response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["db_writes"] == "ok"
    [reason] = body["reasons"]
    assert re.fullmatch(r"data directory has \d+ MB free \(< 1e\+12 MB\)", reason), reason


async def test_a_failed_model_is_a_reason(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    llm = app.state.neurotune.llm
    monkeypatch.setattr(llm, "status", "error")
    monkeypatch.setattr(llm, "error", "the model process stopped (EOFError)")
    body = (await client.get("/health")).json()
    assert body["status"] == "degraded"
    assert body["reasons"] == [
        "language model failed (the model process stopped (EOFError)); the planner answers"
    ]


async def test_health_declares_every_answer(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    responses = document["paths"]["/health"]["get"]["responses"]
    assert set(responses) == {"200", "400", "413", "431", "503"}  # 400, 413, 431: middleware, any route
    for status in ("200", "503"):
        schema = responses[status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/HealthReport"}
    for status in ("400", "413", "431"):
        schema = responses[status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorDetail"}


@pytest.mark.parametrize("path", ["/docs", "/openapi.json"])
async def test_api_docs_are_served(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
