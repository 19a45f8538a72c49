"""The hub when several workers serve one installation (NEUROTUNE_REDIS_URL set).

A session's channel lives on the worker that owns it (`live.cluster`: a lease), which runs its
timer, numbers its frames and shares each one on Redis. A socket on any other worker follows the
session there: its backlog comes from the Redis log, its live frames from pub/sub. A change asked
of a worker that does not own the session (a refinement, a re-plan, a pause, an end) goes to the
owner as a command; if no owner answers, the asking worker takes the session over. Every second
each worker renews its leases and takes over the sessions its sockets follow whose owner has gone,
continuing the numbering from the log, so a client that resumes loses and repeats nothing.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.queries import SessionQueries
from backend.live.channel import CLOSE, Channel, Frame, ResumePoint, Subscription
from backend.live.cluster import ClusterLink, Position
from backend.live.hub import SessionHub
from backend.models.orm import ListeningSession
from backend.schedules.explain import ModelNote
from backend.schedules.schedule import ModulationSchedule
from backend.schedules.validator import ScheduleRejected

logger = logging.getLogger(__name__)

_ASK_SEC = 2.0
"""How long a worker waits for a session's owner to answer a command before taking it over."""
_KEEP_EVERY_SEC = 1.0
_LISTENED_SEC = 10.0
"""A session some worker's socket followed this recently counts as listened to."""


class ClusterHub(SessionHub):
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        lookahead_sec: float,
        link: ClusterLink,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(session_factory, lookahead_sec, clock)
        self.link = link
        self._followers: dict[int, list[Subscription]] = {}  # sockets here on sessions owned elsewhere
        self._keeper: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.link.start()
        self._keeper = asyncio.create_task(self._keep(), name="cluster-keeper")

    async def close(self) -> None:
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
        owned = list(self._channels)
        await super().close()
        for session_id in owned:  # the others need not wait for the leases to run out
            with contextlib.suppress(Exception):
                await self.link.release(session_id)
        await self.link.close()

    # --- owning a session ------------------------------------------------------------------------

    def _new_channel(self, session: ListeningSession) -> Channel:
        channel = super()._new_channel(session)
        channel.on_frame = self._share
        return channel

    def _share(self, channel: Channel, frame: Frame) -> None:
        self.link.mirror(
            channel.session_id, frame, {"stream_id": channel.stream_id, "announced": str(channel.announced)}
        )

    async def _own(self, session: ListeningSession, position: Position | None) -> Channel:
        """Run the session's channel here (this worker holds its lease), continuing the log's
        numbering when another worker ran it before."""
        channel = self._new_channel(session)
        if position is not None and position.stream_id is not None:
            channel.stream_id = position.stream_id
            channel.seq = position.last_seq or 0
            channel.announced = position.announced
        self._channels[session.id] = channel
        channel.start()
        await self.link.serve(session.id, lambda op, payload: self._command(session.id, op, payload))
        return channel

    async def _take_over(self, session_id: int) -> Channel | None:
        """Own a session nobody owns (its owner died, or none was ever asked); None if it ended,
        does not exist, or another worker was quicker (then ask that one)."""
        if session_id in self._channels:
            return self._channels[session_id]
        async with self._session_factory() as db:
            session = await db.get(ListeningSession, session_id)
        if session is None or session.ended_at is not None or not await self.link.claim(session_id):
            return None
        position = await self.link.position(session_id)
        logger.info(
            "session %s: taken over by worker %s at seq %s",
            session_id,
            self.link.worker_id[:8],
            position.last_seq,
        )
        return await self._own(session, position)

    async def open(self, session: ListeningSession) -> None:
        try:
            claimed = await self.link.claim(session.id)
        except RedisError as error:  # stored already: the first socket takes it over once Redis is back
            logger.warning(
                "session %s: not opened here, Redis unavailable (%s)", session.id, type(error).__name__
            )
            return
        if claimed:
            await self._own(session, None)

    # --- sockets ---------------------------------------------------------------------------------

    async def subscribe(self, session_id: int, user_id: int, resume: ResumePoint) -> Subscription | None:
        if session_id in self._channels or self._recently_ended(session_id) is not None:
            return await super().subscribe(session_id, user_id, resume)
        async with self._session_factory() as db:
            session = await SessionQueries(db).owned(session_id, user_id)
        if session is None:
            return None
        if session.ended_at is None and await self.link.owner(session_id) is None:
            channel = await self._take_over(session_id)
            if channel is not None:
                return await super().subscribe(session_id, user_id, resume)
        return await self._follow(session, resume)

    async def _follow(self, session: ListeningSession, resume: ResumePoint) -> Subscription:
        """A socket here on a session owned elsewhere: the backlog from the Redis log, then the
        frames the owner publishes (none twice: only frames after the backlog's last)."""
        queue: asyncio.Queue[Frame | None] = asyncio.Queue()
        sent = [0]

        def deliver(frame: Frame) -> None:
            if frame.seq > sent[0]:
                sent[0] = view.seq = frame.seq  # heartbeats repeat the latest seq
                queue.put_nowait(frame)
                if frame.is_end:
                    queue.put_nowait(CLOSE)

        view = super()._new_channel(session)  # for snapshots and heartbeats only: never started
        view.on_end = None
        await self.link.follow(session.id, deliver)  # first, so nothing falls between log and live
        position = await self.link.position(session.id)
        view.stream_id, view.seq = position.stream_id or view.stream_id, position.last_seq or 0
        missed = None
        if resume.stream_id == position.stream_id and resume.last_seq is not None:
            missed = await self.link.frames_after(session.id, resume.last_seq)
        backlog = missed if missed is not None else [view.snapshot()]
        if session.ended_at is not None and not any(frame.is_end for frame in backlog):
            view.end("ended")  # (publishes to nobody: not shared, no subscribers)
            backlog = [view.snapshot(), *view.log[-1:]]
        if backlog:
            sent[0] = max(sent[0], backlog[-1].seq)
        if any(frame.is_end for frame in backlog):
            queue.put_nowait(CLOSE)
        subscription = Subscription(backlog, queue, view, following=deliver)
        self._followers.setdefault(session.id, []).append(subscription)
        return subscription

    async def unsubscribe(self, subscription: Subscription) -> None:
        session_id = subscription.channel.session_id
        followers = self._followers.get(session_id, [])
        if any(follower is subscription for follower in followers):
            followers[:] = [follower for follower in followers if follower is not subscription]
            if not followers:
                del self._followers[session_id]
            if subscription.following is not None:
                await self.link.unfollow(session_id, subscription.following)
            return
        await super().unsubscribe(subscription)

    def has_listener(self, session_id: int) -> bool:
        return super().has_listener(session_id) or bool(self._followers.get(session_id))

    # --- changes: here if owned, else asked of the owner ------------------------------------------

    async def _elsewhere(
        self, session_id: int, op: str, payload: dict[str, Any], here: Callable[[], Awaitable[Any]]
    ) -> Any:
        """Run `here` if this worker owns the session; else ask the owner, and take the session
        over when no owner answers."""
        if session_id not in self._channels:
            reply = await self.link.ask(session_id, op, payload, _ASK_SEC)
            if reply is not None:
                return _raise_or_return(reply)
            await self._take_over(session_id)
        return await here()

    async def pause(self, session_id: int, at: datetime) -> None:
        here = super().pause
        await self._elsewhere(session_id, "pause", {"at": at.isoformat()}, lambda: here(session_id, at))

    async def resume(self, session_id: int, at: datetime) -> None:
        here = super().resume
        await self._elsewhere(session_id, "resume", {"at": at.isoformat()}, lambda: here(session_id, at))

    async def end(self, session_id: int) -> None:
        here = super().end
        await self._elsewhere(session_id, "end", {}, lambda: here(session_id))

    async def refine(
        self,
        session_id: int,
        user_id: int,
        refined: ModulationSchedule,
        prompt: tuple[int | None, int | None] = (None, None),
        note: ModelNote | None = None,
    ) -> ModulationSchedule:
        here = super().refine
        payload = {
            "user_id": user_id,
            "schedule": refined.model_dump(mode="json"),
            "prompt": list(prompt),
            "note": None if note is None else note.model_dump(mode="json"),
        }
        merged = await self._elsewhere(
            session_id, "refine", payload, lambda: here(session_id, user_id, refined, prompt, note)
        )
        return ModulationSchedule.model_validate(merged) if isinstance(merged, dict) else merged

    async def replan(
        self, session_id: int, user_id: int, replanned: ModulationSchedule, explanation: dict[str, Any]
    ) -> ModulationSchedule:
        here = super().replan
        payload = {
            "user_id": user_id,
            "schedule": replanned.model_dump(mode="json"),
            "explanation": explanation,
        }
        merged = await self._elsewhere(
            session_id, "replan", payload, lambda: here(session_id, user_id, replanned, explanation)
        )
        return ModulationSchedule.model_validate(merged) if isinstance(merged, dict) else merged

    async def _command(self, session_id: int, op: str, payload: dict[str, Any]) -> dict[str, Any]:
        """A command from another worker about a session owned here."""
        try:
            if op in ("pause", "resume"):
                verb = super().pause if op == "pause" else super().resume
                await verb(session_id, datetime.fromisoformat(payload["at"]))
                return {"ok": True}
            if op == "end":
                await super().end(session_id)
                return {"ok": True}
            schedule = ModulationSchedule.model_validate(payload["schedule"])
            if op == "refine":
                note = None if payload["note"] is None else ModelNote.model_validate(payload["note"])
                prompt_id, prompt_version = payload["prompt"]
                merged = await super().refine(
                    session_id, payload["user_id"], schedule, (prompt_id, prompt_version), note
                )
            else:
                merged = await super().replan(
                    session_id, payload["user_id"], schedule, payload["explanation"]
                )
            return {"ok": True, "result": merged.model_dump(mode="json")}
        except LookupError as missing:
            return {"error": "lookup", "detail": str(missing)}
        except ScheduleRejected as rejected:
            return {"error": "rejected", "reasons": rejected.reasons}

    # --- completion, leases and take-overs ---------------------------------------------------------

    def _forget(self, channel: Channel) -> None:
        owned = self._channels.get(channel.session_id) is channel
        super()._forget(channel)
        if owned and channel.ended:
            self._write(self._let_go(channel.session_id), f"let-go-{channel.session_id}")

    async def _let_go(self, session_id: int) -> None:
        await self.link.unserve(session_id)
        await self.link.release(session_id)

    async def _listened_to_the_end(self, channel: Channel) -> bool:
        """Listened here, or by a socket on another worker (each marks what it follows)."""
        return channel.listened_to_the_end or await self.link.recently_followed(channel.session_id)

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(_KEEP_EVERY_SEC)
            try:
                await self._keep_once()
            except Exception as error:  # Redis away for a moment: try again next second
                logger.warning("cluster: leases not kept this time: %s", error)

    async def _keep_once(self) -> None:
        for session_id, channel in list(self._channels.items()):
            if channel.ended:
                continue
            if not await self.link.renew(session_id):
                logger.warning("session %s: lease lost; another worker runs it now", session_id)
                self.evict(session_id)
                await self.link.unserve(session_id)
        for session_id in list(self._followers):
            await self.link.mark_followed(session_id, _LISTENED_SEC)
            if await self.link.owner(session_id) is None:
                await self._take_over(session_id)


def _raise_or_return(reply: dict[str, Any]) -> Any:
    error = reply.get("error")
    if error == "lookup":
        raise LookupError(reply.get("detail", "the session is not playing"))
    if error == "rejected":
        raise ScheduleRejected(list(reply.get("reasons", [])))
    if error is not None:
        raise RuntimeError(f"the session's owner could not do it: {reply.get('detail', error)}")
    return reply.get("result")
