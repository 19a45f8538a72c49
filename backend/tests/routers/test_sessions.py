import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from backend.schedules.schedule import ModulationSchedule
from backend.schedules.validator import schedule_violations
from backend.tests.factories import UserFactory


async def test_start_returns_a_safe_schedule_for_the_intent(
    client: httpx.AsyncClient, users: UserFactory
) -> None:
    user = await users.create()
    response = await client.post(
        "/sessions/start", json={"intent": "deep focus: coding", "duration_min": 45}, headers=user.headers
    )
    assert response.status_code == 201
    body = response.json()
    schedule = ModulationSchedule.model_validate(body["schedule"])
    assert schedule_violations(schedule) == []
    assert schedule.total_duration_sec == 45 * 60
    assert schedule.intent == "deep focus: coding"
    assert body["source"] == "planner"
    # Focus holds in beta: the strongest beat of the session is there.
    assert max(step.binaural_freq for step in schedule.steps) >= 14


async def test_session_length_defaults_to_the_users_preference(
    client: httpx.AsyncClient, users: UserFactory
) -> None:
    user = await users.create(preferences={"default_duration_min": 20})
    response = await client.post("/sessions/start", json={"intent": "reading"}, headers=user.headers)
    assert response.json()["schedule"]["total_duration_sec"] == 20 * 60


async def test_stored_schedule_is_what_was_returned(client: httpx.AsyncClient, users: UserFactory) -> None:
    user = await users.create()
    started = (await client.post("/sessions/start", json={"intent": "sleep"}, headers=user.headers)).json()
    stored = (await client.get(f"/sessions/{started['session_id']}", headers=user.headers)).json()
    assert stored["schedule"] == started["schedule"]
    assert stored["ended_at"] is None


async def test_end_with_rating_then_history(client: httpx.AsyncClient, users: UserFactory) -> None:
    user = await users.create()
    first = await users.start_session(user, "reading")
    second = await users.start_session(user, "sleep")

    ended = await client.patch(
        f"/sessions/{first}/end", json={"rating": 4, "feedback_note": "calm 🌙\nthanks"}, headers=user.headers
    )
    assert ended.status_code == 200
    assert ended.json()["session_id"] == first
    assert 0 <= ended.json()["duration_sec"] < 60

    answer = await client.get("/sessions/history", headers=user.headers)
    history = answer.json()
    assert [s["id"] for s in history] == [second, first]  # newest first
    assert answer.headers["X-Total-Count"] == "2"
    one_page = await client.get("/sessions/history?limit=1&offset=1", headers=user.headers)
    assert [s["id"] for s in one_page.json()] == [first]
    assert one_page.headers["X-Total-Count"] == "2"  # in all pages, not this one
    stranger = await users.create()
    assert (await client.get("/sessions/history", headers=stranger.headers)).headers["X-Total-Count"] == "0"
    rated = history[1]
    assert rated["rating"] == 4
    assert rated["feedback_note"] == "calm 🌙\nthanks"
    assert rated["ended_at"] is not None
    assert datetime.fromisoformat(rated["ended_at"]) >= datetime.fromisoformat(rated["started_at"])
    assert datetime.fromisoformat(rated["ended_at"]).tzinfo is not None


async def test_duration_is_measured_from_start(client: httpx.AsyncClient, users: UserFactory, app) -> None:
    from sqlalchemy import text

    user = await users.create()
    session_id = await users.start_session(user, duration_min=30)
    # Pretend the session began 25 minutes ago.
    async with app.state.neurotune.engine.begin() as connection:
        started = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=25)
        await connection.execute(
            text("UPDATE sessions SET started_at = :t WHERE id = :id"), {"t": started, "id": session_id}
        )
    ended = await client.patch(f"/sessions/{session_id}/end", json={}, headers=user.headers)
    expected = (datetime.now(UTC).replace(tzinfo=None) - started).total_seconds()
    assert abs(ended.json()["duration_sec"] - expected) < 120


async def test_listened_time_never_exceeds_the_schedule(
    client: httpx.AsyncClient, users: UserFactory, app
) -> None:
    from sqlalchemy import text

    user = await users.create()
    session_id = await users.start_session(user, duration_min=30)
    async with app.state.neurotune.engine.begin() as connection:  # left open for most of a year
        await connection.execute(
            text("UPDATE sessions SET started_at = :t WHERE id = :id"),
            {"t": datetime(2026, 1, 1, 12, 0, 0), "id": session_id},
        )
    ended = await client.patch(f"/sessions/{session_id}/end", json={}, headers=user.headers)
    assert ended.json()["duration_sec"] == 30 * 60
    stored = (await client.get(f"/sessions/{session_id}", headers=user.headers)).json()
    assert stored["end_reason"] == "completed"


async def test_ending_twice_is_409(client: httpx.AsyncClient, users: UserFactory) -> None:
    user = await users.create()
    session_id = await users.start_session(user)
    assert (
        await client.patch(f"/sessions/{session_id}/end", json={"rating": 5}, headers=user.headers)
    ).status_code == 200
    again = await client.patch(f"/sessions/{session_id}/end", json={"rating": 1}, headers=user.headers)
    assert again.status_code == 409
    history = (await client.get("/sessions/history", headers=user.headers)).json()
    assert history[0]["rating"] == 5  # the second end changed nothing


async def test_concurrent_ends_have_exactly_one_winner(client: httpx.AsyncClient, users: UserFactory) -> None:
    user = await users.create()
    session_id = await users.start_session(user)
    responses = await asyncio.gather(
        *(
            client.patch(f"/sessions/{session_id}/end", json={"rating": r}, headers=user.headers)
            for r in (1, 2, 3)
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 409, 409]


@pytest.mark.parametrize("rating", [0, 6, -1, 2.5, "five"])
async def test_rating_must_be_1_to_5(client: httpx.AsyncClient, users: UserFactory, rating: object) -> None:
    user = await users.create()
    session_id = await users.start_session(user)
    response = await client.patch(
        f"/sessions/{session_id}/end", json={"rating": rating}, headers=user.headers
    )
    assert response.status_code == 422
    history = (await client.get("/sessions/history", headers=user.headers)).json()
    assert history[0]["ended_at"] is None  # nothing was stored


async def test_other_users_sessions_are_invisible(client: httpx.AsyncClient, users: UserFactory) -> None:
    alice = await users.create()
    mallory = await users.create()
    alices = await users.start_session(alice, "reading")

    end = await client.patch(f"/sessions/{alices}/end", json={"rating": 1}, headers=mallory.headers)
    read = await client.get(f"/sessions/{alices}", headers=mallory.headers)
    missing = await client.get("/sessions/999999", headers=mallory.headers)
    assert end.status_code == read.status_code == missing.status_code == 404
    assert end.json() == missing.json()  # someone else's id is indistinguishable from none

    assert (await client.get("/sessions/history", headers=mallory.headers)).json() == []
    spoofed = await client.get(f"/sessions/history?user_id={alice.id}", headers=mallory.headers)
    assert spoofed.status_code == 403
    spoofed_start = await client.post(
        "/sessions/start", json={"intent": "sleep", "user_id": alice.id}, headers=mallory.headers
    )
    assert spoofed_start.status_code == 403

    alice_history = (await client.get("/sessions/history", headers=alice.headers)).json()
    assert [s["id"] for s in alice_history] == [alices]
    assert alice_history[0]["ended_at"] is None  # mallory's end did nothing


async def test_own_user_id_in_body_or_query_is_accepted(
    client: httpx.AsyncClient, users: UserFactory
) -> None:
    user = await users.create()
    started = await client.post(
        "/sessions/start", json={"intent": "relax", "user_id": user.id}, headers=user.headers
    )
    assert started.status_code == 201
    history = await client.get(f"/sessions/history?user_id={user.id}", headers=user.headers)
    assert history.status_code == 200
    assert len(history.json()) == 1


async def test_every_session_endpoint_needs_a_token(client: httpx.AsyncClient, users: UserFactory) -> None:
    user = await users.create()
    session_id = await users.start_session(user)
    calls = [
        client.post("/sessions/start", json={"intent": "sleep"}),
        client.patch(f"/sessions/{session_id}/end", json={}),
        client.get("/sessions/history"),
        client.get(f"/sessions/{session_id}"),
    ]
    for response in await asyncio.gather(*calls):
        assert response.status_code == 401


async def test_history_pages_with_limit_and_offset(client: httpx.AsyncClient, users: UserFactory) -> None:
    user = await users.create()
    ids = [await users.start_session(user, f"focus {i}") for i in range(5)]
    page1 = (await client.get("/sessions/history?limit=2", headers=user.headers)).json()
    page2 = (await client.get("/sessions/history?limit=2&offset=2", headers=user.headers)).json()
    page3 = (await client.get("/sessions/history?limit=2&offset=4", headers=user.headers)).json()
    assert [s["id"] for s in page1 + page2 + page3] == ids[::-1]


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "offset=-1", "limit=abc", "offset=99999999999"])
async def test_history_bounds_are_enforced(client: httpx.AsyncClient, users: UserFactory, query: str) -> None:
    user = await users.create()
    response = await client.get(f"/sessions/history?{query}", headers=user.headers)
    assert response.status_code == 422


async def test_many_concurrent_starts_all_succeed(client: httpx.AsyncClient, users: UserFactory) -> None:
    """More simultaneous starts than the connection pool holds (5 + 10): none may wait on another."""
    user = await users.create()
    responses = await asyncio.gather(
        *(client.post("/sessions/start", json={"intent": "reading"}, headers=user.headers) for _ in range(40))
    )
    assert [r.status_code for r in responses] == [201] * 40
