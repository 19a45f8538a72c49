"""Two workers sharing Redis and a database (SQLite and MariaDB): a session runs on the worker that
started it, and every other worker's sockets, commands and resumes reach it."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from backend.config import Settings
from backend.tests.conftest import redis_url
from backend.tests.factories import UserFactory
from backend.tests.live_server import LiveServer, next_frame, serving
from backend.tests.music import write_music


@dataclass
class Pair:
    a: LiveServer
    b: LiveServer


@pytest.fixture
async def pair(settings: Settings, redis_prefix: str) -> AsyncIterator[Pair]:
    shared = settings.model_copy(update={"redis_url": redis_url(), "redis_prefix": redis_prefix})
    async with serving(shared) as a, serving(shared) as b:
        yield Pair(a, b)


async def _frames_until(ws: Any, kind: str) -> list[dict[str, Any]]:
    frames = [await next_frame(ws)]
    while frames[-1]["type"] != kind:
        frames.append(await next_frame(ws))
    return frames


async def test_a_socket_on_one_worker_hears_what_is_done_through_the_other(pair: Pair) -> None:
    users = UserFactory(pair.a.http)
    user = await users.create()
    session_id = await users.start_session(user, "studying for my exam, a bit anxious")  # owned by A
    async with pair.b.socket(session_id, user.token) as ws:  # followed from B
        first = await next_frame(ws)
        assert first["type"] == "schedule"
        replanned = await pair.b.http.post(
            f"/sessions/{session_id}/replan", json={"family": "focus"}, headers=user.headers
        )
        assert replanned.status_code == 200, replanned.text
        refined = (await _frames_until(ws, "refined"))[-1]
        assert refined["steps"] == replanned.json()["schedule"]["steps"]
        paused = await pair.b.http.post(f"/sessions/{session_id}/pause", headers=user.headers)
        assert paused.status_code == 200
        assert (await _frames_until(ws, "paused"))[-1]["paused"] is True
        ended = await pair.b.http.patch(
            f"/sessions/{session_id}/end", json={"rating": 4}, headers=user.headers
        )
        assert ended.status_code == 200
        frames = await _frames_until(ws, "end")
    seqs = [first["seq"], *(frame["seq"] for frame in frames)]
    assert seqs == sorted(set(seqs))  # in order, none twice
    assert {frame["stream_id"] for frame in frames} == {first["stream_id"]}


async def test_a_resume_on_the_other_worker_gets_exactly_the_missed_frames(pair: Pair) -> None:
    users = UserFactory(pair.a.http)
    user = await users.create()
    session_id = await users.start_session(user)
    async with pair.a.socket(session_id, user.token) as ws:
        first = await next_frame(ws)
    for action in ("pause", "resume", "pause"):  # frames the client is not there for
        assert (
            await pair.a.http.post(f"/sessions/{session_id}/{action}", headers=user.headers)
        ).status_code == 200
    await asyncio.sleep(0.3)  # the owner shares them on Redis without waiting
    query = f"?stream_id={first['stream_id']}&last_seq={first['seq']}"
    async with pair.b.socket(session_id, user.token, query) as ws:
        missed = [await next_frame(ws) for _ in range(3)]
    assert [frame["type"] for frame in missed] == ["paused", "resumed", "paused"]
    assert [frame["seq"] for frame in missed] == [first["seq"] + 1, first["seq"] + 2, first["seq"] + 3]


async def test_the_login_throttle_counts_across_workers(pair: Pair) -> None:
    users = UserFactory(pair.a.http)
    user = await users.create()
    wrong = {"email": user.email, "password": "not the password"}
    answers = [
        (await (pair.a if i % 2 else pair.b).http.post("/auth/login", json=wrong)).status_code
        for i in range(6)
    ]
    assert answers == [401] * 5 + [429]  # five failures in all, not five per worker


async def test_failed_logins_count_across_workers(pair: Pair, settings: Settings) -> None:
    users = UserFactory(pair.a.http)
    user = await users.create()
    wrong = {"email": user.email, "password": "not-the-password"}
    answers = []
    for attempt in range(settings.login_max_failures + 1):
        worker = (pair.a, pair.b)[attempt % 2]  # alternate, as a load balancer would
        answers.append((await worker.http.post("/auth/login", json=wrong)).status_code)
    assert answers == [401] * settings.login_max_failures + [429]
    blocked = await pair.a.http.post("/auth/login", json={**wrong, "password": "still-wrong"})
    assert blocked.status_code == 429
    assert "Retry-After" in blocked.headers


async def test_scans_started_at_once_on_two_workers_one_runs(pair: Pair, settings: Settings) -> None:
    library = settings.library_roots[0]
    for folder in ("a", "b"):
        write_music(library / folder)
    user = await UserFactory(pair.a.http).create()
    on_a, on_b = await asyncio.gather(
        pair.a.http.post("/library/scan", json={"directory_path": "a", "wait_sec": 0}, headers=user.headers),
        pair.b.http.post("/library/scan", json={"directory_path": "b", "wait_sec": 0}, headers=user.headers),
    )
    statuses = sorted([on_a.status_code, on_b.status_code])
    assert statuses == [202, 409], (on_a.text, on_b.text)
    running, refused = (on_a, on_b) if on_a.status_code == 202 else (on_b, on_a)
    conflict = refused.json()
    assert conflict["running"]["job_id"] == running.json()["job_id"]
    assert conflict["running"]["status"] in ("queued", "running")
    assert refused.headers["Location"] == f"/library/scan/{running.json()['job_id']}"
    assert int(refused.headers["Retry-After"]) > 0
    refused_worker = pair.b if refused is on_b else pair.a
    followed = await refused_worker.http.get(refused.headers["Location"], headers=user.headers)
    assert followed.status_code == 200  # the running scan is readable from the worker that refused
    assert followed.json()["job_id"] == conflict["running"]["job_id"]
