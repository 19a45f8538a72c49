"""Shared fixtures: a real database (SQLite file, and MariaDB when configured), the real app, a client.

MariaDB tests run when NEUROTUNE_TEST_MYSQL_URL names a server (`.ci/run` sets it); otherwise they
skip and say why. If it is set but the server does not answer, they fail: a configured server
that is down is a problem to see, not to hide.
"""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from backend.config import Settings
from backend.db.database import create_engine
from backend.db.migrate import upgrade
from backend.main import create_app
from backend.tests.factories import UserFactory

pytest_plugins = ["backend.tests.model_fixtures", "backend.tests.live_server"]

MYSQL_URL_ENV = "NEUROTUNE_TEST_MYSQL_URL"
MYSQL_SKIP_REASON = (
    f"MariaDB/MySQL not configured: set {MYSQL_URL_ENV}=mysql+asyncmy://root@127.0.0.1:3306/neurotune_test "
    "(bash .ci/run does this)"
)
# Children before parents, for the foreign keys.
TABLES_IN_DELETE_ORDER = ("sessions", "presets", "users", "library", "prompts", "write_probe")

BACKENDS = ["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)]

REDIS_URL_ENV = "NEUROTUNE_TEST_REDIS_URL"


def mysql_url() -> str:
    url = os.environ.get(MYSQL_URL_ENV)
    if not url:
        pytest.skip(MYSQL_SKIP_REASON)
    return url


@pytest.fixture(scope="session")
def migrated_mysql_url() -> str:
    """The MariaDB test database, migrated to head once per test run."""
    url = mysql_url()
    upgrade(url)
    return url


async def _empty_mysql_tables(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            for table in TABLES_IN_DELETE_ORDER:
                await connection.execute(text(f"DELETE FROM {table}"))
    finally:
        await engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database per test: a new SQLite file, or the MariaDB database emptied."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'neurotune-test.db'}"
    url: str = request.getfixturevalue("migrated_mysql_url")
    asyncio.run(_empty_mysql_tables(url))
    return url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        web_dir=tmp_path / "web",  # none: tests that serve the web app build their own
        llm_model="none",  # the planner alone; tests of the model engine load it themselves
        secret_key="test-secret-key-that-is-long-enough-for-hs256-0123456789",
        library_roots=[tmp_path / "library"],  # created at app start-up
        scan_workers=2,
        scan_file_timeout_sec=30,
        _env_file=None,
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def users(client: httpx.AsyncClient) -> UserFactory:
    return UserFactory(client)


def redis_url() -> str:
    url = os.environ.get(REDIS_URL_ENV)
    if not url:
        pytest.skip(
            f"Redis not configured: set {REDIS_URL_ENV}=redis://127.0.0.1:6379/15 (bash .ci/run does this)"
        )
    return url


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A key prefix of this test's own on the test Redis; its keys are deleted afterwards."""
    from backend.db.redis_state import connect_redis

    prefix = f"nt-test-{uuid.uuid4().hex[:12]}"
    state = connect_redis(redis_url(), prefix)
    try:
        yield prefix
    finally:
        keys = [key async for key in state.client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await state.client.delete(*keys)
        await state.close()
