"""`neurotune model-worker`: one model for every web worker of a host (or a cluster), over Redis.

The worker loads the model in its own process (client.ModelClient, as a single app would), says
how it is in a heartbeat every second, and takes jobs from Redis as they come: each is accepted at
once and waits in the worker's `ModelQueue`, so callers go before background refinements and
users take turns across every web worker. Replies stream back per job (model_jobs.py). A job's
asker may cancel it while it waits or writes; a job that fails tells its asker why.
"""

import asyncio
import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Awaitable
from typing import cast

from pydantic import ValidationError
from redis import Redis

from backend.config import Settings
from backend.db.redis_state import RedisState, connect_redis
from backend.llm_engine.client import ModelClient
from backend.llm_engine.decoder import DecodeCancelled, DecodeResult
from backend.llm_engine.model_jobs import (
    HEARTBEAT_EVERY_SEC,
    HEARTBEAT_TTL_SEC,
    REPLY_TTL_SEC,
    ModelJob,
    ModelReply,
    WorkerHeartbeat,
    cancel_key,
    jobs_key,
    reply_key,
    worker_key,
)
from backend.llm_engine.model_queue import ModelBusy, ModelQueue, model_queue

logger = logging.getLogger(__name__)

_CANCEL_POLL_SEC = 0.1
_INTAKE_WAIT_SEC = 1


class ModelWorker:
    def __init__(self, settings: Settings, worker_id: str | None = None) -> None:
        if settings.redis_url is None:
            raise ValueError("the model worker needs NEUROTUNE_REDIS_URL")
        if settings.llm_model == "none":
            raise ValueError("NEUROTUNE_LLM_MODEL=none: the model worker would have no model to serve")
        self.worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._redis: RedisState = connect_redis(settings.redis_url, settings.redis_prefix)
        # The decode thread streams text with blocking calls of its own.
        self._replies = Redis.from_url(settings.redis_url, decode_responses=True)
        self._client = ModelClient(settings)
        self._queue: ModelQueue = model_queue(settings)
        self._jobs: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until `stop` is set: load the model, beat, take jobs."""
        self._client.start_loading()
        logger.info("model worker %s: loading %s", self.worker_id, self._client.source)
        beating = asyncio.create_task(self._beat(), name="model-worker-heartbeat")
        try:
            while not stop.is_set():
                await self._take_one(stop)
        finally:
            beating.cancel()
            for task in list(self._jobs):
                task.cancel()
            await asyncio.gather(beating, *self._jobs, return_exceptions=True)
            with contextlib.suppress(Exception):
                await self._redis.client.delete(worker_key(self._redis, self.worker_id))
            self._queue.close()
            await asyncio.to_thread(self._client.close)
            await self._redis.close()
            self._replies.close()

    async def _take_one(self, stop: asyncio.Event) -> None:
        if self._client.status == "loading":  # nothing can be served yet; leave jobs to others
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), _CANCEL_POLL_SEC)
            return
        item = await cast(
            "Awaitable[tuple[str, str] | None]",
            self._redis.client.blpop([jobs_key(self._redis)], timeout=_INTAKE_WAIT_SEC),
        )
        if item is None:
            return
        try:
            job = ModelJob.model_validate_json(item[1])
        except ValidationError as error:
            logger.warning("dropped a model job that is not one: %s", error.errors()[0]["msg"])
            return
        task = asyncio.create_task(self._serve(job), name=f"model-job-{job.job_id}")
        self._jobs.add(task)
        task.add_done_callback(self._jobs.discard)

    async def _beat(self) -> None:
        while True:
            status = self._client.status
            beat = WorkerHeartbeat(
                worker=self.worker_id,
                status="error" if status == "disabled" else status,
                error=self._client.error,
                source=self._client.source,
                load_sec=self._client.load_sec,
                waiting=self._queue.waiting(),
            )
            with contextlib.suppress(Exception):  # Redis away: beat again when it is back
                await self._redis.client.set(
                    worker_key(self._redis, self.worker_id),
                    beat.model_dump_json(),
                    px=round(HEARTBEAT_TTL_SEC * 1000),
                )
            await asyncio.sleep(HEARTBEAT_EVERY_SEC)

    async def _reply(self, job: ModelJob, reply: ModelReply) -> None:
        key = reply_key(self._redis, job.job_id)
        await cast("Awaitable[int]", self._redis.client.rpush(key, reply.model_dump_json(exclude_none=True)))
        await self._redis.client.expire(key, REPLY_TTL_SEC)

    async def _serve(self, job: ModelJob) -> None:
        await self._reply(job, ModelReply(kind="accepted", worker=self.worker_id))
        model = self._client.model
        if model is None:
            reason = f"the model is not ready ({self._client.status}: {self._client.error})"
            await self._reply(job, ModelReply(kind="error", reason=reason))
            return
        try:
            turn = self._queue.reserve(user_id=job.user_id, lane=job.lane)
        except ModelBusy as busy:
            await self._reply(job, ModelReply(kind="busy", reason=str(busy)))
            return
        cancelled = threading.Event()
        started = threading.Event()
        key = reply_key(self._redis, job.job_id)

        def send(reply: ModelReply) -> None:  # from the decode thread
            self._replies.rpush(key, reply.model_dump_json(exclude_none=True))

        def write() -> DecodeResult:
            started.set()
            send(ModelReply(kind="started"))
            return model.write(
                job.system,
                job.user,
                job.lark,
                max_new_tokens=job.max_new_tokens,
                fill=job.fill,
                on_text=lambda text: send(ModelReply(kind="text", text=text)),
                should_stop=cancelled.is_set,
            )

        writing = asyncio.ensure_future(turn.run(write))
        watching = asyncio.create_task(self._watch_cancel(job, cancelled, started, writing))
        began = time.monotonic()
        try:
            result = await writing
        except (DecodeCancelled, asyncio.CancelledError):
            await self._reply(job, ModelReply(kind="cancelled"))
        except Exception as error:
            logger.warning("model job failed: %s: %s", type(error).__name__, error)
            await self._reply(job, ModelReply(kind="error", reason=f"{type(error).__name__}: {error}"))
        else:
            await self._reply(job, ModelReply(kind="done", text=result.text, timing=result.timing))
            logger.info(
                "model job done in %.1f s (user %s, %s)", time.monotonic() - began, job.user_id, job.lane
            )
        finally:
            watching.cancel()
            turn.cancel()

    async def _watch_cancel(
        self,
        job: ModelJob,
        cancelled: threading.Event,
        started: threading.Event,
        writing: asyncio.Future[DecodeResult],
    ) -> None:
        """Until the job ends: its asker's cancel stops the writing, or takes it out of the queue."""
        key = cancel_key(self._redis, job.job_id)
        while not await self._redis.client.exists(key):  # noqa: ASYNC110 - the flag lives in Redis
            await asyncio.sleep(_CANCEL_POLL_SEC)
        cancelled.set()
        if not started.is_set():
            writing.cancel()  # still waiting for its turn: give the place back


async def serve_model_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """The `neurotune model-worker` command: run until SIGINT/SIGTERM (or `stop`)."""
    import signal

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    worker = ModelWorker(settings)
    await worker.run(stop)
