"""The modulation loop over a real server: a refiner's schedule reaches the socket and the store,
and an absent, slow, failing or unsafe refiner leaves the planner's schedule playing.

The refiners here stand in for the model engine (a later issue), which plugs in the same way.
"""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from backend.live.modulation_loop import Refinement, RefinementRequest
from backend.llm_engine.planner import PlannerOffsets, plan_schedule
from backend.tests.factories import UserFactory
from backend.tests.live.conftest import LiveServer, next_frame


@dataclass
class GatedRefiner:
    """Waits until the test lets it answer, then answers with `make(request)`."""

    mode: str
    gate: asyncio.Event = field(default_factory=asyncio.Event)

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
                request.intent, request.planned.total_duration_sec / 60, offsets=PlannerOffsets(1.0)
            )
        )


async def _run_with(
    live_server: LiveServer, users: UserFactory, mode: str
) -> tuple[list[str], dict[str, Any], dict[str, Any]]:
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
        await asyncio.gather(*loop._tasks)
        try:
            while True:
                kinds.append((await asyncio.wait_for(next_frame(ws), 1.0))["type"])
        except TimeoutError:
            pass
    return kinds, started.json()["schedule"], await live_server.schedule_of(user, session_id)


async def test_a_good_refinement_reaches_the_socket_and_the_store(
    live_server: LiveServer, live_users: UserFactory
) -> None:
    kinds, planned, stored = await _run_with(live_server, live_users, "good")
    assert "refined" in kinds
    assert stored != planned
    assert stored["steps"][0] == planned["steps"][0]  # the first step was already playing
    assert live_server.app.state.neurotune.modulation_loop.outcomes["applied"] == 1


@pytest.mark.parametrize(
    ("mode", "outcome"), [("slow", "timed_out"), ("failing", "failed"), ("unsafe", "rejected")]
)
async def test_a_bad_refiner_changes_nothing(
    live_server: LiveServer, live_users: UserFactory, mode: str, outcome: str
) -> None:
    kinds, planned, stored = await _run_with(live_server, live_users, mode)
    assert "refined" not in kinds
    assert stored == planned
    assert live_server.app.state.neurotune.modulation_loop.outcomes[outcome] == 1


async def test_without_a_refiner_start_answers_with_the_planner_and_nothing_runs(
    live_server: LiveServer, live_users: UserFactory
) -> None:
    loop = live_server.app.state.neurotune.modulation_loop
    assert loop.refiner is None  # the default until the model engine provides one
    user = await live_users.create()
    started = await live_server.http.post("/sessions/start", json={"intent": "sleep"}, headers=user.headers)
    assert started.json()["source"] == "planner"
    assert not loop._tasks
    assert sum(loop.outcomes.values()) == 0
