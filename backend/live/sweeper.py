"""The sweeper: every session ends, even one nobody listened to the end.

A session still open past its schedule plus a grace period (on its own clock, so pauses do not
count), or paused for longer than anyone pauses, with no socket listening here, is ended with
reason `abandoned` and its listened time. Several processes may sweep the same database: the end
is a conditional UPDATE, so each session is ended exactly once and the others skip it.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.queries import AlreadyEnded, SessionQueries
from backend.live.hub import SessionHub
from backend.models.listening_time import listened_sec
from backend.models.orm import ListeningSession, utcnow
from backend.schedules.limits import DURATION_MIN_SEC

logger = logging.getLogger(__name__)

_BATCH = 1000
"""Open sessions looked at per sweep (oldest first)."""


class SessionSweeper:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        hub: SessionHub,
        *,
        grace_sec: float,
        max_pause_sec: float,
        interval_sec: float,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._session_factory = session_factory
        self._hub = hub
        self.grace_sec = grace_sec
        self.max_pause_sec = max_pause_sec
        self.interval_sec = interval_sec
        self._clock = clock
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="session-sweeper")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                swept = await self.sweep_once()
                if swept:
                    logger.info("ended %d abandoned session(s)", swept)
            except Exception as error:  # a database that is down now may be back next time
                logger.warning("the session sweeper could not run: %s", error)
            await asyncio.sleep(self.interval_sec)

    async def sweep_once(self) -> int:
        """End the abandoned sessions open now; how many this process ended."""
        now = self._clock()
        swept = 0
        async with self._session_factory() as db:
            queries = SessionQueries(db)
            candidates = await queries.open_before(
                now - timedelta(seconds=DURATION_MIN_SEC + self.grace_sec), _BATCH
            )
            for session in candidates:
                if not self._abandoned(session, now) or self._hub.has_listener(session.id):
                    continue
                try:
                    await queries.end(session, ended_at=now, reason="abandoned")
                except AlreadyEnded:
                    continue  # another process (or the listener) ended it first
                await self._hub.end(session.id)
                swept += 1
        return swept

    def _abandoned(self, session: ListeningSession, now: datetime) -> bool:
        if session.paused_at is not None:
            return (now - session.paused_at).total_seconds() > self.max_pause_sec
        total_sec = float(session.schedule.get("total_duration_sec", 0))
        listened = listened_sec(session.started_at, session.paused_sec, session.paused_at, now)
        return listened > total_sec + self.grace_sec
