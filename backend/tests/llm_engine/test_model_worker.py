"""`neurotune model-worker` (a real process with the real bundled model, real Redis) serving an app
that never loads the model: schedules come from the worker; its death leaves the planner's
schedule with the reason; when it is back, the model answers again."""

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from backend.config import Settings
from backend.db.redis_state import connect_redis
from backend.llm_engine.model_jobs import jobs_key
from backend.llm_engine.model_store import bundled_model_dir, is_prepared
from backend.main import create_app
from backend.tests.conftest import redis_url
from backend.tests.factories import TestUser, UserFactory
from backend.tests.model_fixtures import MODELS_DIR

pytestmark = pytest.mark.llm

PATH = "/llm/generate-schedule"
REPO = Path(__file__).resolve().parents[3]
LOAD_TIMEOUT_SEC = 300.0


@contextmanager
def model_worker(prefix: str, data_dir: Path) -> Iterator[subprocess.Popen[bytes]]:
    if not is_prepared(bundled_model_dir(MODELS_DIR)):
        pytest.skip(f"bundled model not prepared in {MODELS_DIR}: run `make setup`")
    env = {
        **os.environ,
        "NEUROTUNE_REDIS_URL": redis_url(),
        "NEUROTUNE_REDIS_PREFIX": prefix,
        "NEUROTUNE_LLM_MODEL": "bundled",
        "NEUROTUNE_MODELS_DIR": str(MODELS_DIR),
        "NEUROTUNE_DATA_DIR": str(data_dir),
        "NEUROTUNE_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen([sys.executable, "-m", "backend.cli", "model-worker"], cwd=REPO, env=env)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@asynccontextmanager
async def web_worker(settings: Settings, prefix: str) -> AsyncIterator[httpx.AsyncClient]:
    """An app told to use the model worker (it must never load the model itself)."""
    app = create_app(
        settings.model_copy(
            update={
                "redis_url": redis_url(),
                "redis_prefix": prefix,
                "model_worker": True,
                "llm_model": "bundled",
                "models_dir": Path("/nonexistent"),  # proof it loads nothing: there is no model here
                "llm_deadline_sec": 120.0,  # a loaded machine must not make this a timing test
                "llm_cache_size": 0,
            }
        )
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def _model_status(http: httpx.AsyncClient, wanted: str) -> dict[str, Any]:
    for _ in range(round(LOAD_TIMEOUT_SEC / 0.25)):
        health: dict[str, Any] = (await http.get("/health")).json()
        if health["llm"] == wanted:
            return health
        await asyncio.sleep(0.25)
    raise AssertionError(f"the model never became {wanted!r}: {health}")


async def _generate(http: httpx.AsyncClient, user: TestUser, intent: str) -> dict[str, Any]:
    response = await http.post(PATH, json={"intent": intent, "duration_min": 20}, headers=user.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the database is not the point
async def test_the_model_worker_serves_dies_and_comes_back(
    settings: Settings, redis_prefix: str, tmp_path: Path
) -> None:
    async with web_worker(settings, redis_prefix) as http:
        user = await UserFactory(http).create()
        before = await _model_status(http, "error")  # no worker yet: said so, and the planner answers
        assert "no model worker answers" in before["llm_error"]
        alone = await _generate(http, user, "reading")
        assert alone["source"] == "planner"
        assert "no model worker answers" in alone["fallback_reason"]

        with model_worker(redis_prefix, tmp_path / "worker-1") as worker:
            await _model_status(http, "ok")
            redis = connect_redis(redis_url(), redis_prefix)
            garbage = redis.client.rpush(jobs_key(redis), "not a job", '{"job_id": "x"}')
            await cast("Awaitable[int]", garbage)  # dropped by the worker, logged
            await redis.close()
            served = await _generate(http, user, "deep focus: coding")
            assert served["source"] == "model", served["fallback_reason"]
            assert served["timing"]["forward_passes"] > 0  # written by the worker's model

            worker.kill()  # SIGKILL: no goodbye, its heartbeat simply stops
            worker.wait()
            orphaned = await _generate(http, user, "sleep")
            assert orphaned["source"] == "planner"
            assert "model worker" in orphaned["fallback_reason"]
            await _model_status(http, "error")

        with model_worker(redis_prefix, tmp_path / "worker-2"):
            await _model_status(http, "ok")
            back = await _generate(http, user, "calm down after a long day")
            assert back["source"] == "model", back["fallback_reason"]
