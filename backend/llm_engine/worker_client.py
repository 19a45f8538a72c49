"""The model as a web worker sees it when `neurotune model-worker` serves it over Redis.

`ModelWorkerClient` watches the model workers' heartbeats (status for /health and the engine) and
hands out a `RedisModel` while one of them has its model ready. `RedisModel.write` queues the job
for whichever worker takes it first and relays its replies (model_jobs.py has the wire format).
Nothing here loads torch: a web worker configured so stays small.

A job nobody takes within NEUROTUNE_MODEL_WORKER_ACCEPT_SEC, or whose worker's heartbeat stops
while it waits or writes, raises `ModelWorkerGone`: the engine falls back to the planner and
records the reason.
"""

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import cast

from pydantic import ValidationError
from redis import Redis
from redis.exceptions import RedisError

from backend.config import Settings
from backend.llm_engine.decoder import DecodeCancelled, DecodeResult
from backend.llm_engine.model_host import ModelStatus
from backend.llm_engine.model_jobs import (
    HEARTBEAT_EVERY_SEC,
    REPLY_TTL_SEC,
    ModelJob,
    ModelReply,
    WorkerHeartbeat,
    cancel_key,
    jobs_key,
    reply_key,
    worker_key,
)
from backend.schedules.hold import HoldBounds

logger = logging.getLogger(__name__)

_POLL_SEC = 0.05
"""How often a waiting write checks `should_stop` and its worker."""
_CANCEL_GRACE_SEC = 5.0
"""How long a cancelled write waits for the worker to confirm before giving up on it."""

NO_WORKER = "no model worker answers: start `neurotune model-worker` with the same Redis URL and prefix"


class ModelWorkerGone(RuntimeError):
    """No model worker took the job in time, or the one that took it stopped answering."""


class ModelWorkerBusy(RuntimeError):
    """The model worker's queue had no room for the job."""


class RedisModel:
    """The model behind the model workers' queue. `write` blocks: call it from a thread."""

    def __init__(self, redis: Redis, prefix: str, *, accept_sec: float) -> None:
        self.name = "model worker"
        self._redis = redis
        self._prefix = prefix
        self.accept_sec = accept_sec

    def write(
        self,
        system: str,
        user: str,
        lark: str | None,
        *,
        max_new_tokens: int,
        fill: HoldBounds | None = None,
        on_start: Callable[[], None] | None = None,
        on_text: Callable[[str], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
        user_id: int | None = None,
        lane: str = "interactive",
    ) -> DecodeResult:
        """See `ModelWriter.write`."""
        job = ModelJob(
            job_id=uuid.uuid4().hex,
            user_id=user_id,
            lane="background" if lane == "background" else "interactive",
            system=system,
            user=user,
            lark=lark,
            max_new_tokens=max_new_tokens,
            fill=fill,
        )
        payload = job.model_dump_json()
        self._redis.rpush(jobs_key(self._prefix), payload)
        relay = _Relay(self, job.job_id, payload, on_start, on_text, should_stop)
        try:
            return relay.run()
        finally:
            relay.finish()

    def forget_prompt_cache(self) -> None:
        """Nothing to do: the model worker keeps its own."""


class _Relay:
    """One job's replies, from queued to its end."""

    def __init__(
        self,
        model: RedisModel,
        job_id: str,
        payload: str,
        on_start: Callable[[], None] | None,
        on_text: Callable[[str], None] | None,
        should_stop: Callable[[], bool] | None,
    ) -> None:
        self._accept_sec = model.accept_sec
        self._redis = model._redis
        self._prefix = model._prefix
        self._job_id = job_id
        self._payload = payload
        self._on_start = on_start
        self._on_text = on_text
        self._should_stop = should_stop
        self._sent_at = time.monotonic()
        self._worker: str | None = None
        self._worker_seen_at = self._sent_at
        self._cancelled_at: float | None = None
        self._ended = False

    def run(self) -> DecodeResult:
        reply = reply_key(self._prefix, self._job_id)
        while True:
            item = cast("tuple[str, str] | None", self._redis.blpop([reply], timeout=_POLL_SEC))
            if item is None:
                self._check()
                continue
            message = ModelReply.model_validate_json(item[1])
            if message.kind == "accepted":
                self._worker = message.worker
            elif message.kind == "started":
                if self._on_start is not None:
                    self._on_start()
            elif message.kind == "text":
                if self._on_text is not None and message.text is not None:
                    self._on_text(message.text)
                self._check()
            else:
                self._ended = True
                return _ending(message)

    def _check(self) -> None:
        """Cancel if asked; give up on a worker that never took the job or stopped answering."""
        now = time.monotonic()
        if self._cancelled_at is None and self._should_stop is not None and self._should_stop():
            self._cancelled_at = now
            self._redis.set(cancel_key(self._prefix, self._job_id), "1", ex=REPLY_TTL_SEC)
            if self._withdrawn():
                raise DecodeCancelled
        if self._cancelled_at is not None and now - self._cancelled_at > _CANCEL_GRACE_SEC:
            raise DecodeCancelled  # the worker never confirmed; it will find the cancel key
        if self._worker is None:
            if now - self._sent_at > self._accept_sec and self._withdrawn():
                raise ModelWorkerGone(f"no model worker took the request within {self._accept_sec:g} s")
            if now - self._sent_at > 2 * self._accept_sec:
                raise ModelWorkerGone("the model worker that took the request did not say so")
        elif now - self._worker_seen_at >= HEARTBEAT_EVERY_SEC:
            if not self._redis.exists(worker_key(self._prefix, self._worker)):
                raise ModelWorkerGone(f"the model worker {self._worker} stopped answering")
            self._worker_seen_at = now

    def _withdrawn(self) -> bool:
        """Take the job back out of the queue; False if a worker has it already."""
        return bool(self._redis.lrem(jobs_key(self._prefix), 1, self._payload))

    def finish(self) -> None:
        """A job left early (an error here, a worker gone) is cancelled for whoever has it."""
        with contextlib.suppress(RedisError):
            if not self._ended:
                self._redis.set(cancel_key(self._prefix, self._job_id), "1", ex=REPLY_TTL_SEC)
                self._withdrawn()
            self._redis.delete(reply_key(self._prefix, self._job_id))


def _ending(message: ModelReply) -> DecodeResult:
    if message.kind == "done" and message.text is not None and message.timing is not None:
        return DecodeResult(message.text, message.timing)
    if message.kind == "cancelled":
        raise DecodeCancelled
    if message.kind == "busy":
        raise ModelWorkerBusy(message.reason or "the model worker is busy")
    raise RuntimeError(f"the model failed: {message.reason or message.kind}")


def _heartbeat(raw: str) -> WorkerHeartbeat | None:
    try:
        return WorkerHeartbeat.model_validate_json(raw)
    except ValidationError:
        logger.warning("ignoring a model worker heartbeat that is not one: %.80r", raw)
        return None


class ModelWorkerClient:
    """The model workers' state, as their heartbeats tell it, and the model while one is ready."""

    def __init__(self, settings: Settings) -> None:
        if settings.redis_url is None:
            raise ValueError("a model worker needs NEUROTUNE_REDIS_URL")
        self._redis: Redis = Redis.from_url(settings.redis_url, decode_responses=True)
        self._prefix = settings.redis_prefix
        self._writer = RedisModel(self._redis, self._prefix, accept_sec=settings.model_worker_accept_sec)
        self.status: ModelStatus = "loading"
        self.error: str | None = None
        self.load_sec: float | None = None
        self._source = "a model worker"
        self._looked = threading.Event()
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def model(self) -> RedisModel | None:
        return self._writer if self.status == "ok" else None

    @property
    def source(self) -> str:
        return self._source

    def start_loading(self) -> None:
        """Start watching the workers' heartbeats (nothing is loaded here)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="model-worker-watch", daemon=True)
            self._thread.start()

    def wait_loaded(self, timeout_sec: float | None = None) -> ModelStatus:
        """The status once a worker is ready, or after `timeout_sec` (None: after the first look)."""
        if timeout_sec is None:
            self._looked.wait()
            return self.status
        deadline = time.monotonic() + timeout_sec
        while self.status != "ok" and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.status

    def close(self) -> None:
        self._closing.set()
        if self._thread is not None:
            self._thread.join(5)
        self._redis.close()

    def _watch(self) -> None:
        while not self._closing.is_set():
            try:
                self._look()
            except RedisError as error:
                self._report("error", f"Redis is unreachable ({type(error).__name__}); the planner answers")
            self._looked.set()
            self._closing.wait(HEARTBEAT_EVERY_SEC)

    def _look(self) -> None:
        keys = list(self._redis.scan_iter(match=worker_key(self._prefix, "*"), count=100))
        raws = cast("list[str | None]", self._redis.mget(keys)) if keys else []
        beats = [beat for raw in raws if raw and (beat := _heartbeat(raw)) is not None]
        for status in ("ok", "loading", "error"):
            found = [beat for beat in beats if beat.status == status]
            if found:
                best = min(found, key=lambda beat: beat.waiting)
                self._source, self.load_sec = best.source, best.load_sec
                self._report(best.status, best.error)
                return
        self._report("error", NO_WORKER)

    def _report(self, status: ModelStatus, error: str | None) -> None:
        if (status, error) != (self.status, self.error):
            log = logger.info if status == "ok" else logger.warning
            log("model worker: %s%s", status, f" ({error})" if error else "")
        self.status, self.error = status, error
