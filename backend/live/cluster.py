"""Live sessions across workers, on Redis: who owns a session's timer, its frames, and its commands.

Only used when NEUROTUNE_REDIS_URL is set; one process alone keeps all of this in memory.

- **Ownership.** Exactly one worker owns a session's channel (its timer and frame numbering) under
  a lease (`SET NX PX`), renewed every second; if the owner dies the lease runs out within
  `lease_sec` and a worker with listeners for the session takes it over.
- **Frames.** The owner writes every frame to the session's Redis Stream (the log every worker
  resumes from) and publishes it on the session's channel; every worker with sockets for the
  session subscribes (one pub/sub connection per worker) and hands the frames to its sockets.
  Writes go through one queue per process, so frames reach Redis in the order they were made.
- **Commands.** A worker that is asked to change a session it does not own (a refinement, a
  re-plan, a pause, an end) sends the command to the owner and waits for the answer; no answer in
  time means no owner, and the asking worker takes the session over.
"""

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

from redis.asyncio.client import PubSub

from backend.db.redis_state import RedisState
from backend.live.channel import Frame

logger = logging.getLogger(__name__)

LOG_KEPT = 600
"""Frames kept per session's stream (a schedule makes ~70; past this a resume gets a snapshot)."""

# Only the lease's holder may extend or drop it.
_RENEW_LUA = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0"  # noqa: E501
_RELEASE_LUA = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"

Handler = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Position:
    """Where a session's stream stands in Redis (all None before its first frame)."""

    stream_id: str | None
    last_seq: int | None
    announced: int


class ClusterLink:
    def __init__(self, redis: RedisState, *, lease_sec: float = 3.0) -> None:
        self.redis = redis
        self.worker_id = uuid.uuid4().hex
        self.lease_sec = lease_sec
        self._renew = redis.client.register_script(_RENEW_LUA)
        self._release = redis.client.register_script(_RELEASE_LUA)
        self._pubsub: PubSub = redis.client.pubsub(ignore_subscribe_messages=True)
        self._followers: dict[int, set[Callable[[Frame], None]]] = {}
        self._handlers: dict[int, Handler] = {}
        self._writes: asyncio.Queue[tuple[int, Frame, dict[str, str]]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._answering: set[asyncio.Task[None]] = set()

    def _key(self, session_id: int, part: str) -> str:
        return self.redis.key("session", session_id, part)

    async def start(self) -> None:
        # A pub/sub connection must subscribe to something before it can be listened to.
        await self._pubsub.subscribe(self.redis.key("workers", self.worker_id))
        self._tasks = [
            asyncio.create_task(self._listen(), name="cluster-listen"),
            asyncio.create_task(self._write_frames(), name="cluster-write"),
        ]

    async def close(self) -> None:
        await self._drain_writes()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]

    # --- ownership -----------------------------------------------------------------------------

    async def claim(self, session_id: int) -> bool:
        """Become the session's owner if nobody is; True if this worker owns it now."""
        key = self._key(session_id, "owner")
        if await self.redis.client.set(key, self.worker_id, nx=True, px=round(self.lease_sec * 1000)):
            return True
        holder: str | None = await self.redis.client.get(key)
        return holder == self.worker_id

    async def renew(self, session_id: int) -> bool:
        """Keep the lease; False if it was lost (another worker took the session over)."""
        renewed = await self._renew(
            keys=[self._key(session_id, "owner")], args=[self.worker_id, round(self.lease_sec * 1000)]
        )
        return bool(renewed)

    async def release(self, session_id: int) -> None:
        await self._release(keys=[self._key(session_id, "owner")], args=[self.worker_id])

    async def owner(self, session_id: int) -> str | None:
        owner: str | None = await self.redis.client.get(self._key(session_id, "owner"))
        return owner

    # --- frames --------------------------------------------------------------------------------

    def mirror(self, session_id: int, frame: Frame, meta: dict[str, str]) -> None:
        """Log and publish a frame the owner made (in order, without waiting for Redis)."""
        self._writes.put_nowait((session_id, frame, meta))

    async def _write_frames(self) -> None:
        while True:
            session_id, frame, meta = await self._writes.get()
            try:
                async with self.redis.client.pipeline(transaction=True) as pipe:
                    pipe.xadd(
                        self._key(session_id, "frames"),
                        {"seq": frame.seq, "text": frame.text, "end": int(frame.is_end)},
                        maxlen=LOG_KEPT,
                        approximate=True,
                    )
                    pipe.hset(self._key(session_id, "meta"), mapping=meta)
                    live = json.dumps([frame.seq, frame.text, frame.is_end])
                    pipe.publish(self._key(session_id, "live"), live)
                    await pipe.execute()
            except Exception as error:  # Redis away: sockets elsewhere miss this frame, then resume
                logger.warning("session %s: frame %s not shared: %s", session_id, frame.seq, error)
            finally:
                self._writes.task_done()

    async def _drain_writes(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._writes.join(), 2.0)

    async def position(self, session_id: int) -> Position:
        meta = await cast(Awaitable[dict[str, str]], self.redis.client.hgetall(self._key(session_id, "meta")))
        last = await self.redis.client.xrevrange(self._key(session_id, "frames"), count=1)
        return Position(
            stream_id=meta.get("stream_id"),
            last_seq=int(last[0][1]["seq"]) if last else None,
            announced=int(meta.get("announced", 0)),
        )

    async def frames_after(self, session_id: int, seq: int) -> list[Frame] | None:
        """The logged frames after `seq`, or None if the log no longer reaches back that far."""
        entries = await self.redis.client.xrange(self._key(session_id, "frames"))
        frames = [Frame(int(fields["seq"]), fields["text"], fields["end"] == "1") for _, fields in entries]
        if not frames or frames[0].seq > seq + 1:
            return None if frames or seq > 0 else []
        return [frame for frame in frames if frame.seq > seq]

    # --- following a session's live frames ------------------------------------------------------

    async def follow(self, session_id: int, deliver: Callable[[Frame], None]) -> None:
        followers = self._followers.setdefault(session_id, set())
        if not followers:
            await self._pubsub.subscribe(self._key(session_id, "live"))
        followers.add(deliver)

    async def unfollow(self, session_id: int, deliver: Callable[[Frame], None]) -> None:
        followers = self._followers.get(session_id)
        if followers is None:
            return
        followers.discard(deliver)
        if not followers:
            del self._followers[session_id]
            with contextlib.suppress(Exception):
                await self._pubsub.unsubscribe(self._key(session_id, "live"))

    async def mark_followed(self, session_id: int, for_sec: float) -> None:
        """Note that a socket follows the session (its owner counts it as listened to)."""
        await self.redis.client.set(
            self._key(session_id, "followed"), self.worker_id, px=round(for_sec * 1000)
        )

    async def recently_followed(self, session_id: int) -> bool:
        return bool(await self.redis.client.exists(self._key(session_id, "followed")))

    # --- commands to the owner -----------------------------------------------------------------

    async def serve(self, session_id: int, handler: Handler) -> None:
        """Answer the commands other workers send about a session this worker owns."""
        if session_id not in self._handlers:
            await self._pubsub.subscribe(self._key(session_id, "commands"))
        self._handlers[session_id] = handler

    async def unserve(self, session_id: int) -> None:
        if self._handlers.pop(session_id, None) is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.unsubscribe(self._key(session_id, "commands"))

    async def ask(
        self, session_id: int, op: str, payload: dict[str, Any], timeout_sec: float
    ) -> dict[str, Any] | None:
        """Send a command to the session's owner; its answer, or None if no owner answered."""
        reply_key = self.redis.key("replies", uuid.uuid4().hex)
        message = json.dumps({"op": op, "payload": payload, "reply": reply_key})
        listeners = await self.redis.client.publish(self._key(session_id, "commands"), message)
        if not listeners:
            return None
        answer = await cast(
            Awaitable[list[str] | None], self.redis.client.blpop([reply_key], timeout=timeout_sec)
        )
        if answer is None:
            return None
        reply: dict[str, Any] = json.loads(answer[1])
        return reply

    async def _answer(self, session_id: int, data: str) -> None:
        message = json.loads(data)
        handler = self._handlers.get(session_id)
        if handler is None:
            return
        try:
            reply = await handler(message["op"], message["payload"])
        except Exception as error:
            logger.warning("session %s: command %s failed: %s", session_id, message.get("op"), error)
            reply = {"error": "failed", "detail": str(error)[:300]}
        async with self.redis.client.pipeline(transaction=True) as pipe:
            pipe.rpush(message["reply"], json.dumps(reply))
            pipe.expire(message["reply"], 30)
            await pipe.execute()

    async def _listen(self) -> None:
        live_suffix, command_suffix = ":live", ":commands"
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except Exception as error:
                logger.warning("cluster: pub/sub connection failed (%s); reconnecting", error)
                await asyncio.sleep(1.0)
                continue
            if message is None or message.get("type") != "message":
                continue
            channel: str = message["channel"]
            session_id = int(channel.split(":")[-2])
            if channel.endswith(live_suffix):
                seq, text, is_end = json.loads(message["data"])
                frame = Frame(int(seq), text, bool(is_end))
                for deliver in list(self._followers.get(session_id, ())):
                    deliver(frame)
            elif channel.endswith(command_suffix):
                answering = asyncio.create_task(self._answer(session_id, message["data"]))
                self._answering.add(answering)
                answering.add_done_callback(self._answering.discard)
