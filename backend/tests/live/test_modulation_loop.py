"""The modulation loop over a real server: a refiner's schedule reaches the socket and the store,
and an absent, slow, failing or unsafe refiner leaves the planner's schedule playing; the work is
bounded (busy), one per user (superseded), stops when the session ends, and every outcome is
stored with the session.

The refiners here stand in for the model engine, which plugs into the same port.
"""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from backend.schedules.hold import PlannerOffsets
from backend.schedules.plan import SessionBrief, plan_schedule
from backend.schedules.refiner import Refinement, RefinementRequest
from backend.tests.factories import UserFactory
from backend.tests.live_server import LiveServer, next_frame


@dataclass
class GatedRefiner:
    """Waits until the test lets it answer, then answers with `make(request)`."""

    mode: str
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    ready: bool = True

    async def refine(self, request: RefinementRequest) -> AsyncIterator[Refinement]:
        await self.gate.wait()
        if self.mode == "slow":
            await asyncio.sleep(10)
        if self.mode == "failing":
            raise RuntimeError("model crashed")
        if self.mode == "unsafe":
            jump = request.planned.model_copy(deep=True)
            for step in jump.steps[1:]:
                step.binaural_freq = 29.0  # far faster than any ramp allows
            yield Refinement(jump)
            return
        # "good": the same plan nudged 1 Hz up, as learned offsets or a model might.
        yield Refinement(
            plan_schedule(
                SessionBrief(
                    request.request.brief.intent,
                    request.planned.total_duration_sec / 60,
                    offsets=PlannerOffsets(1.0),
                )
            )
        )


async def _run_with(
    live_server: LiveServer, users: UserFactory, mode: str
) -> tuple[list[str], dict[str, Any], dict[str, Any], str | None]:
    """Frame kinds seen, the planned and the stored schedule, and the stored refinement outcome."""
    loop = live_server.app.state.neurotune.modulation_loop
    refiner = GatedRefiner(mode)
    loop.refiner = refiner
    loop.deadline_sec = 0.5 if mode == "slow" else 5.0
    user = await users.create()
    started = await live_server.http.post(
        "/sessions/start", json={"intent": "deep focus: coding", "duration_min": 30}, headers=user.headers
    )
    session_id = started.json()["session_id"]
    kinds = []
    async with live_server.socket(session_id, user.token) as ws:
        kinds.append((await next_frame(ws))["type"])
        refiner.gate.set()
        await loop.wait_idle()
        try:
            while True:
                kinds.append((await asyncio.wait_for(next_frame(ws), 1.0))["type"])
        except TimeoutError:
            pass
    session = (await live_server.http.get(f"/sessions/{session_id}", headers=user.headers)).json()
    return kinds, started.json()["schedule"], session["schedule"], session["refinement"]


async def test_a_good_refinement_reaches_the_socket_and_the_store(
    live_server: LiveServer, live_users: UserFactory
) -> None:
    kinds, planned, stored, refinement = await _run_with(live_server, live_users, "good")
    assert "refined" in kinds
    assert stored != planned
    assert stored["steps"][0] == planned["steps"][0]  # the first step was already playing
    assert live_server.app.state.neurotune.modulation_loop.outcomes["applied"] == 1
    assert refinement == "applied"


@pytest.mark.parametrize(
    ("mode", "outcome"), [("slow", "timed_out"), ("failing", "failed"), ("unsafe", "rejected")]
)
async def test_a_bad_refiner_changes_nothing(
    live_server: LiveServer, live_users: UserFactory, mode: str, outcome: str
) -> None:
    kinds, planned, stored, refinement = await _run_with(live_server, live_users, mode)
    assert "refined" not in kinds
    assert stored == planned
    assert live_server.app.state.neurotune.modulation_loop.outcomes[outcome] == 1
    assert refinement == outcome


async def test_without_a_refiner_start_answers_with_the_planner_and_nothing_runs(
    live_server: LiveServer, live_users: UserFactory
) -> None:
    loop = live_server.app.state.neurotune.modulation_loop
    assert loop.refiner is None  # the default until the model engine provides one
    user = await live_users.create()
    started = await live_server.http.post("/sessions/start", json={"intent": "sleep"}, headers=user.headers)
    assert started.json()["source"] == "planner"
    assert loop.pending == 0
    assert sum(loop.outcomes.values()) == 0
    session = await live_server.http.get(f"/sessions/{started.json()['session_id']}", headers=user.headers)
    assert session.json()["refinement"] is None  # no model configured: nothing to explain


async def _start(live_server: LiveServer, user: Any) -> dict[str, Any]:
    response = await live_server.http.post(
        "/sessions/start", json={"intent": "reading", "duration_min": 30}, headers=user.headers
    )
    assert response.status_code == 201
    started: dict[str, Any] = response.json()
    return started


async def test_starts_beyond_the_bound_keep_the_planner_and_say_busy(
    live_server: LiveServer, live_users: UserFactory
) -> None:
    loop = live_server.app.state.neurotune.modulation_loop
    refiner = GatedRefiner("good")
    loop.refiner, loop.max_pending = refiner, 2
    listeners = [await live_users.create() for _ in range(3)]
    answers = [await _start(live_server, user) for user in listeners]
    assert [answer["refinement"] for answer in answers] == ["pending", "pending", "busy"]
    assert loop.pending == 2
    refiner.gate.set()
    await loop.wait_idle()
    assert loop.pending == 0
    assert dict(loop.outcomes) == {"busy": 1, "applied": 2}
    stored = [
        (await live_server.http.get(f"/sessions/{answer['session_id']}", headers=user.headers)).json()
        for answer, user in zip(answers, listeners, strict=True)
    ]
    assert [session["refinement"] for session in stored] == ["applied", "applied", "busy"]


async def test_a_newer_start_supersedes_the_users_waiting_refinement(
    live_server: LiveServer, live_users: UserFactory
) -> None:
    loop = live_server.app.state.neurotune.modulation_loop
    refiner = GatedRefiner("good")
    loop.refiner, loop.max_pending = refiner, 1
    user = await live_users.create()
    first = await _start(live_server, user)
    second = await _start(live_server, user)  # the bound is 1, but this replaces the user's own
    assert second["refinement"] == "pending"
    refiner.gate.set()
    await loop.wait_idle()
    assert dict(loop.outcomes) == {"superseded": 1, "applied": 1}
    older = await live_server.http.get(f"/sessions/{first['session_id']}", headers=user.headers)
    assert older.json()["refinement"] == "superseded"
    assert older.json()["schedule"] == first["schedule"]


async def test_ending_a_session_stops_its_refinement_and_records_why(
    live_server: LiveServer, live_users: UserFactory
) -> None:
    loop = live_server.app.state.neurotune.modulation_loop
    refiner = GatedRefiner("good")
    loop.refiner = refiner
    user = await live_users.create()
    started = await _start(live_server, user)
    ended = await live_server.http.patch(
        f"/sessions/{started['session_id']}/end", json={"rating": 4}, headers=user.headers
    )
    assert ended.status_code == 200
    await loop.wait_idle()
    assert dict(loop.outcomes) == {"ended": 1}
    session = await live_server.http.get(f"/sessions/{started['session_id']}", headers=user.headers)
    assert session.json()["refinement"] == "ended"
    assert session.json()["schedule"] == started["schedule"]


async def test_a_refiner_that_is_not_ready_is_not_waited_for(
    live_server: LiveServer, live_users: UserFactory
) -> None:
    loop = live_server.app.state.neurotune.modulation_loop
    loop.refiner = GatedRefiner("good", ready=False)  # e.g. the model is still loading
    user = await live_users.create()
    assert (await _start(live_server, user))["refinement"] == "unavailable"
    assert loop.pending == 0
