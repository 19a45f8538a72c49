"""A worker killed mid-session (SIGKILL, real processes): another takes its sessions over within
seconds, and a client that reconnects to the survivor gets exactly the frames it missed."""

import asyncio
import os
import signal
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
from redis.asyncio import Redis
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from backend.tests.conftest import redis_url
from backend.tests.factories import UserFactory
from backend.tests.live_server import next_frame
from bench.server import running_server

TAKEOVER_LIMIT_SEC = 5.0


def _socket(base_url: str, session_id: int, token: str, query: str = "") -> connect:
    protocols = [Subprotocol("neurotune.v1"), Subprotocol(f"bearer.{token}")]
    return connect(f"{base_url.replace('http', 'ws')}/ws/session/{session_id}{query}", subprotocols=protocols)


async def test_a_killed_owner_is_replaced_and_a_resume_loses_and_repeats_nothing(
    database_url: str, tmp_path: Path, redis_prefix: str
) -> None:
    shared = {"redis_url": redis_url(), "redis_prefix": redis_prefix, "ws_lookahead_sec": "10"}
    with ExitStack() as servers:
        a_url, a_pid = servers.enter_context(running_server(database_url, tmp_path / "data", **shared))
        b_url, _ = servers.enter_context(running_server(database_url, tmp_path / "data", **shared))
        async with httpx.AsyncClient(base_url=a_url) as a, httpx.AsyncClient(base_url=b_url) as b:
            user = await UserFactory(a).create()
            session_id = await UserFactory(a).start_session(user, "reading", duration_min=30)
            async with _socket(a_url, session_id, user.token) as ws:
                first = await next_frame(ws)
            redis = Redis.from_url(redis_url(), decode_responses=True)
            owner_key = f"{redis_prefix}:session:{session_id}:owner"
            killed_owner = await redis.get(owner_key)
            assert killed_owner is not None  # A owns what it started

            os.kill(a_pid, signal.SIGKILL)
            killed_at = time.monotonic()
            query = f"?stream_id={first['stream_id']}&last_seq={first['seq']}"
            async with _socket(b_url, session_id, user.token, query):  # B follows it, then takes it over
                while (owner := await redis.get(owner_key)) in (None, killed_owner):
                    assert time.monotonic() - killed_at < 30, "nobody took the session over"
                    await asyncio.sleep(0.1)
                took_over_sec = time.monotonic() - killed_at
            for action in ("pause", "resume"):  # frames while the client is away, made by the new owner
                assert (
                    await b.post(f"/sessions/{session_id}/{action}", headers=user.headers)
                ).status_code == 200
            await asyncio.sleep(0.3)
            async with _socket(b_url, session_id, user.token, query) as ws:
                missed = [await next_frame(ws), await next_frame(ws)]
            await redis.aclose()
    print(f"\ntimer taken over {took_over_sec:.2f} s after SIGKILL of its owner")
    assert owner != killed_owner
    assert took_over_sec < TAKEOVER_LIMIT_SEC
    assert [frame["type"] for frame in missed] == ["paused", "resumed"]
    assert [frame["seq"] for frame in missed] == [first["seq"] + 1, first["seq"] + 2]  # none lost, none twice
    assert {frame["stream_id"] for frame in missed} == {first["stream_id"]}
