"""A session's life on SQLite and MariaDB: pauses that stop its clock, an end that is idempotent,
a rating given later, and the plan's explanation stored with it."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from backend.db.queries import AlreadyEnded, SessionQueries
from backend.models.orm import ListeningSession
from backend.services.listening_sessions import NotPlaying, pause_session, resume_session
from backend.tests.factories import UserFactory


async def _shift(app: FastAPI, session_id: int, **minutes_ago: float) -> None:
    """Move the session's timestamps into the past (started_at=25 means 25 minutes ago)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    values = {column: now - timedelta(minutes=ago) for column, ago in minutes_ago.items()}
    assignments = ", ".join(f"{column} = :{column}" for column in values)
    async with app.state.neurotune.engine.begin() as connection:
        await connection.execute(
            text(f"UPDATE sessions SET {assignments} WHERE id = :id"), {**values, "id": session_id}
        )


async def test_a_pause_stops_the_clock_and_listened_time_leaves_it_out(
    app: FastAPI, client: httpx.AsyncClient, users: UserFactory
) -> None:
    state = app.state.neurotune
    user = await users.create()
    session_id = await users.start_session(user, duration_min=30)
    await _shift(app, session_id, started_at=20)
    async with state.session_factory() as db:
        session = await db.get(ListeningSession, session_id)
        assert session is not None
        await pause_session(db, session, state.hub)
        await pause_session(db, session, state.hub)  # pausing twice changes nothing
    await _shift(app, session_id, paused_at=8)  # it has been paused for 8 of the 20 minutes
    async with state.session_factory() as db:
        session = await db.get(ListeningSession, session_id)
        assert session is not None
        await resume_session(db, session, state.hub)
        assert session.paused_at is None
        assert session.paused_sec == pytest.approx(8 * 60, abs=5)
    ended = await client.patch(f"/sessions/{session_id}/end", json={"rating": 4}, headers=user.headers)
    assert ended.status_code == 200
    assert ended.json()["duration_sec"] == pytest.approx(12 * 60, abs=5)  # 20 minutes less the 8 paused
    stored = (await client.get(f"/sessions/{session_id}", headers=user.headers)).json()
    assert stored["end_reason"] == "ended"  # stopped early
    async with state.session_factory() as db:
        session = await db.get(ListeningSession, session_id)
        assert session is not None
        with pytest.raises(NotPlaying):
            await pause_session(db, session, state.hub)


async def test_ending_again_is_harmless_unless_it_contradicts(
    app: FastAPI, client: httpx.AsyncClient, users: UserFactory
) -> None:
    user = await users.create()
    session_id = await users.start_session(user)
    path = f"/sessions/{session_id}/end"
    first = await client.patch(path, json={"rating": 4}, headers=user.headers)
    assert first.status_code == 200
    for repeat in ({}, {"rating": 4}, {"feedback_note": "calm"}):  # nothing new, or only what is missing
        again = await client.patch(path, json=repeat, headers=user.headers)
        assert again.status_code == 200, repeat
        assert again.json() == first.json()
    assert (await client.patch(path, json={"rating": 2}, headers=user.headers)).status_code == 409
    assert (
        await client.patch(path, json={"feedback_note": "other"}, headers=user.headers)
    ).status_code == 409
    stored = (await client.get(f"/sessions/{session_id}", headers=user.headers)).json()
    assert (stored["rating"], stored["feedback_note"]) == (4, "calm")


async def test_a_session_the_server_ended_can_be_rated_later(
    app: FastAPI, client: httpx.AsyncClient, users: UserFactory
) -> None:
    user = await users.create()
    session_id = await users.start_session(user, duration_min=5)
    await _shift(app, session_id, started_at=40)
    async with app.state.neurotune.session_factory() as db:
        session = await db.get(ListeningSession, session_id)
        assert session is not None
        await SessionQueries(db).end(session, ended_at=datetime.now(UTC), reason="abandoned")
        with pytest.raises(AlreadyEnded):  # a second end, e.g. from another process, loses
            await SessionQueries(db).end(session, ended_at=datetime.now(UTC), reason="abandoned")
    rated = await client.patch(f"/sessions/{session_id}/end", json={"rating": 5}, headers=user.headers)
    assert rated.status_code == 200
    assert rated.json()["duration_sec"] == 5 * 60  # never more than the schedule
    stored = (await client.get(f"/sessions/{session_id}", headers=user.headers)).json()
    assert (stored["end_reason"], stored["rating"]) == ("abandoned", 5)


async def test_listened_to_the_end_is_completed(
    app: FastAPI, client: httpx.AsyncClient, users: UserFactory
) -> None:
    user = await users.create()
    session_id = await users.start_session(user, duration_min=5)
    await _shift(app, session_id, started_at=5)
    ended = await client.patch(f"/sessions/{session_id}/end", json={"rating": 5}, headers=user.headers)
    assert ended.json()["duration_sec"] == pytest.approx(5 * 60, abs=1)
    stored = (await client.get(f"/sessions/{session_id}", headers=user.headers)).json()
    assert stored["end_reason"] == "completed"


async def test_the_plan_explains_itself_from_the_server(
    client: httpx.AsyncClient, users: UserFactory
) -> None:
    user = await users.create(neurotype="adhd")
    started = await client.post(
        "/sessions/start",
        json={"intent": "studying for my exam tomorrow, a bit anxious"},
        headers=user.headers,
    )
    session = (await client.get(f"/sessions/{started.json()['session_id']}", headers=user.headers)).json()
    explanation = session["explanation"]
    assert explanation["reading"] == {
        "family": "anxiety_relief",
        "label": "Anxiety relief",
        "words": ["anxious"],
        "chosen_by_listener": False,
    }
    assert explanation["band"]["beat_hz"] == [6.0, 9.0]
    assert any("ADHD" in words for words in explanation["shaping"])
    assert explanation["learned"]["summary"].startswith("Nothing rated yet")
    assert explanation["learned"]["confidence"] == 0
    assert explanation["model"] is None
    assert session["favourite"] is False
    assert session["paused_at"] is None
