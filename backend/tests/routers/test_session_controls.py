"""Pause, resume, favourite, re-plan and play again over HTTP: only ever your own sessions."""

import httpx

from backend.tests.factories import UserFactory


async def _post(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], **body: object
) -> httpx.Response:
    return await client.post(path, json=body, headers=headers)


async def test_pause_and_resume_report_the_state_and_refuse_an_ended_session(
    client: httpx.AsyncClient, users: UserFactory
) -> None:
    user = await users.create()
    session_id = await users.start_session(user)
    paused = await _post(client, f"/sessions/{session_id}/pause", user.headers)
    assert paused.status_code == 200
    assert paused.json()["paused_at"] is not None
    assert (await _post(client, f"/sessions/{session_id}/pause", user.headers)).status_code == 200
    resumed = await _post(client, f"/sessions/{session_id}/resume", user.headers)
    assert resumed.status_code == 200
    assert resumed.json()["paused_at"] is None
    assert resumed.json()["paused_sec"] >= 0
    await client.patch(f"/sessions/{session_id}/end", json={}, headers=user.headers)
    for action in ("pause", "resume"):
        assert (await _post(client, f"/sessions/{session_id}/{action}", user.headers)).status_code == 409


async def test_someone_elses_session_cannot_be_touched(client: httpx.AsyncClient, users: UserFactory) -> None:
    owner, stranger = await users.create(), await users.create()
    session_id = await users.start_session(owner)
    for path, body in (
        ("pause", {}),
        ("resume", {}),
        ("replan", {"family": "focus"}),
        ("again", {"replan": True}),
    ):
        assert (
            await _post(client, f"/sessions/{session_id}/{path}", stranger.headers, **body)
        ).status_code == 404
    answer = await client.patch(f"/sessions/{session_id}", json={"favourite": True}, headers=stranger.headers)
    assert answer.status_code == 404


async def test_favourites_are_kept_and_listed(client: httpx.AsyncClient, users: UserFactory) -> None:
    user = await users.create()
    kept, other = await users.start_session(user, "reading"), await users.start_session(user, "sleep")
    marked = await client.patch(f"/sessions/{kept}", json={"favourite": True}, headers=user.headers)
    assert marked.status_code == 200
    assert marked.json()["favourite"] is True
    favourites = await client.get("/sessions/history", params={"favourite": "true"}, headers=user.headers)
    assert [session["id"] for session in favourites.json()] == [kept]
    rest = await client.get("/sessions/history", params={"favourite": "false"}, headers=user.headers)
    assert [session["id"] for session in rest.json()] == [other]


async def test_a_misread_intent_is_replanned_for_the_family_the_listener_chose(
    client: httpx.AsyncClient, users: UserFactory
) -> None:
    user = await users.create()
    started = await _post(
        client, "/sessions/start", user.headers, intent="studying for my exam, a bit anxious"
    )
    session_id = started.json()["session_id"]
    before = (await client.get(f"/sessions/{session_id}", headers=user.headers)).json()
    assert before["explanation"]["reading"]["family"] == "anxiety_relief"
    replanned = await _post(client, f"/sessions/{session_id}/replan", user.headers, family="focus")
    assert replanned.status_code == 200
    after = replanned.json()
    assert after["explanation"]["reading"] == {
        "family": "focus",
        "label": "Focus / study",
        "words": [],
        "chosen_by_listener": True,
    }
    assert after["schedule"]["steps"][0] == before["schedule"]["steps"][0]  # the past stays
    assert max(step["binaural_freq"] for step in after["schedule"]["steps"]) > 9.0  # beyond anxiety's band
    unknown = await _post(client, f"/sessions/{session_id}/replan", user.headers, family="flying")
    assert unknown.status_code == 422


async def test_play_again_keeps_the_schedule_or_plans_afresh(
    client: httpx.AsyncClient, users: UserFactory
) -> None:
    user = await users.create()
    source = await users.start_session(user, "reading", duration_min=20)
    original = (await client.get(f"/sessions/{source}", headers=user.headers)).json()
    same = await _post(client, f"/sessions/{source}/again", user.headers, replan=False)
    assert same.status_code == 201
    assert same.json()["session_id"] != source
    assert same.json()["schedule"] == original["schedule"]
    assert same.json()["refinement"] is None
    fresh = await _post(client, f"/sessions/{source}/again", user.headers, replan=True)
    assert fresh.status_code == 201
    assert fresh.json()["schedule"]["total_duration_sec"] == 20 * 60


async def test_the_families_a_reading_can_be_corrected_to(client: httpx.AsyncClient) -> None:
    families = (await client.get("/intents/families")).json()
    assert {
        "family": "focus",
        "label": "Focus / study",
        "beat_hz": [14.0, 18.0],
        "bpm": [90, 120],
    } in families
    assert len(families) == 10
