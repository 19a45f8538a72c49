"""The async engine and session factory, tuned per backend (SQLite embedded, MySQL/MariaDB served)."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

SQLITE_BUSY_TIMEOUT_SEC = 15
"""How long a SQLite write waits for the write lock before it fails (then 503)."""


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _ensure_sqlite_dir(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # WAL lets readers run while one writer commits; foreign keys are off by default in SQLite;
    # busy_timeout makes concurrent writers wait instead of failing with "database is locked": a
    # burst queues for the one write lock (each holder keeps it for milliseconds) rather than
    # answering 503 after a short wait.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SEC * 1000}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An engine for `url` with per-backend settings (pragmas, charset, pool health checks)."""
    kwargs: dict[str, Any] = {"echo": echo}
    if is_sqlite(url):
        _ensure_sqlite_dir(url)
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_SEC}
    else:
        parsed = make_url(url)
        if "charset" not in parsed.query:
            url = parsed.update_query_dict({"charset": "utf8mb4"}).render_as_string(hide_password=False)
        # pre_ping and recycle survive a restarted server and MySQL's wait_timeout.
        kwargs.update(pool_pre_ping=True, pool_recycle=1800, pool_size=10, max_overflow=20)
    engine = create_async_engine(url, **kwargs)
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
    return engine


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def session_scope(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: committed by the caller, rolled back if anything escapes."""
    async with factory() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
