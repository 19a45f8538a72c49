"""Redis killed under two workers, then brought back on the same port: while it is gone the
workers answer (starts are stored, logins refuse with 503 rather than go unthrottled, sockets close
with 1013, /health says what is wrong), never 500; when it returns they recover without a restart,
and a session started during the outage plays."""

import asyncio
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis import Redis
from redis.exceptions import RedisError
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from backend.tests.factories import PASSWORD, TestUser, UserFactory
from backend.tests.faults.conftest import Report
from backend.tests.live_server import next_frame
from bench.server import free_port, running_server

_START_TIMEOUT_SEC = 30.0


class PrivateRedis:
    """A redis-server of the test's own, on a spare port, that the test may kill (never the shared one)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary is not None
        options = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self._process = subprocess.Popen(
            [binary, *options, "--dir", str(self.root)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + _START_TIMEOUT_SEC
        with Redis(port=self.port) as probe:
            while True:
                try:
                    if probe.ping():
                        return
                except RedisError:
                    assert time.monotonic() < deadline, "the private redis-server did not start"
                    time.sleep(0.05)

    def kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(10)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server (Debian: apt-get install redis-server)")
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


def _socket(base_url: str, session_id: int, token: str) -> connect:
    protocols = [Subprotocol("neurotune.v1"), Subprotocol(f"bearer.{token}")]
    return connect(f"{base_url.replace('http', 'ws')}/ws/session/{session_id}", subprotocols=protocols)


async def _close_code(base_url: str, session_id: int, token: str) -> int | None:
    async with _socket(base_url, session_id, token) as ws:
        try:
            await asyncio.wait_for(ws.recv(), 10)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None
    return None


async def _wait_for(check: Any, limit_sec: float = 20.0) -> float:
    started = time.monotonic()
    while not await check():
        assert time.monotonic() - started < limit_sec, "did not recover in time"
        await asyncio.sleep(0.1)
    return time.monotonic() - started


async def test_redis_killed_under_two_workers_then_restarted(
    private_redis: PrivateRedis, tmp_path: Path, report: Report
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'neurotune.db'}"
    shared = {"redis_url": private_redis.url, "redis_prefix": "outage"}
    with ExitStack() as servers:
        a_url, _ = servers.enter_context(running_server(database_url, tmp_path / "data", **shared))
        b_url, _ = servers.enter_context(running_server(database_url, tmp_path / "data", **shared))
        async with httpx.AsyncClient(base_url=a_url) as a, httpx.AsyncClient(base_url=b_url) as b:
            user: TestUser = await UserFactory(a).create()
            before = await UserFactory(a).start_session(user, "reading", duration_min=30)

            private_redis.kill()
            statuses: list[int] = []
            started_in_outage = await b.post(
                "/sessions/start", json={"intent": "deep focus: coding"}, headers=user.headers
            )
            statuses.append(started_in_outage.status_code)
            assert started_in_outage.status_code == 201, (
                started_in_outage.text
            )  # stored: the database is fine
            login = await b.post("/auth/login", json={"email": user.email, "password": PASSWORD})
            statuses.append(login.status_code)
            assert login.status_code == 503  # not unthrottled: no count can be kept, so none is let through
            assert "Redis" in login.json()["detail"]
            assert int(login.headers["Retry-After"]) > 0
            health = await a.get("/health")
            statuses.append(health.status_code)
            assert health.status_code == 200  # the database answers; monitoring reads the body
            assert (health.json()["status"], health.json()["redis"]) == ("degraded", "error")
            assert any("Redis" in reason for reason in health.json()["reasons"])
            listed = await a.get("/sessions/history", headers=user.headers)
            statuses.append(listed.status_code)
            assert listed.status_code == 200  # reads need no Redis
            code = await _close_code(b_url, before, user.token)
            assert code == 1013  # try again later, with a close frame
            assert 500 not in statuses

            private_redis.start()  # same port, empty: the workers reconnect by themselves
            restarted_at = time.monotonic()

            async def healthy() -> bool:
                body = (await b.get("/health")).json()
                return bool(body["redis"] == "ok")

            health_sec = await _wait_for(healthy)
            session_id = started_in_outage.json()["session_id"]
            async with _socket(a_url, session_id, user.token) as ws:  # taken over: nobody owned it
                first = await next_frame(ws)
            assert first["type"] == "schedule"
            login = await a.post("/auth/login", json={"email": user.email, "password": PASSWORD})
            assert login.status_code == 200
            recovered_sec = time.monotonic() - restarted_at
    report(
        f"Redis outage under 2 workers: start 201, login 503, /health degraded (redis error), socket 1013, "
        f"no 500; after restart /health ok in {health_sec:.2f} s, session from the outage playing and "
        f"logins back {recovered_sec:.2f} s after"
    )
