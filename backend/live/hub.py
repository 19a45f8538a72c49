"""The live-session hub: one channel per playing session, fanning its frames out to the sockets.

Channels (`live.channel`) open when a session starts here and close when it ends; ended ones are
kept a while for late resumes. The hub is the only way frames reach sockets, and it records in the
database what the stream learns: a refinement applied, a pause, a session that ran its course with
someone listening (`completed`). Everything runs on the event loop of one process; several
workers would need a shared fan-out (see README).
"""

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.queries import AlreadyEnded, SessionQueries
from backend.live.channel import CLOSE, Channel, Frame, ResumePoint, Subscription
from backend.models.orm import ListeningSession
from backend.schedules.explain import ModelNote
from backend.schedules.refiner import RefinementOutcome
from backend.schedules.schedule import ModulationSchedule

logger = logging.getLogger(__name__)

# Ended streams kept so a client that was away when the end came can resume and receive it.
_ENDED_KEPT = 1000
_ENDED_KEPT_SEC = 15 * 60


class SessionHub:
    """The channels of this process's playing sessions; the only way frames reach sockets."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        lookahead_sec: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._session_factory = session_factory
        self._lookahead_sec = lookahead_sec
        self._clock = clock
        self._channels: dict[int, Channel] = {}
        self._ended: OrderedDict[int, tuple[float, Channel]] = OrderedDict()  # id -> (ended at, channel)
        self._writes: set[asyncio.Task[None]] = set()

    def _new_channel(self, session: ListeningSession) -> Channel:
        return Channel(
            session_id=session.id,
            user_id=session.user_id,
            started_at=session.started_at.timestamp(),
            paused_sec=session.paused_sec,
            paused_at=None if session.paused_at is None else session.paused_at.timestamp(),
            schedule=ModulationSchedule.model_validate(session.schedule),
            lookahead_sec=self._lookahead_sec,
            clock=self._clock,
            on_end=self._forget,
        )

    def _forget(self, channel: Channel) -> None:
        if self._channels.get(channel.session_id) is channel:
            del self._channels[channel.session_id]
        channel.stop()
        if channel.end_reason == "duration_over":
            self._write(self._complete_if_listened(channel), f"complete-{channel.session_id}")
        if channel.ended:
            self._ended[channel.session_id] = (time.monotonic(), channel)
            self._ended.move_to_end(channel.session_id)
            while len(self._ended) > _ENDED_KEPT:
                self._ended.popitem(last=False)

    def _recently_ended(self, session_id: int) -> Channel | None:
        """An ended stream still kept for late resumes (they get the frames they missed, then `end`)."""
        cutoff = time.monotonic() - _ENDED_KEPT_SEC
        while self._ended and next(iter(self._ended.values()))[0] < cutoff:
            self._ended.popitem(last=False)
        kept = self._ended.get(session_id)
        return kept[1] if kept is not None else None

    def _channel_for(self, session: ListeningSession) -> Channel:
        """The playing session's channel, started on first use."""
        channel = self._channels.get(session.id)
        if channel is None:
            channel = self._new_channel(session)
            self._channels[session.id] = channel
            channel.start()
        return channel

    async def open(self, session: ListeningSession) -> None:
        """A session just started here: its channel runs from now, so its first socket is
        answered from memory, without waiting for the database."""
        self._channel_for(session)

    def evict(self, session_id: int) -> None:
        """Drop a channel whose stored session changed elsewhere; the next use reads it afresh."""
        self._ended.pop(session_id, None)
        channel = self._channels.pop(session_id, None)
        if channel is not None:
            channel.stop()

    async def subscribe(self, session_id: int, user_id: int, resume: ResumePoint) -> Subscription | None:
        """Join the session's stream; None if it is not this user's (or does not exist).

        The subscription's backlog is what the client missed; if the stream has ended, the
        backlog finishes with the `end` frame and no live frames follow.
        """
        channel = self._channels.get(session_id) or self._recently_ended(session_id)
        if channel is not None:
            if channel.user_id != user_id:
                return None  # someone else's looks exactly like a missing one
        else:
            async with self._session_factory() as db:
                session = await SessionQueries(db).owned(session_id, user_id)
            if session is None:
                return None
            if session.ended_at is not None:
                channel = self._new_channel(session)
                channel.end("ended")
            else:
                channel = self._channel_for(session)
        queue: asyncio.Queue[Frame | None] = asyncio.Queue()
        backlog = channel.frames_since(resume)
        if channel.ended:
            queue.put_nowait(CLOSE)
        else:
            channel.subscribers.add(queue)
            channel.joined()
        return Subscription(backlog, queue, channel)

    async def unsubscribe(self, subscription: Subscription) -> None:
        subscription.channel.subscribers.discard(subscription.queue)
        subscription.channel.left()

    async def refine(
        self,
        session_id: int,
        user_id: int,
        refined: ModulationSchedule,
        prompt: tuple[int | None, int | None] = (None, None),
        note: ModelNote | None = None,
    ) -> ModulationSchedule:
        """Replace the upcoming steps of a playing session, store the result and stream it.

        Raises LookupError if the session is not the user's or has ended, ScheduleRejected if the
        merged schedule would not be safe (then nothing changes). `prompt` is the (id, version)
        of the template a model wrote it with, `note` what it changed; both stored with the session.
        """
        model_note = None if note is None else note.model_dump(mode="json")

        async def store(
            queries: SessionQueries, session: ListeningSession, merged: ModulationSchedule
        ) -> None:
            await queries.replace_schedule(
                session, merged.model_dump(mode="json"), prompt=prompt, model_note=model_note
            )

        return await self._rewrite(session_id, user_id, refined, store)

    async def pause(self, session_id: int, at: datetime) -> None:
        """The session was paused (via REST): stop its clock and tell its sockets."""
        channel = self._channels.get(session_id)
        if channel is not None:
            channel.pause(at.timestamp())

    async def resume(self, session_id: int, at: datetime) -> None:
        """The session plays again: its clock goes on where it stopped; later steps shift."""
        channel = self._channels.get(session_id)
        if channel is not None:
            channel.resume(at.timestamp())

    def has_listener(self, session_id: int) -> bool:
        channel = self._channels.get(session_id)
        return channel is not None and bool(channel.subscribers)

    async def _complete_if_listened(self, channel: Channel) -> None:
        if await self._listened_to_the_end(channel):
            await self._record_completed(channel.session_id)

    async def _listened_to_the_end(self, channel: Channel) -> bool:
        return channel.listened_to_the_end

    async def _record_completed(self, session_id: int) -> None:
        """A session ran its course with someone listening: record the end as `completed`."""
        async with self._session_factory() as db:
            queries = SessionQueries(db)
            session = await db.get(ListeningSession, session_id)
            if session is None or session.ended_at is not None:
                return
            try:
                await queries.end(session, ended_at=datetime.now(UTC), reason="completed")
            except AlreadyEnded:
                return  # the listener (or another process) recorded it first

    def _write(self, work: "Coroutine[Any, Any, None]", name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._writes.add(task)
        task.add_done_callback(self._write_done)

    def _write_done(self, task: "asyncio.Task[None]") -> None:
        self._writes.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            logger.warning("live: %s could not be recorded: %s", task.get_name(), error)

    async def record_refinement(self, session_id: int, outcome: RefinementOutcome) -> None:
        """Store what became of a session's pending refinement (applied ones store themselves)."""
        async with self._session_factory() as db:
            await SessionQueries(db).record_refinement(session_id, outcome)

    async def replan(
        self, session_id: int, user_id: int, replanned: ModulationSchedule, explanation: dict[str, Any]
    ) -> ModulationSchedule:
        """Like `refine`, for a plan the listener asked for: the future changes, the past stays, and
        the session's explanation becomes the new plan's. Raises LookupError, ScheduleRejected."""

        async def store(
            queries: SessionQueries, session: ListeningSession, merged: ModulationSchedule
        ) -> None:
            await queries.replace_plan(session, merged.model_dump(mode="json"), explanation)

        return await self._rewrite(session_id, user_id, replanned, store)

    async def _rewrite(
        self,
        session_id: int,
        user_id: int,
        schedule: ModulationSchedule,
        store: Callable[[SessionQueries, ListeningSession, ModulationSchedule], Awaitable[None]],
    ) -> ModulationSchedule:
        """Merge `schedule` into the playing session's future, `store` it, then stream it."""
        async with self._session_factory() as db:
            queries = SessionQueries(db)
            session = await queries.owned(session_id, user_id)
            if session is None or session.ended_at is not None:
                raise LookupError(f"session {session_id} is not playing")
            channel = self._channel_for(session)
            merged, cutoff_sec = channel.merge(schedule)
            await store(queries, session, merged)
        channel.apply(merged, cutoff_sec)
        return merged

    async def end(self, session_id: int) -> None:
        """The session was ended (via REST): send `end` to its sockets and close them cleanly."""
        channel = self._channels.get(session_id)
        if channel is not None:
            channel.end("ended")

    async def close(self) -> None:
        for channel in list(self._channels.values()):
            channel.stop()
        self._channels.clear()
        self._ended.clear()
        await asyncio.gather(*self._writes, return_exceptions=True)
