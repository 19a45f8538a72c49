"""One playing session's stream: its schedule, a numbered log of the frames sent, a clock that
stops while the session is paused, and a timer that announces each step `lookahead_sec` before it
begins (on the session's own clock, so a pause shifts every later step).
"""

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from backend.live.frames import EndReason, FrameType, ModulationUpdate
from backend.schedules.merge import merge_refinement
from backend.schedules.schedule import ModulationSchedule, ModulationStep
from backend.schedules.validator import ScheduleRejected

logger = logging.getLogger(__name__)

# A full schedule yields at most ~70 frames; past this the oldest are dropped and a client that
# missed them gets a fresh `schedule` frame instead.
_LOG_LIMIT = 512
# Frames a slow socket may have queued before it is dropped (it can reconnect and resume).
_QUEUE_LIMIT = 256
CLOSE = None  # queued to tell a socket's pump to close
_REFINE_MARGIN_SEC = 1.0
_PAUSED_WAKE_SEC = 3600.0
_LISTENER_GRACE_SEC = 30.0
"""A socket that left this recently before the end still counts as listening to the end."""


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
    following: Callable[[Frame], None] | None = None
    """For a session run by another worker: what hands this socket the frames shared on Redis."""


@dataclass
class Channel:
    session_id: int
    user_id: int
    started_at: float  # unix seconds
    schedule: ModulationSchedule
    lookahead_sec: float
    paused_sec: float = 0.0
    """Time spent in earlier pauses: the schedule's clock started this much later."""
    paused_at: float | None = None
    """While paused, when the pause began (unix seconds); the clock stands still."""
    clock: Callable[[], float] = time.time
    stream_id: str = field(default_factory=lambda: secrets.token_hex(8))
    seq: int = 0
    ended: bool = False
    announced: int = 0  # steps [0, announced) have had their `step` frame
    log: list[Frame] = field(default_factory=list)
    subscribers: set[asyncio.Queue[Frame | None]] = field(default_factory=set)
    listener_seen_at: float | None = None
    """When a socket last listened (unix seconds); a brief reconnect at the end still counts."""
    end_reason: EndReason | None = None
    listened_to_the_end: bool = False
    on_end: Callable[["Channel"], None] | None = None
    on_frame: Callable[["Channel", Frame], None] | None = None
    """Told of every frame after it is logged (several workers: the owner shares it on Redis)."""
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _timer: asyncio.Task[None] | None = None

    # --- time -------------------------------------------------------------------------------

    def elapsed_sec(self) -> float:
        """The session's clock: listened time, standing still while paused."""
        now = self.paused_at if self.paused_at is not None else self.clock()
        return now - self.started_at - self.paused_sec

    def _due_at(self, step: ModulationStep) -> float:
        return self.started_at + self.paused_sec + step.timestamp_sec - self.lookahead_sec

    # --- frames -----------------------------------------------------------------------------

    def _frame(self, kind: FrameType, seq: int, **fields: object) -> ModulationUpdate:
        now = self.clock()
        return ModulationUpdate(
            seq=seq,
            stream_id=self.stream_id,
            session_id=self.session_id,
            type=kind,
            server_time=now,
            elapsed_sec=round(self.elapsed_sec(), 3),
            paused=self.paused_at is not None,
            lookahead_sec=self.lookahead_sec,
            total_duration_sec=self.schedule.total_duration_sec,
            **fields,
        )

    def _publish(self, kind: FrameType, **fields: object) -> None:
        self.seq += 1
        frame = Frame(self.seq, self._frame(kind, self.seq, **fields).model_dump_json(), kind == "end")
        self.log.append(frame)
        del self.log[:-_LOG_LIMIT]
        if self.on_frame is not None:
            self.on_frame(self, frame)
        for queue in list(self.subscribers):
            if queue.qsize() >= _QUEUE_LIMIT:
                # Fell behind: drop it rather than buffer without bound; it can reconnect and resume.
                logger.warning("session %s: dropping a subscriber that fell behind", self.session_id)
                self.subscribers.discard(queue)
                _replace_contents(queue, CLOSE)
            else:
                queue.put_nowait(frame)
        if frame.is_end:
            for queue in self.subscribers:
                queue.put_nowait(CLOSE)
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
        if self.paused_at is not None:
            return  # nothing comes due while the clock stands still
        now = self.clock()
        steps = self.schedule.steps
        while self.announced < len(steps) and self._due_at(steps[self.announced]) <= now:
            index, step = self.announced, steps[self.announced]
            self.announced += 1  # before publishing: whoever mirrors the frame sees it counted
            self._publish("step", steps=[step], step_index=index, starts_at_sec=step.timestamp_sec)
        if self.elapsed_sec() >= self.schedule.total_duration_sec:
            self.end("duration_over")

    def _next_wake_at(self) -> float:
        if self.paused_at is not None:
            return self.clock() + _PAUSED_WAKE_SEC  # resume() wakes the timer at once
        steps = self.schedule.steps
        if self.announced < len(steps):
            return self._due_at(steps[self.announced])
        return self.started_at + self.paused_sec + self.schedule.total_duration_sec

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

    def pause(self, at: float) -> None:
        """Stop the clock at `at`; sockets get a `paused` frame."""
        if self.ended or self.paused_at is not None:
            return
        self.paused_at = at
        self._publish("paused")
        self._wake.set()

    def resume(self, at: float) -> None:
        """Start the clock again where it stopped; every later step is due that much later."""
        if self.ended or self.paused_at is None:
            return
        self.paused_sec += max(0.0, at - self.paused_at)
        self.paused_at = None
        self._publish("resumed")
        self._wake.set()

    def joined(self) -> None:
        self.listener_seen_at = self.clock()

    def left(self) -> None:
        self.listener_seen_at = self.clock()

    def end(self, reason: EndReason) -> None:
        """Publish `end`, close the sockets after it, stop the timer."""
        if self.ended:
            return
        self.ended = True
        self.end_reason = reason
        seen = self.listener_seen_at
        self.listened_to_the_end = bool(self.subscribers) or (
            seen is not None and self.clock() - seen <= _LISTENER_GRACE_SEC
        )
        self._publish("end", reason=reason)
        self._wake.set()
        if self.on_end is not None:
            self.on_end(self)

    def stop(self) -> None:
        if self._timer is not None and self._timer is not asyncio.current_task():
            self._timer.cancel()


def _replace_contents(queue: asyncio.Queue[Frame | None], item: Frame | None) -> None:
    while not queue.empty():
        queue.get_nowait()
    queue.put_nowait(item)
