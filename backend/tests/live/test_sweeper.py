"""Every session ends: the sweeper closes the ones nobody listened to the end, exactly once even
when several processes sweep the same database (SQLite and MariaDB)."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from backend.config import Settings
from backend.main import create_app
from backend.tests.factories import UserFactory
from backend.tests.live_server import LiveServer, next_frame


async def _age(
    app: FastAPI, session_id: int, started_min_ago: float, paused_min_ago: float | None = None
) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    paused_at = None if paused_min_ago is None else now - timedelta(minutes=paused_min_ago)
    async with app.state.neurotune.engine.begin() as connection:
        await connection.execute(
            text("UPDATE sessions SET started_at = :s, paused_at = :p WHERE id = :id"),
            {"s": now - timedelta(minutes=started_min_ago), "p": paused_at, "id": session_id},
        )
    app.state.neurotune.hub.evict(session_id)


@pytest.fixture
async def second_process(settings: Settings) -> AsyncIterator[FastAPI]:
    """Another app on the same database: a second worker, with a hub and a sweeper of its own."""
    other = create_app(settings)
    async with other.router.lifespan_context(other):
        yield other


async def test_abandoned_sessions_are_ended_once_across_two_processes(
    app: FastAPI, second_process: FastAPI, client: httpx.AsyncClient, users: UserFactory
) -> None:
    user = await users.create()
    ids = {
        name: await users.start_session(user, duration_min=30)
        for name in ("gone", "paused", "playing", "fresh")
    }
    await _age(app, ids["gone"], started_min_ago=45)  # 30 min schedule + 10 min grace passed
    await _age(app, ids["paused"], started_min_ago=13 * 60, paused_min_ago=12 * 60 + 5)  # paused > 12 h
    await _age(app, ids["playing"], started_min_ago=35)  # ran out 5 min ago: still in the grace period
    swept = await asyncio.gather(
        app.state.neurotune.sweeper.sweep_once(), second_process.state.neurotune.sweeper.sweep_once()
    )
    assert sum(swept) == 2  # each abandoned session ended by exactly one of the two
    history = {s["id"]: s for s in (await client.get("/sessions/history", headers=user.headers)).json()}
    assert history[ids["gone"]]["end_reason"] == "abandoned"
    assert history[ids["gone"]]["duration_sec"] == 30 * 60  # listened time, never past the schedule
    assert history[ids["paused"]]["end_reason"] == "abandoned"
    assert history[ids["playing"]]["ended_at"] is None
    assert history[ids["fresh"]]["ended_at"] is None
    assert sum(await asyncio.gather(app.state.neurotune.sweeper.sweep_once())) == 0  # nothing left


async def test_a_session_someone_is_listening_to_is_not_swept_but_completed(
    live_server: LiveServer, live_users: UserFactory
) -> None:
    user = await live_users.create()
    session_id = await live_server.start_dense_session(user, started_ago_sec=55)  # 60 s schedule
    state = live_server.app.state.neurotune
    async with live_server.socket(session_id, user.token) as ws:
        await next_frame(ws)
        state.sweeper.grace_sec = 0.001  # even with no grace, a listened session is not abandoned
        frame = await next_frame(ws)
        while frame["type"] != "end":
            assert await state.sweeper.sweep_once() == 0
            frame = await next_frame(ws)
        assert frame["reason"] == "duration_over"
    for _ in range(100):  # the hub records the completion just after the end frame
        answer = await live_server.http.get(f"/sessions/{session_id}", headers=user.headers)
        assert answer.status_code == 200, answer.text
        stored = answer.json()
        if stored["ended_at"] is not None:
            break
        await asyncio.sleep(0.05)
    assert stored["end_reason"] == "completed"
    assert stored["duration_sec"] == 60
