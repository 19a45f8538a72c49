"""A real uvicorn server on a free loopback port, and helpers to talk to it over real sockets."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import text
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from backend.config import Settings
from backend.main import create_app
from backend.tests.factories import TestUser, UserFactory
from bench.server import free_port

LOOKAHEAD_SEC = 1.0
STEP_SPACING_SEC = 0.5
DENSE_STEPS = 12
DENSE_TOTAL_SEC = 60


def dense_schedule(first_hz: float = 10.0) -> dict[str, Any]:
    """A valid schedule stepping every STEP_SPACING_SEC by 0.1 Hz (the slowest the validator allows)."""
    steps = [
        {
            "timestamp_sec": i * STEP_SPACING_SEC,
            "target_bpm": 80,
            "binaural_freq": round(first_hz + 0.1 * i, 2),
            "ramp_duration_sec": STEP_SPACING_SEC if i else 0.0,
            "layer": "binaural",
        }
        for i in range(DENSE_STEPS)
    ]
    return {"intent": "dense test", "total_duration_sec": DENSE_TOTAL_SEC, "steps": steps}


@dataclass
class LiveServer:
    app: FastAPI
    http_url: str
    ws_url: str
    http: httpx.AsyncClient

    def socket(self, session_id: int, token: str | None, query: str = "") -> Any:
        """Connect to a session's stream, authenticating with the subprotocol header."""
        protocols = [Subprotocol("neurotune.v1")] + ([Subprotocol(f"bearer.{token}")] if token else [])
        return connect(f"{self.ws_url}/ws/session/{session_id}{query}", subprotocols=protocols)

    async def start_dense_session(self, user: TestUser, started_ago_sec: float = 0.0) -> int:
        """A session whose stored schedule steps every STEP_SPACING_SEC (so frames come quickly)."""
        session_id = await UserFactory(self.http).start_session(user, "deep focus: coding", duration_min=5)
        started = datetime.now(UTC) - timedelta(seconds=started_ago_sec)
        async with self.app.state.neurotune.engine.begin() as connection:
            await connection.execute(
                text("UPDATE sessions SET started_at = :t, schedule = :s WHERE id = :id"),
                {"t": started.replace(tzinfo=None), "s": json.dumps(dense_schedule()), "id": session_id},
            )
        self.app.state.neurotune.hub.evict(session_id)  # its channel still holds the planned schedule
        return session_id

    async def schedule_of(self, user: TestUser, session_id: int) -> dict[str, Any]:
        response = await self.http.get(f"/sessions/{session_id}", headers=user.headers)
        schedule: dict[str, Any] = response.json()["schedule"]
        return schedule


@pytest.fixture
async def live_server(settings: Settings) -> AsyncIterator[LiveServer]:
    async with serving(settings) as server:
        yield server


LIVE_SETTINGS = {"ws_lookahead_sec": LOOKAHEAD_SEC, "ws_heartbeat_sec": 0.5, "ws_auth_timeout_sec": 0.5}


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[LiveServer]:
    """The app on a real uvicorn server (this event loop, a free port) until the block ends."""
    app = create_app(settings.model_copy(update=LIVE_SETTINGS))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            yield LiveServer(app, f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", http)
    finally:
        server.should_exit = True
        await task


@pytest.fixture
def live_users(live_server: LiveServer) -> UserFactory:
    return UserFactory(live_server.http)


async def next_frame(ws: ClientConnection, skip_heartbeats: bool = True) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 5.0))
        if not (skip_heartbeats and frame["type"] == "heartbeat"):
            return frame
