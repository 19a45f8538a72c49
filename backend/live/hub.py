"""The live-session hub: one channel per playing session, fanning its frames out to the sockets.

A channel owns the session's current schedule, a numbered log of the frames it has sent (for
resume), and a timer that announces each step `lookahead_sec` before it begins. Everything runs on
the event loop of one process; several workers would need a shared fan-out (see README).
"""

import asyncio
import contextlib
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.queries import SessionQueries
from backend.live.frames import EndReason, FrameType, ModulationUpdate
from backend.models.orm import ListeningSession
from backend.schedules.merge import merge_refinement
from backend.schedules.refiner import RefinementOutcome
from backend.schedules.schedule import ModulationSchedule, ModulationStep
from backend.schedules.validator import ScheduleRejected

logger = logging.getLogger(__name__)

# A full schedule yields at most ~70 frames; past this the oldest are dropped and a client that
# missed them gets a fresh `schedule` frame instead.
_LOG_LIMIT = 512
# Frames a slow socket may have queued before it is dropped (it can reconnect and resume).
_QUEUE_LIMIT = 256
# Ended streams kept so a client that was away when the end came can resume and receive it.
_ENDED_KEPT = 1000
_ENDED_KEPT_SEC = 15 * 60
_CLOSE = None  # queued to tell a socket's pump to close
_REFINE_MARGIN_SEC = 1.0


@dataclass(frozen=True)
class Frame:
    """A frame as sent: its number and its JSON text, encoded once for every subscriber."""

    seq: int
    text: str
    is_end: bool = False


@dataclass(frozen=True)
class ResumePoint:
    stream_id: str | None = None
    last_seq: int | None = None


@dataclass
class Subscription:
    backlog: list[Frame]
    queue: asyncio.Queue[Frame | None]
    channel: "Channel"


@dataclass
class Channel:
    session_id: int
    user_id: int
    started_at: float  # unix seconds
    schedule: ModulationSchedule
    lookahead_sec: float
    clock: Callable[[], float] = time.time
    stream_id: str = field(default_factory=lambda: secrets.token_hex(8))
    seq: int = 0
    ended: bool = False
    announced: int = 0  # steps [0, announced) have had their `step` frame
    log: list[Frame] = field(default_factory=list)
    subscribers: set[asyncio.Queue[Frame | None]] = field(default_factory=set)
    on_end: Callable[["Channel"], None] | None = None
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _timer: asyncio.Task[None] | None = None

    # --- time -------------------------------------------------------------------------------

    def elapsed_sec(self) -> float:
        return self.clock() - self.started_at

    def _due_at(self, step: ModulationStep) -> float:
        return self.started_at + step.timestamp_sec - self.lookahead_sec

    # --- frames -----------------------------------------------------------------------------

    def _frame(self, kind: FrameType, seq: int, **fields: object) -> ModulationUpdate:
        now = self.clock()
        return ModulationUpdate(
            seq=seq,
            stream_id=self.stream_id,
            session_id=self.session_id,
            type=kind,
            server_time=now,
            elapsed_sec=round(now - self.started_at, 3),
            lookahead_sec=self.lookahead_sec,
            total_duration_sec=self.schedule.total_duration_sec,
            **fields,
        )

    def _publish(self, kind: FrameType, **fields: object) -> None:
        self.seq += 1
        frame = Frame(self.seq, self._frame(kind, self.seq, **fields).model_dump_json(), kind == "end")
        self.log.append(frame)
        del self.log[:-_LOG_LIMIT]
        for queue in list(self.subscribers):
            if queue.qsize() >= _QUEUE_LIMIT:
                # Fell behind: drop it rather than buffer without bound; it can reconnect and resume.
                logger.warning("session %s: dropping a subscriber that fell behind", self.session_id)
                self.subscribers.discard(queue)
                _replace_contents(queue, _CLOSE)
            else:
                queue.put_nowait(frame)
        if frame.is_end:
            for queue in self.subscribers:
                queue.put_nowait(_CLOSE)
            self.subscribers.clear()

    def snapshot(self) -> Frame:
        """The whole current schedule as one `schedule` frame.

        It is numbered as the latest frame it includes (it is not new): a client takes it as
        "you are now at seq N". An ended stream's snapshot is the state just before its `end`,
        so the `end` frame that follows it is still new to the client.
        """
        seq = self.seq - 1 if self.ended else self.seq
        return Frame(seq, self._frame("schedule", seq, steps=self.schedule.steps).model_dump_json())

    def heartbeat(self) -> Frame:
        """An idle-stream frame; it repeats the latest seq, so it is never a missed frame."""
        return Frame(self.seq, self._frame("heartbeat", self.seq).model_dump_json())

    def frames_since(self, resume: ResumePoint) -> list[Frame]:
        """What a client at `resume` missed; a fresh snapshot if its position is unknown here."""
        last = resume.last_seq
        oldest_kept = self.log[0].seq if self.log else self.seq + 1
        known = resume.stream_id == self.stream_id and last is not None and last <= self.seq
        if known and last is not None and last + 1 >= oldest_kept:
            return [frame for frame in self.log if frame.seq > last]
        return [self.snapshot(), *self.log[-1:]] if self.ended else [self.snapshot()]

    # --- the timer --------------------------------------------------------------------------

    def announce_due_steps(self) -> None:
        now = self.clock()
        steps = self.schedule.steps
        while self.announced < len(steps) and self._due_at(steps[self.announced]) <= now:
            step = steps[self.announced]
            self._publish("step", steps=[step], step_index=self.announced, starts_at_sec=step.timestamp_sec)
            self.announced += 1
        if self.elapsed_sec() >= self.schedule.total_duration_sec:
            self.end("duration_over")

    def _next_wake_at(self) -> float:
        steps = self.schedule.steps
        if self.announced < len(steps):
            return self._due_at(steps[self.announced])
        return self.started_at + self.schedule.total_duration_sec

    async def _run(self) -> None:
        while not self.ended:
            self.announce_due_steps()
            if self.ended:
                return
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._wake.wait(), timeout=max(0.0, self._next_wake_at() - self.clock())
                )

    def start(self) -> None:
        self.announce_due_steps()
        if not self.ended and self._timer is None:
            self._timer = asyncio.create_task(self._run(), name=f"live-session-{self.session_id}")

    # --- changes ----------------------------------------------------------------------------

    def merge(self, refined: ModulationSchedule) -> tuple[ModulationSchedule, float]:
        """`refined` merged in for the future only (see merge_refinement), and the cutoff used.

        Raises ScheduleRejected. Pure: nothing changes until `apply`.
        """
        announced_until = self.schedule.steps[self.announced - 1].timestamp_sec if self.announced else 0.0
        # The margin covers the time it takes to store the result before it is applied.
        cutoff_sec = max(self.elapsed_sec() + self.lookahead_sec + _REFINE_MARGIN_SEC, announced_until + 1e-3)
        return merge_refinement(self.schedule, refined, cutoff_sec), cutoff_sec

    def apply(self, merged: ModulationSchedule, cutoff_sec: float) -> None:
        if merged.steps[: self.announced] != self.schedule.steps[: self.announced]:
            raise ScheduleRejected(["a step the refinement replaces has already been sent"])
        self.schedule = merged
        self._publish("refined", steps=merged.steps, from_sec=round(cutoff_sec, 3))
        self._wake.set()

    def end(self, reason: EndReason) -> None:
        """Publish `end`, close the sockets after it, stop the timer."""
        if self.ended:
            return
        self.ended = True
        self._publish("end", reason=reason)
        self._wake.set()
        if self.on_end is not None:
            self.on_end(self)

    def stop(self) -> None:
        if self._timer is not None and self._timer is not asyncio.current_task():
            self._timer.cancel()


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

    def _new_channel(self, session: ListeningSession) -> Channel:
        return Channel(
            session_id=session.id,
            user_id=session.user_id,
            started_at=session.started_at.timestamp(),
            schedule=ModulationSchedule.model_validate(session.schedule),
            lookahead_sec=self._lookahead_sec,
            clock=self._clock,
            on_end=self._forget,
        )

    def _forget(self, channel: Channel) -> None:
        if self._channels.get(channel.session_id) is channel:
            del self._channels[channel.session_id]
        channel.stop()
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

    def open(self, session: ListeningSession) -> None:
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
            queue.put_nowait(_CLOSE)
        else:
            channel.subscribers.add(queue)
        return Subscription(backlog, queue, channel)

    def unsubscribe(self, subscription: Subscription) -> None:
        subscription.channel.subscribers.discard(subscription.queue)

    async def refine(
        self,
        session_id: int,
        user_id: int,
        refined: ModulationSchedule,
        prompt: tuple[int | None, int | None] = (None, None),
    ) -> ModulationSchedule:
        """Replace the upcoming steps of a playing session, store the result and stream it.

        Raises LookupError if the session is not the user's or has ended, ScheduleRejected if the
        merged schedule would not be safe (then nothing changes). `prompt` is the (id, version)
        of the template a model wrote it with, stored with the session.
        """
        async with self._session_factory() as db:
            queries = SessionQueries(db)
            session = await queries.owned(session_id, user_id)
            if session is None or session.ended_at is not None:
                raise LookupError(f"session {session_id} is not playing")
            channel = self._channel_for(session)
            merged, cutoff_sec = channel.merge(refined)
            await queries.replace_schedule(session, merged.model_dump(mode="json"), prompt=prompt)
        channel.apply(merged, cutoff_sec)
        return merged

    async def record_refinement(self, session_id: int, outcome: RefinementOutcome) -> None:
        """Store what became of a session's pending refinement (applied ones store themselves)."""
        async with self._session_factory() as db:
            await SessionQueries(db).record_refinement(session_id, outcome)

    def end(self, session_id: int) -> None:
        """The session was ended (via REST): send `end` to its sockets and close them cleanly."""
        channel = self._channels.get(session_id)
        if channel is not None:
            channel.end("ended")

    def close(self) -> None:
        for channel in list(self._channels.values()):
            channel.stop()
        self._channels.clear()
        self._ended.clear()


def _replace_contents(queue: asyncio.Queue[Frame | None], item: Frame | None) -> None:
    while not queue.empty():
        queue.get_nowait()
    queue.put_nowait(item)
