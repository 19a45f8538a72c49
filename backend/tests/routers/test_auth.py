import asyncio

import httpx
import jwt
import pytest
from fastapi import FastAPI

from backend.tests.factories import PASSWORD, UserFactory


async def test_register_login_me_round_trip(client: httpx.AsyncClient, users: UserFactory) -> None:
    user = await users.create(
        neurotype="adhd", preferences={"volume_max": 0.3, "preferred_layer": "isochronic"}
    )

    login = await client.post("/auth/login", json={"email": user.email.upper(), "password": PASSWORD})
    assert login.status_code == 200
    body = login.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 720 * 60

    me = await client.get("/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    profile = me.json()
    assert profile["id"] == user.id
    assert profile["username"] == user.username
    assert profile["neurotype"] == "adhd"
    assert profile["preferences"]["volume_max"] == 0.3
    assert profile["preferences"]["preferred_layer"] == "isochronic"
    assert profile["preferences"]["carrier_hz"] == 200.0  # defaults filled in
    assert "password_hash" not in profile
    assert profile["created_at"].endswith(("Z", "+00:00"))


async def test_token_expiry_matches_expires_in(client: httpx.AsyncClient, users: UserFactory) -> None:
    user = await users.create()
    claims = jwt.decode(user.token, options={"verify_signature": False})
    assert claims["sub"] == str(user.id)
    assert claims["exp"] - claims["iat"] == 720 * 60


async def test_password_is_stored_as_argon2id(app: FastAPI, users: UserFactory) -> None:
    from sqlalchemy import text

    user = await users.create()
    async with app.state.neurotune.engine.connect() as connection:
        stored = (
            await connection.execute(text("SELECT password_hash FROM users WHERE id = :id"), {"id": user.id})
        ).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


async def test_duplicate_username_or_email_is_409(client: httpx.AsyncClient, users: UserFactory) -> None:
    user = await users.create()
    same_email = {"username": "someoneelse", "email": user.email, "password": PASSWORD}
    same_name = {"username": user.username, "email": "fresh@example.org", "password": PASSWORD}
    for body in (same_email, same_name):
        response = await client.post("/auth/register", json=body)
        assert response.status_code == 409
        assert "already registered" in response.json()["detail"]


async def test_email_is_case_insensitive_for_uniqueness(
    client: httpx.AsyncClient, users: UserFactory
) -> None:
    await users.create(email="Mixed.Case@Example.org")
    response = await client.post(
        "/auth/register", json={"username": "other1", "email": "mixed.case@example.org", "password": PASSWORD}
    )
    assert response.status_code == 409


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("username", "ab"),
        ("username", "x" * 51),
        ("username", "has space"),
        ("password", "pw-1234"),
        ("neurotype", "werewolf"),
    ],
)
async def test_register_validates_fields(client: httpx.AsyncClient, field: str, value: str) -> None:
    body = {"username": "valid_name", "email": "valid@example.org", "password": PASSWORD, field: value}
    response = await client.post("/auth/register", json=body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert any(field in error["loc"] for error in detail)
    if field == "password":
        assert value not in response.text  # inputs (passwords!) are not echoed back


async def test_wrong_password_and_unknown_email_look_the_same(
    client: httpx.AsyncClient, users: UserFactory
) -> None:
    user = await users.create()
    wrong_password = await client.post(
        "/auth/login", json={"email": user.email, "password": "wrong-password"}
    )
    unknown_email = await client.post(
        "/auth/login", json={"email": "nobody@example.org", "password": PASSWORD}
    )
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json() == unknown_email.json()


async def test_repeated_failures_are_throttled_with_retry_after(
    client: httpx.AsyncClient, users: UserFactory
) -> None:
    user = await users.create()
    bad = {"email": user.email, "password": "wrong-password"}
    statuses = [(await client.post("/auth/login", json=bad)).status_code for _ in range(5)]
    assert statuses == [401] * 5
    throttled = await client.post("/auth/login", json=bad)
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) > 0
    # Even the right password waits: the throttle is checked before the password.
    right = await client.post("/auth/login", json={"email": user.email, "password": PASSWORD})
    assert right.status_code == 429


async def test_one_client_guessing_many_emails_is_throttled(client: httpx.AsyncClient) -> None:
    statuses = [
        (
            await client.post("/auth/login", json={"email": f"guess{i}@example.org", "password": "x"})
        ).status_code
        for i in range(21)
    ]
    assert statuses[:20] == [401] * 20
    assert statuses[20] == 429


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer not-a-jwt", "Basic dXNlcjpwYXNz", "Bearer eyJhbGciOiJub25lIn0.e30."],
)
async def test_me_refuses_missing_or_bad_tokens(client: httpx.AsyncClient, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = await client.get("/auth/me", headers=headers)
    assert response.status_code in (401, 403)
    assert response.json()["detail"]


async def test_token_signed_with_another_key_is_refused(
    client: httpx.AsyncClient, users: UserFactory
) -> None:
    user = await users.create()
    forged = jwt.encode(
        {"sub": str(user.id), "iat": 1, "exp": 4_000_000_000, "typ": "access"}, "another-key" * 4, "HS256"
    )
    response = await client.get("/auth/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


async def test_expired_token_is_refused(client: httpx.AsyncClient, users: UserFactory, app: FastAPI) -> None:
    user = await users.create()
    expired = jwt.encode(
        {"sub": str(user.id), "iat": 1, "exp": 2, "typ": "access"}, app.state.neurotune.token_secret, "HS256"
    )
    response = await client.get("/auth/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401


async def test_update_preferences_and_neurotype(client: httpx.AsyncClient, users: UserFactory) -> None:
    user = await users.create()
    response = await client.patch(
        "/auth/me", json={"neurotype": "autism", "preferences": {"volume_max": 0.2}}, headers=user.headers
    )
    assert response.status_code == 200
    me = (await client.get("/auth/me", headers=user.headers)).json()
    assert me["neurotype"] == "autism"
    assert me["preferences"]["volume_max"] == 0.2

    refused = await client.patch("/auth/me", json={"preferences": {"volume_max": 7}}, headers=user.headers)
    assert refused.status_code == 422


async def test_concurrent_registrations_of_one_name_create_one_user(client: httpx.AsyncClient) -> None:
    bodies = [{"username": "racer", "email": f"racer{i}@example.org", "password": PASSWORD} for i in range(4)]
    responses = await asyncio.gather(*(client.post("/auth/register", json=b) for b in bodies))
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
