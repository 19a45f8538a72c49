"""Presets over HTTP: keep a session under a name, list, start (kept or re-planned), delete."""

import httpx

from backend.tests.factories import UserFactory


async def test_a_preset_keeps_a_session_and_starts_it_again(
    client: httpx.AsyncClient, users: UserFactory
) -> None:
    user = await users.create()
    source = await users.start_session(user, "deep focus: coding", duration_min=45)
    schedule = (await client.get(f"/sessions/{source}", headers=user.headers)).json()["schedule"]
    made = await client.post(
        "/presets", json={"name": "  Morning code ", "session_id": source}, headers=user.headers
    )
    assert made.status_code == 201
    preset = made.json()
    assert (preset["name"], preset["intent"], preset["duration_min"]) == (
        "Morning code",
        "deep focus: coding",
        45,
    )
    assert preset["keeps_schedule"] is True
    taken = await client.post(
        "/presets", json={"name": "Morning code", "session_id": source}, headers=user.headers
    )
    assert taken.status_code == 409
    listed = (await client.get("/presets", headers=user.headers)).json()
    assert [item["id"] for item in listed] == [preset["id"]]
    kept = await client.post(f"/presets/{preset['id']}/start", json={}, headers=user.headers)
    assert kept.status_code == 201
    assert kept.json()["schedule"] == schedule
    replanned = await client.post(
        f"/presets/{preset['id']}/start", json={"replan": True}, headers=user.headers
    )
    assert replanned.status_code == 201
    assert replanned.json()["schedule"]["total_duration_sec"] == 45 * 60
    assert (await client.delete(f"/presets/{preset['id']}", headers=user.headers)).status_code == 204
    assert (await client.get("/presets", headers=user.headers)).json() == []


async def test_presets_are_only_ever_your_own(client: httpx.AsyncClient, users: UserFactory) -> None:
    owner, stranger = await users.create(), await users.create()
    source = await users.start_session(owner)
    theirs = await client.post(
        "/presets", json={"name": "mine", "session_id": source}, headers=stranger.headers
    )
    assert theirs.status_code == 404  # someone else's session looks missing
    preset = (
        await client.post("/presets", json={"name": "mine", "session_id": source}, headers=owner.headers)
    ).json()
    assert (await client.get("/presets", headers=stranger.headers)).json() == []
    assert (
        await client.post(f"/presets/{preset['id']}/start", json={}, headers=stranger.headers)
    ).status_code == 404
    assert (await client.delete(f"/presets/{preset['id']}", headers=stranger.headers)).status_code == 404
    same_name = await client.post(
        "/presets", json={"name": "mine", "session_id": source}, headers=owner.headers
    )
    assert same_name.status_code == 409
    other = await users.start_session(stranger)
    own_name = await client.post(
        "/presets", json={"name": "mine", "session_id": other}, headers=stranger.headers
    )
    assert own_name.status_code == 201  # names are per listener
