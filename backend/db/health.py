"""What /health asks of the database: does it answer, does it still accept writes, is there room.

A `SELECT 1` says the database answers; it cannot say whether it accepts writes. A full disk, a
file-size limit or a read-only data directory leave reads working while every write fails, so the
health check also rewrites the one row of `write_probe` (migration 0007). That write is rate-limited:
at most one per interval, concurrent callers share the one in flight, and between probes the last
result is reported with its age. The data directory's free space is measured on every call (one
statvfs). Both database checks have timeouts, and every failure becomes a reason: nothing here
raises, and nothing logs a traceback for a fault it expects.
"""

import asyncio
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from backend.models.orm import WriteProbe

logger = logging.getLogger(__name__)

_PROBE_ROW_ID = 1
_MAX_REASON_CHARS = 200
_MIB = 1024 * 1024


@dataclass(frozen=True)
class WriteProbeResult:
    error: str | None  # None: the probe row was written and committed
    finished_at: float  # on the probe's clock


async def read_error(engine: AsyncEngine, timeout_sec: float) -> str | None:
    """Why the database does not answer a `SELECT 1` within `timeout_sec`; None if it does.

    Only the error's type is reported: a driver's connection message names hosts and ports, and
    /health is public.
    """
    try:
        async with asyncio.timeout(timeout_sec):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    except TimeoutError:
        return f"no answer within {timeout_sec:g} s"
    except Exception as error:  # any driver failure means "not answering", never a 500
        return type(error).__name__
    return None


class DatabaseWriteProbe:
    """Rewrites the probe row at most once per `interval_sec` and remembers the outcome.

    Callers that arrive while a probe runs wait for that probe (shielded: a caller that gives up
    does not cancel it for the others); the probe itself gives up after `timeout_sec`.
    """

    def __init__(
        self,
        *,
        interval_sec: float,
        timeout_sec: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._interval_sec = interval_sec
        self._timeout_sec = timeout_sec
        self._clock = clock
        self._last: WriteProbeResult | None = None
        self._last_engine: AsyncEngine | None = None
        self._running: asyncio.Task[WriteProbeResult] | None = None
        self.probes_run = 0

    def age_sec(self, result: WriteProbeResult) -> float:
        return max(0.0, self._clock() - result.finished_at)

    async def check(self, engine: AsyncEngine) -> WriteProbeResult:
        """The last result if it is fresh (and for this engine), else a new probe's."""
        last = self._last
        if (
            last is not None
            and self._last_engine is engine
            and self._clock() - last.finished_at < self._interval_sec
        ):
            return last
        if self._running is None:
            self._running = asyncio.create_task(self._probe(engine), name="health write probe")
        # The probe's own timeout cancels the write, but a driver may take longer to let go (a
        # SQLite connection busy in its thread closes only when the statement returns): the
        # caller stops waiting on time regardless, and the probe finishes in the background.
        try:
            async with asyncio.timeout(self._timeout_sec):
                return await asyncio.shield(self._running)
        except TimeoutError:
            return WriteProbeResult(self._timed_out(), self._clock())

    async def _probe(self, engine: AsyncEngine) -> WriteProbeResult:
        try:
            result = WriteProbeResult(await self._write(engine), self._clock())
            self._log_change(result)
            self._last, self._last_engine = result, engine
            self.probes_run += 1
            return result
        finally:
            self._running = None

    async def _write(self, engine: AsyncEngine) -> str | None:
        try:
            async with asyncio.timeout(self._timeout_sec):
                async with engine.begin() as connection:
                    await _upsert_probe_row(connection)
        except TimeoutError:
            return self._timed_out()
        except Exception as error:  # every driver failure is an answer here, never a 500
            return _describe(error)
        return None

    def _timed_out(self) -> str:
        return f"no write confirmed within {self._timeout_sec:g} s"

    def _log_change(self, result: WriteProbeResult) -> None:
        """One WARNING when writes start failing and one INFO when they work again, not one per probe."""
        was_refusing = self._last is not None and self._last.error is not None
        if result.error is not None and not was_refusing:
            logger.warning("the database refuses writes: %s", result.error)
        elif result.error is None and was_refusing:
            logger.info("the database accepts writes again")


async def _upsert_probe_row(connection: AsyncConnection) -> None:
    """Row 1 of write_probe holds the time of the last probe: a real change, so a real write."""
    written_at = datetime.now(UTC).isoformat()
    if connection.dialect.name == "sqlite":
        sqlite_insert = sqlite.insert(WriteProbe).values(id=_PROBE_ROW_ID, written_at=written_at)
        await connection.execute(
            sqlite_insert.on_conflict_do_update(
                index_elements=[WriteProbe.id], set_={"written_at": written_at}
            )
        )
    else:  # MySQL / MariaDB, the other database the app supports
        mysql_insert = mysql.insert(WriteProbe).values(id=_PROBE_ROW_ID, written_at=written_at)
        await connection.execute(mysql_insert.on_duplicate_key_update(written_at=written_at))


def _describe(error: Exception) -> str:
    """The driver's own words ("attempt to write a readonly database", "(1021, 'Disk full…')"),
    one line, bounded; SQLAlchemy's wrapper would add the statement and a documentation link."""
    cause: BaseException = error.orig if isinstance(error, DBAPIError) and error.orig else error
    message = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    if len(message) > _MAX_REASON_CHARS:
        message = message[: _MAX_REASON_CHARS - 1] + "…"
    return message


def data_dir_free_mb(data_dir: Path) -> tuple[float | None, str | None]:
    """Free space (for unprivileged writers) where the data directory is, or why it is unknown.

    A data directory that does not exist yet is measured at its nearest existing parent: that is
    where it would be created.
    """
    path = data_dir.resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        return shutil.disk_usage(path).free / _MIB, None
    except OSError as error:
        return None, f"{type(error).__name__}: {error.strerror or error}"
