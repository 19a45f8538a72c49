"""POST /llm/generate-schedule: the caller's own context, planner without a model, NDJSON, 503."""

import asyncio
import json

import httpx
import pytest
from fastapi import FastAPI

from backend.llm_engine.client import ModelClient
from backend.llm_engine.engine import ScheduleEngine
from backend.llm_engine.model_queue import model_queue
from backend.schedules.schedule import ModulationSchedule
from backend.schedules.validator import schedule_violations
from backend.tests.factories import UserFactory

PATH = "/llm/generate-schedule"


def _use_model(app: FastAPI, client: ModelClient, queue_max: int = 4) -> None:
    settings = app.state.neurotune.settings.model_copy(update={"llm_queue_max": queue_max})
    app.state.neurotune.schedules = ScheduleEngine(
        client, model_queue(settings), deadline_sec=120, cache_size=0
    )


async def test_without_a_model_the_planner_answers(client: httpx.AsyncClient, users: UserFactory) -> None:
    user = await users.create(neurotype="adhd")
    response = await client.post(PATH, json={"intent": "reading", "duration_min": 20}, headers=user.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["source"] == "planner"
    assert body["fallback_reason"].startswith("model_disabled")
    schedule = ModulationSchedule.model_validate(
        {k: body[k] for k in ("intent", "total_duration_sec", "steps")}
    )
    assert schedule.total_duration_sec == 1200
    assert schedule_violations(schedule) == []
    assert body["prompt"]["version"] >= 2  # the seeded template, read from the prompts table
    assert body["prompt"]["id"] is not None


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 422),
        ({"intent": ""}, 422),
        ({"intent": "x" * 101}, 422),
        ({"intent": "sleep", "duration_min": 1}, 422),
        ({"intent": "sleep", "current_bpm": 1000}, 422),
        ({"intent": "sleep", "surprise": 1}, 422),
        ({"intent": "sleep", "user_id": 999_999}, 403),
    ],
)
async def test_bad_requests_are_refused(
    client: httpx.AsyncClient, users: UserFactory, body: dict[str, object], status: int
) -> None:
    user = await users.create()
    response = await client.post(PATH, json=body, headers=user.headers)
    assert response.status_code == status
    assert "detail" in response.json()


async def test_a_token_is_required(client: httpx.AsyncClient) -> None:
    response = await client.post(PATH, json={"intent": "sleep"})
    assert response.status_code == 401


@pytest.mark.llm
async def test_the_model_streams_steps_then_the_schedule(
    app: FastAPI, client: httpx.AsyncClient, users: UserFactory, bundled_client: ModelClient
) -> None:
    _use_model(app, bundled_client)
    user = await users.create()
    response = await client.post(
        PATH,
        json={"intent": "deep focus: coding"},
        headers={**user.headers, "Accept": "application/x-ndjson"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    *steps, final = lines
    assert all(set(line) == {"step"} for line in steps)
    assert final["schedule"]["source"] == "model"
    assert final["schedule"]["steps"][: len(steps)] == [line["step"] for line in steps]
    assert final["schedule"]["timing"]["forward_passes"] > 0


@pytest.mark.llm
async def test_a_full_queue_answers_503_with_retry_after(
    app: FastAPI, client: httpx.AsyncClient, users: UserFactory, bundled_client: ModelClient
) -> None:
    _use_model(app, bundled_client, queue_max=0)
    user = await users.create()
    response = await client.post(PATH, json={"intent": "sleep"}, headers=user.headers)
    assert response.status_code == 503
    assert int(response.headers["retry-after"]) >= 1
    assert "busy" in response.json()["detail"]


@pytest.mark.llm
async def test_a_started_session_is_rewritten_by_the_model_in_the_background(
    app: FastAPI, client: httpx.AsyncClient, users: UserFactory, bundled_client: ModelClient
) -> None:
    _use_model(app, bundled_client)
    loop = app.state.neurotune.modulation_loop
    loop.refiner = app.state.neurotune.schedules
    loop.deadline_sec = 120  # a loaded CI machine must not turn this into a timing test
    user = await users.create()
    session_id = await users.start_session(user, "reading", duration_min=30)
    planned = (await client.get(f"/sessions/{session_id}", headers=user.headers)).json()["schedule"]
    for _ in range(1200):
        if loop.outcomes:
            break
        await asyncio.sleep(0.1)
    assert dict(loop.outcomes) == {"applied": 1}
    stored = (await client.get(f"/sessions/{session_id}", headers=user.headers)).json()["schedule"]
    assert stored["steps"][0] == planned["steps"][0]  # the past (the arrival) is kept
    assert stored != planned
    assert schedule_violations(ModulationSchedule.model_validate(stored)) == []
    session = (await client.get(f"/sessions/{session_id}", headers=user.headers)).json()
    assert session["prompt_id"] is not None  # the template the model wrote it with
    assert session["prompt_version"] >= 2
