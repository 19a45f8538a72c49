"""Small helpers that make users and sessions through the real API (no copy-pasted setup)."""

import itertools
from dataclasses import dataclass
from typing import Any

import httpx

_counter = itertools.count(1)
PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class TestUser:
    __test__ = False  # not a pytest class

    id: int
    username: str
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class UserFactory:
    client: httpx.AsyncClient

    async def create(self, **overrides: Any) -> TestUser:
        n = next(_counter)
        body = {"username": f"user{n}", "email": f"user{n}@example.org", "password": PASSWORD, **overrides}
        response = await self.client.post("/auth/register", json=body)
        assert response.status_code == 201, response.text
        data = response.json()
        return TestUser(data["user_id"], body["username"], body["email"], data["token"])

    async def start_session(self, user: TestUser, intent: str = "deep focus: coding", **extra: Any) -> int:
        response = await self.client.post(
            "/sessions/start", json={"intent": intent, **extra}, headers=user.headers
        )
        assert response.status_code == 201, response.text
        session_id: int = response.json()["session_id"]
        return session_id
