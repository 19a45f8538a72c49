"""The live stream over a real server and real sockets: who may listen, order, resume, refine, end."""

import asyncio
import itertools
import json
import logging
import os
from datetime import datetime
from pathlib import Path

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from backend.live.frames import ModulationUpdate
from backend.schedules.schedule import ModulationSchedule
from backend.schedules.validator import ScheduleRejected
from backend.tests.db_probes import counted_checkouts
from backend.tests.factories import UserFactory
from backend.tests.live_server import (
    DENSE_STEPS,
    LOOKAHEAD_SEC,
    STEP_SPACING_SEC,
    LiveServer,
    dense_schedule,
    next_frame,
)


async def _close_code(ws: ClientConnection) -> int | None:
    """Read until the server closes; the close code it sent."""
    try:
        for _ in range(100):
            await asyncio.wait_for(ws.recv(), 5)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
    raise AssertionError("the server did not close the socket")


async def test_strangers_and_bad_tokens_are_closed_with_policy_violation(
    live_server: LiveServer, live_users: UserFactory
) -> None:
    owner = await live_users.create()
    stranger = await live_users.create()
    session_id = await live_users.start_session(owner)
    for token in (stranger.token, "not-a-token", None):
        async with live_server.socket(session_id, token) as ws:
            assert await _close_code(ws) == 1008
    async with live_server.socket(999_999, owner.token) as ws:  # missing looks the same
        assert await _close_code(ws) == 1008


async def test_owner_gets_schedule_then_steps_in_order_ahead_of_time(
    live_server: LiveServer, live_users: UserFactory
) -> None:
    user = await live_users.create()
    session_id = await live_server.start_dense_session(user)
    async with live_server.socket(session_id, user.token) as ws:
        assert ws.subprotocol == "neurotune.v1"
        first = ModulationUpdate.model_validate(await next_frame(ws))
        assert first.type == "schedule"
        assert first.session_id == session_id
        assert first.steps == ModulationSchedule.model_validate(dense_schedule()).steps
        frames = [ModulationUpdate.model_validate(await next_frame(ws)) for _ in range(5)]
    seqs = [first.seq] + [f.seq for f in frames]
    assert all(b == a + 1 for a, b in itertools.pairwise(seqs))  # the snapshot is "you are at seq N"
    step_frames = [f for f in frames if f.type == "step"]
    indexes = [f.step_index for f in step_frames if f.step_index is not None]
    assert indexes == list(range(indexes[0], indexes[0] + len(indexes)))
    for frame in step_frames:
        assert frame.starts_at_sec is not None
        # Sent about one lookahead before the step begins: never after, never much before.
        lead = frame.starts_at_sec - frame.elapsed_sec
        assert LOOKAHEAD_SEC - 0.5 <= lead <= LOOKAHEAD_SEC + 1e-6 or frame.starts_at_sec < LOOKAHEAD_SEC


async def test_first_message_auth_works_too(live_server: LiveServer, live_users: UserFactory) -> None:
    user = await live_users.create()
    session_id = await live_users.start_session(user)
    async with connect(f"{live_server.ws_url}/ws/session/{session_id}") as ws:
        await ws.send(json.dumps({"type": "auth", "token": user.token}))
        assert (await next_frame(ws))["type"] == "schedule"
    async with connect(f"{live_server.ws_url}/ws/session/{session_id}") as ws:
        await ws.send("hello?")
        assert await _close_code(ws) == 1008


async def test_resume_after_a_dropped_connection_has_no_gaps_or_duplicates(
    live_server: LiveServer, live_users: UserFactory
) -> None:
    user = await live_users.create()
    session_id = await live_server.start_dense_session(user)
    async with live_server.socket(session_id, user.token) as ws:
        seen = [await next_frame(ws) for _ in range(3)]
    stream_id, last_seq = seen[-1]["stream_id"], seen[-1]["seq"]
    await asyncio.sleep(3 * STEP_SPACING_SEC)  # frames go out while we are away
    query = f"?stream_id={stream_id}&last_seq={last_seq}"
    async with live_server.socket(session_id, user.token, query) as ws:
        resumed = [await next_frame(ws) for _ in range(4)]
    assert [f["seq"] for f in resumed] == list(range(last_seq + 1, last_seq + 5))
    assert all(f["type"] == "step" for f in resumed)
    indexes = [f["step_index"] for f in seen + resumed if f["type"] == "step"]
    assert indexes == list(range(indexes[0], indexes[0] + len(indexes)))  # every step, once


async def test_unknown_stream_position_gets_a_fresh_snapshot(
    live_server: LiveServer, live_users: UserFactory
) -> None:
    user = await live_users.create()
    session_id = await live_server.start_dense_session(user)
    async with live_server.socket(
        session_id, user.token, "?stream_id=from-before-a-restart&last_seq=40"
    ) as ws:
        frame = await next_frame(ws)
    assert frame["type"] == "schedule"
    assert len(frame["steps"]) == DENSE_STEPS


async def test_refined_frames_change_only_the_future(
    live_server: LiveServer, live_users: UserFactory
) -> None:
    user = await live_users.create()
    session_id = await live_server.start_dense_session(user)
    hub = live_server.app.state.neurotune.hub
    before = ModulationSchedule.model_validate(await live_server.schedule_of(user, session_id))
    async with live_server.socket(session_id, user.token) as ws:
        await next_frame(ws)
        await next_frame(ws)
        # A refinement that differs everywhere: 0.05 Hz lower at every step.
        refined = ModulationSchedule.model_validate(dense_schedule(first_hz=9.95))
        merged = await hub.refine(session_id, user.id, refined)
        frame = ModulationUpdate.model_validate(await next_frame(ws))
        while frame.type != "refined":
            frame = ModulationUpdate.model_validate(await next_frame(ws))
    assert frame.from_sec is not None
    assert frame.from_sec >= frame.elapsed_sec + LOOKAHEAD_SEC
    assert frame.steps == merged.steps
    for old, new in zip(before.steps, merged.steps, strict=True):
        if old.timestamp_sec < frame.from_sec:
            assert new == old  # the past is never rewritten
        else:
            assert new.binaural_freq == pytest.approx(old.binaural_freq - 0.05)
    assert ModulationSchedule.model_validate(await live_server.schedule_of(user, session_id)) == merged


async def test_unsafe_or_foreign_refinements_change_nothing(
    live_server: LiveServer, live_users: UserFactory
) -> None:
    user = await live_users.create()
    other = await live_users.create()
    session_id = await live_server.start_dense_session(user)
    hub = live_server.app.state.neurotune.hub
    before = await live_server.schedule_of(user, session_id)
    jump = dense_schedule(first_hz=25.0)  # 15 Hz higher from one step to the next
    with pytest.raises(ScheduleRejected):
        await hub.refine(session_id, user.id, ModulationSchedule.model_validate(jump))
    with pytest.raises(LookupError):
        await hub.refine(session_id, other.id, ModulationSchedule.model_validate(dense_schedule(9.95)))
    assert await live_server.schedule_of(user, session_id) == before


async def test_ending_via_rest_sends_end_and_closes_cleanly(
    live_server: LiveServer, live_users: UserFactory
) -> None:
    user = await live_users.create()
    session_id = await live_users.start_session(user)
    async with live_server.socket(session_id, user.token) as ws:
        await next_frame(ws)
        ended = await live_server.http.patch(
            f"/sessions/{session_id}/end", json={"rating": 4}, headers=user.headers
        )
        assert ended.status_code == 200
        frame = await next_frame(ws)
        while frame["type"] != "end":
            frame = await next_frame(ws)
        assert frame["reason"] == "ended"
        assert await _close_code(ws) == 1000
    # Reconnecting afterwards: the schedule, then the end, then a clean close.
    async with live_server.socket(session_id, user.token) as ws:
        kinds = [(await next_frame(ws))["type"], (await next_frame(ws))["type"]]
        assert kinds == ["schedule", "end"]
        assert await _close_code(ws) == 1000


async def test_stream_ends_when_the_duration_is_over(
    live_server: LiveServer, live_users: UserFactory
) -> None:
    user = await live_users.create()
    session_id = await live_server.start_dense_session(user, started_ago_sec=61)
    async with live_server.socket(session_id, user.token) as ws:
        frames = []
        frame = await next_frame(ws)
        while frame["type"] != "end":
            frames.append(frame)
            frame = await next_frame(ws)
        assert frame["reason"] == "duration_over"
        assert await _close_code(ws) == 1000
    assert frames[0]["type"] == "schedule"


async def test_idle_streams_send_heartbeats_that_repeat_the_latest_seq(
    live_server: LiveServer, live_users: UserFactory
) -> None:
    user = await live_users.create()
    session_id = await live_users.start_session(user)  # next step is a minute away
    async with live_server.socket(session_id, user.token) as ws:
        latest = await next_frame(ws)
        while True:
            frame = await next_frame(ws, skip_heartbeats=False)
            if frame["type"] == "heartbeat":
                break
            latest = frame
    assert frame["seq"] == latest["seq"]


async def test_a_just_started_session_is_streamed_from_memory(
    live_server: LiveServer, live_users: UserFactory
) -> None:
    """Its first socket needs no database: under load it is not queued behind requests."""
    user = await live_users.create()
    session_id = await live_users.start_session(user)
    with counted_checkouts(live_server.app) as checkouts:
        async with live_server.socket(session_id, user.token) as ws:
            first = await next_frame(ws)
    assert first["type"] == "schedule"
    assert checkouts[0] == 0
    stranger = await live_users.create()
    async with live_server.socket(session_id, stranger.token) as ws:
        assert await _close_code(ws) == 1008  # someone else's session, even when it is in memory


async def test_a_resume_after_the_end_gets_the_missed_frames_and_the_end(
    live_server: LiveServer, live_users: UserFactory
) -> None:
    user = await live_users.create()
    session_id = await live_users.start_session(user)
    async with live_server.socket(session_id, user.token) as ws:
        first = await next_frame(ws)
    ended = await live_server.http.patch(f"/sessions/{session_id}/end", json={}, headers=user.headers)
    assert ended.status_code == 200
    query = f"?stream_id={first['stream_id']}&last_seq={first['seq']}"
    async with live_server.socket(session_id, user.token, query) as ws:
        missed = [await next_frame(ws)]
        while missed[-1]["type"] != "end":
            missed.append(await next_frame(ws))
        assert await _close_code(ws) == 1000
    assert all(frame["stream_id"] == first["stream_id"] for frame in missed)  # the same stream, resumed
    assert [frame["seq"] for frame in missed] == list(range(first["seq"] + 1, first["seq"] + 1 + len(missed)))
    assert missed[-1]["reason"] == "ended"


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("9223372036854775808", ""),  # past every integer column
        ("0", ""),
        ("-1", ""),
        ("1e3", ""),
        ("9" * 5000, ""),
        ("1", "?last_seq=-1"),
        ("1", "?last_seq=99999999999999999999999"),
        ("1", "?stream_id=" + "x" * 65),
    ],
)
async def test_ids_and_positions_that_cannot_exist_are_refused_with_1008(
    live_server: LiveServer, live_users: UserFactory, path: str, query: str
) -> None:
    user = await live_users.create()
    protocols = [Subprotocol("neurotune.v1"), Subprotocol(f"bearer.{user.token}")]
    async with connect(f"{live_server.ws_url}/ws/session/{path}{query}", subprotocols=protocols) as ws:
        assert await _close_code(ws) == 1008


async def test_a_database_that_does_not_answer_closes_with_try_again_later(
    live_server: LiveServer, live_users: UserFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """The session is not in memory (another worker's, or from before a restart), so the hub must
    ask the database, which has gone away: 1013 and a warning, never a dropped socket or a trace."""
    if live_server.app.state.neurotune.engine.url.get_backend_name() != "sqlite":
        pytest.skip("a MariaDB server going away is tests/faults' (a private server it may kill)")
    user = await live_users.create()
    session_id = await live_users.start_session(user)
    live_server.app.state.neurotune.hub.evict(session_id)
    database = Path(str(live_server.app.state.neurotune.engine.url.database))
    moved = database.with_suffix(".away")
    await live_server.app.state.neurotune.engine.dispose()
    os.rename(database, moved)
    os.mkdir(database)  # a directory where the file was: SQLite cannot open it
    try:
        with caplog.at_level(logging.WARNING):
            async with live_server.socket(session_id, user.token) as ws:
                assert await _close_code(ws) == 1013
    finally:
        os.rmdir(database)
        os.rename(moved, database)
    assert "database unavailable" in caplog.text
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
    async with live_server.socket(session_id, user.token) as ws:  # and back when it is
        assert (await next_frame(ws))["type"] == "schedule"


async def test_every_view_of_a_session_agrees_when_it_started_to_the_millisecond(
    live_server: LiveServer, live_users: UserFactory
) -> None:
    """The start answer, GET /sessions/{id} and the live stream (on MariaDB too: DATETIME(6))."""
    user = await live_users.create()
    started = await live_server.http.post("/sessions/start", json={"intent": "reading"}, headers=user.headers)
    session_id = started.json()["session_id"]
    answered = datetime.fromisoformat(started.json()["started_at"])
    stored = datetime.fromisoformat(
        (await live_server.http.get(f"/sessions/{session_id}", headers=user.headers)).json()["started_at"]
    )
    live_server.app.state.neurotune.hub.evict(session_id)  # the stream reads it back from the database
    async with live_server.socket(session_id, user.token) as ws:
        first = await next_frame(ws)
    streamed = first["server_time"] - first["elapsed_sec"]
    assert answered.microsecond != 0 or stored.microsecond != 0  # sub-second precision is kept at all
    assert abs((stored - answered).total_seconds()) < 0.001
    assert abs(streamed - answered.timestamp()) < 0.002  # elapsed_sec is rounded to the millisecond
