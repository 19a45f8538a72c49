"""Every endpoint answers malformed, oversized or hostile input with a 4xx JSON `detail`, never a 500."""

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from backend.tests.factories import TestUser, UserFactory

NOT_JSON = b"{'intent': 'sleep'"
INVALID_UTF8 = b'{"intent": "\xff\xfe"}'
HOSTILE_BODIES: list[bytes] = [
    b"",
    NOT_JSON,
    INVALID_UTF8,
    b"null",
    b"[]",
    b'"a string"',
    b"12",
    b'{"unexpected": true}',
    json.dumps({"intent": "x" * 101, "rating": 9, "email": "a@b", "password": 1}).encode(),
    json.dumps({"intent": "sleep\u0000; DROP TABLE users;--", "rating": "1; DROP TABLE"}).encode(),
    json.dumps({"intent": None, "rating": None, "email": None, "password": None}).encode(),
    json.dumps({"duration_min": 1e309, "rating": float("nan")}).encode().replace(b"Infinity", b"1e999"),
    b"[" * 2_000 + b"]" * 2_000,
]


def _endpoints(session_id: int) -> list[tuple[str, str]]:
    return [
        ("POST", "/auth/register"),
        ("POST", "/auth/login"),
        ("PATCH", "/auth/me"),
        ("POST", "/sessions/start"),
        ("PATCH", f"/sessions/{session_id}/end"),
        ("POST", "/llm/generate-schedule"),
    ]


@pytest.fixture
async def user_with_session(users: UserFactory) -> tuple[TestUser, int]:
    user = await users.create()
    return user, await users.start_session(user)


async def test_hostile_bodies_get_4xx_json(
    client: httpx.AsyncClient, user_with_session: tuple[TestUser, int]
) -> None:
    user, session_id = user_with_session
    for method, path in _endpoints(session_id):
        for body in HOSTILE_BODIES:
            headers = {**user.headers, "Content-Type": "application/json"}
            response = await client.request(method, path, content=body, headers=headers)
            assert 400 <= response.status_code < 500, (method, path, body[:60], response.status_code)
            assert "detail" in response.json(), (method, path, body[:60])
    # And nothing was broken along the way: the session is still open and the user can still log in.
    history = (await client.get("/sessions/history", headers=user.headers)).json()
    assert history[0]["ended_at"] is None


async def test_wrong_content_type_is_4xx(
    client: httpx.AsyncClient, user_with_session: tuple[TestUser, int]
) -> None:
    user, session_id = user_with_session
    for method, path in _endpoints(session_id):
        response = await client.request(
            method, path, content=b"intent=sleep", headers={**user.headers, "Content-Type": "text/plain"}
        )
        assert 400 <= response.status_code < 500
        assert "detail" in response.json()


@pytest.mark.parametrize("size", [64 * 1024 + 1, 1024 * 1024])
async def test_oversized_bodies_are_413(client: httpx.AsyncClient, users: UserFactory, size: int) -> None:
    user = await users.create()
    padding = "x" * size
    response = await client.post(
        "/sessions/start", json={"intent": "sleep", "pad": padding}, headers=user.headers
    )
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]


async def test_oversized_chunked_body_without_length_is_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b"x" * 4096

    response = await client.post(
        "/auth/register", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    "path",
    ["/sessions/abc", "/sessions/0", "/sessions/-5", "/sessions/99999999999999999999", "/sessions/1.5"],
)
async def test_hostile_session_ids(client: httpx.AsyncClient, users: UserFactory, path: str) -> None:
    user = await users.create()
    for response in (
        await client.get(path, headers=user.headers),
        await client.patch(f"{path}/end", json={}, headers=user.headers),
    ):
        assert 400 <= response.status_code < 500
        assert "detail" in response.json()


async def test_unknown_routes_and_methods_are_json(client: httpx.AsyncClient) -> None:
    missing = await client.get("/no/such/thing")
    assert missing.status_code == 404
    assert missing.json()["detail"]
    wrong_method = await client.delete("/auth/login")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["detail"]


async def test_unicode_survives_round_trip(client: httpx.AsyncClient, users: UserFactory) -> None:
    user = await users.create()
    intent = "Konzentration 🧠 集中 — lecture"
    started = await client.post("/sessions/start", json={"intent": intent}, headers=user.headers)
    assert started.status_code == 201
    history = (await client.get("/sessions/history", headers=user.headers)).json()
    assert history[0]["intent"] == intent
