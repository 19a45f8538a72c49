"""The async engine and session factory, tuned per backend (SQLite embedded, MySQL/MariaDB served)."""

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

logger = logging.getLogger(__name__)

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
    _quiet_pool_resets()
    return engine


def _quiet_pool_resets() -> None:
    """SQLAlchemy's pool logs a dead connection it could not reset at ERROR, with a traceback;
    the connection is simply replaced, which is worth a warning line, not an alarm."""
    pool_logger = logging.getLogger("sqlalchemy.pool")
    if not any(isinstance(existing, _PoolResetFilter) for existing in pool_logger.filters):
        pool_logger.addFilter(_PoolResetFilter())
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("sqlalchemy.pool."):
            child = logging.getLogger(name)
            if not any(isinstance(existing, _PoolResetFilter) for existing in child.filters):
                child.addFilter(_PoolResetFilter())


class _PoolResetFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and record.getMessage().startswith("Exception during reset"):
            error = record.exc_info[1] if record.exc_info else None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg, record.args, record.exc_info, record.exc_text = (
                f"a dead database connection was replaced ({brief_error(error) if error else 'no detail'})",
                (),
                None,
                None,
            )
        return True


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def session_scope(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: committed by the caller; whatever it left open is rolled back.

    The rollback runs after the route has answered, so a connection that died meanwhile (the
    server restarted, the network went) must not turn into an error: the answer has gone out and
    the database kept nothing uncommitted. Such a connection is dropped, with one warning.
    """
    session = factory()
    try:
        yield session
    finally:
        await _finish(session)


async def _finish(session: AsyncSession) -> None:
    try:
        await session.rollback()
    except (DBAPIError, OSError) as error:
        logger.warning("a database connection was lost after its request: %s", brief_error(error))
        with contextlib.suppress(Exception):
            await session.invalidate()  # no reset on a dead connection: the pool opens a new one
    finally:
        with contextlib.suppress(DBAPIError, OSError):
            await session.close()


def brief_error(error: BaseException) -> str:
    """A database error as the driver said it: no SQL, no parameters (they may hold user data)."""
    original = getattr(error, "orig", None) or error
    return f"{type(original).__name__}: {original}".splitlines()[0][:300]
