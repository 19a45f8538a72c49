import logging
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from backend.insights import best_rated_schedules, load_rated_sessions
from backend.insights.features import schedule_features
from backend.schedules.intents import FAMILIES, classify_intent
from backend.schedules.plan import SessionBrief, plan_schedule
from backend.tests.factories import TestUser, UserFactory

FOCUS = classify_intent("deep focus: coding")


async def _rated_session(
    client: httpx.AsyncClient, user: TestUser, intent: str, rating: int | None
) -> tuple[int, dict[str, Any]]:
    """Start a session and end it with `rating`; returns its id and schedule."""
    started = await client.post("/sessions/start", json={"intent": intent}, headers=user.headers)
    assert started.status_code == 201, started.text
    session_id: int = started.json()["session_id"]
    ended = await client.patch(f"/sessions/{session_id}/end", json={"rating": rating}, headers=user.headers)
    assert ended.status_code == 200, ended.text
    return session_id, started.json()["schedule"]


async def _report(client: httpx.AsyncClient, user: TestUser) -> dict[str, Any]:
    response = await client.get("/insights/me", headers=user.headers)
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def _family(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(family for family in report["families"] if family["family"] == name)


async def test_no_sessions_gives_the_fallback(client: httpx.AsyncClient, users: UserFactory) -> None:
    user = await users.create(neurotype="adhd")
    await users.start_session(user)  # started, never ended: not evidence

    report = await _report(client, user)
    assert report["user_id"] == user.id
    assert report["neurotype"] == "adhd"
    assert report["n_rated_sessions"] == 0
    assert report["ratings_over_time"] == []
    assert {family["family"] for family in report["families"]} == {family.name for family in FAMILIES}
    for family in report["families"]:
        assert family["source"] == "default"
        assert family["confidence"] == 0
        assert family["offsets"] == {"beat_hz": 0, "bpm": 0}
        assert family["evidence"] == []
        assert family["clusters"] == []


async def test_report_carries_the_evidence_of_your_rated_sessions(
    client: httpx.AsyncClient, users: UserFactory
) -> None:
    user = await users.create()
    focus_ids = [(await _rated_session(client, user, "deep focus: coding", r))[0] for r in (5, 4, 2, 1)]
    reading_id, _ = await _rated_session(client, user, "reading", 3)
    await _rated_session(client, user, "coding", None)  # ended without a rating: not evidence
    await users.start_session(user)  # still running: not evidence

    report = await _report(client, user)
    assert report["n_rated_sessions"] == 5
    points = report["ratings_over_time"]
    assert [point["session_id"] for point in points] == [*focus_ids, reading_id]
    assert [point["rating"] for point in points] == [5, 4, 2, 1, 3]
    assert [point["family"] for point in points] == ["focus"] * 4 + ["reading"]
    assert all(14 <= point["beat_hz"] <= 18 for point in points[:4])

    # Families you have sessions in come first.
    assert {family["family"] for family in report["families"][:2]} == {"focus", "reading"}
    focus = _family(report, "focus")
    assert focus["you"] == {"n_sessions": 4, "mean_rating": 3.0}
    assert sum(cluster["you"]["n_sessions"] for cluster in focus["clusters"]) == 4
    assert focus["evidence"][0]["level"] == "user"
    assert focus["evidence"][0]["n_sessions"] == 4
    assert 0 < focus["confidence"] < 1
    assert focus["band"] == {"beat_hz": {"low": 14, "high": 18}, "bpm": {"low": 90, "high": 120}}
    # One reading session says nothing about where its peak is yet.
    reading = _family(report, "reading")
    assert reading["you"] == {"n_sessions": 1, "mean_rating": 3.0}
    assert reading["source"] == "default"


async def test_you_never_see_another_users_sessions(client: httpx.AsyncClient, users: UserFactory) -> None:
    alice = await users.create(neurotype="autism")
    bob = await users.create(neurotype="autism")
    alices = [(await _rated_session(client, alice, "deep focus: coding", r))[0] for r in (5, 1, 3, 4)]
    bobs = [(await _rated_session(client, bob, "deep focus: coding", r))[0] for r in (2, 5)]

    alice_report = await _report(client, alice)
    bob_report = await _report(client, bob)
    assert [point["session_id"] for point in alice_report["ratings_over_time"]] == alices
    assert [point["session_id"] for point in bob_report["ratings_over_time"]] == bobs
    bob_focus = _family(bob_report, "focus")
    assert bob_focus["you"]["n_sessions"] == 2
    assert sum(cluster["you"]["n_sessions"] for cluster in bob_focus["clusters"]) == 2
    # One other person is too few to borrow from (their preferences would show through).
    assert bob_focus["source"] == "default"
    assert all(level["level"] == "user" for level in bob_focus["evidence"])
    for cluster in bob_focus["clusters"]:
        assert cluster["neurotype"] is None
        assert cluster["everyone"] is None


async def test_the_next_session_plays_what_your_ratings_favour(
    client: httpx.AsyncClient, users: UserFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = await users.create()
    # This listener likes it faster: the higher the hold's beat, the better the rating.
    for _ in range(10):
        started = await client.post("/sessions/start", json={"intent": "coding"}, headers=user.headers)
        hold = schedule_features(started.json()["schedule"], FOCUS)
        assert hold is not None
        rating = min(max(round(3 + 2 * (hold.beat_hz - 16)), 1), 5)
        session_id = started.json()["session_id"]
        await client.patch(f"/sessions/{session_id}/end", json={"rating": rating}, headers=user.headers)

    focus = _family(await _report(client, user), "focus")
    assert focus["evidence"][0]["level"] == "user"
    assert focus["recommended"]["beat_hz"] > 16.5

    # Without the exploring variation, the next session holds at the recommendation.
    monkeypatch.setattr(
        "backend.insights.service.planning_offsets",
        lambda recommendation, rng, variety: recommendation.offsets,
    )
    started = await client.post("/sessions/start", json={"intent": "coding"}, headers=user.headers)
    hold = schedule_features(started.json()["schedule"], FOCUS)
    default_hold = schedule_features(plan_schedule(SessionBrief("coding", 30)).model_dump(mode="json"), FOCUS)
    assert hold is not None
    assert default_hold is not None
    assert hold.beat_hz > default_hold.beat_hz + 0.4


async def test_a_failure_in_insights_never_stops_a_session_starting(
    client: httpx.AsyncClient,
    users: UserFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(*_: object) -> None:
        raise RuntimeError("insights exploded")

    monkeypatch.setattr("backend.insights.service._pool", broken)
    user = await users.create()
    with caplog.at_level(logging.ERROR, logger="backend.insights.service"):
        started = await client.post("/sessions/start", json={"intent": "coding"}, headers=user.headers)
    assert started.status_code == 201
    assert started.json()["schedule"] == plan_schedule(SessionBrief("coding", 30)).model_dump(mode="json")
    assert "planning without learned offsets" in caplog.text


async def test_insights_need_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/insights/me")).status_code == 401


async def test_load_rated_sessions_reads_ended_rated_sessions_with_neurotypes(
    client: httpx.AsyncClient, users: UserFactory, app: FastAPI
) -> None:
    alice = await users.create(neurotype="anxiety")
    bob = await users.create()
    alices = [(await _rated_session(client, alice, "calm my anxiety", r))[0] for r in (5, 2)]
    bobs = [(await _rated_session(client, bob, "reading", 4))[0]]
    await _rated_session(client, bob, "reading", None)
    await users.start_session(alice)

    async with app.state.neurotune.session_factory() as db:
        everyone = await load_rated_sessions(db, limit=100)
        alices_only = await load_rated_sessions(db, user_id=alice.id, limit=100)
        newest = await load_rated_sessions(db, limit=1)
    assert sorted(everyone["session_id"]) == sorted(alices + bobs)
    assert dict(zip(everyone["session_id"], everyone["neurotype"], strict=True)) == {
        alices[0]: "anxiety",
        alices[1]: "anxiety",
        bobs[0]: "neurotypical",
    }
    assert sorted(alices_only["session_id"]) == alices
    assert set(alices_only["family"]) == {"anxiety_relief"}
    assert list(newest["session_id"]) == bobs
    history = best_rated_schedules(alices_only, alice.id, "anxiety_relief")
    assert [item["rating"] for item in history] == [5]
