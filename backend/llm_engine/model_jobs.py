"""The model worker's wire format on Redis: jobs in, replies out, heartbeats, cancellations.

Keys (under NEUROTUNE_REDIS_PREFIX):

  model:jobs              list   web workers RPUSH a `ModelJob`; model workers BLPOP
  model:reply:<job_id>    list   the worker RPUSHes `ModelReply` messages; the asker BLPOPs them
  model:cancel:<job_id>   string set by the asker to stop the job (waiting or writing)
  model:worker:<id>       string a worker's `WorkerHeartbeat`, expiring unless renewed

A reply stream is `accepted` (at once, naming the worker), `started` (its turn came), any number
of `text`, then exactly one of `done`, `cancelled`, `busy` or `error`. Everything is JSON checked
by these models on both sides, never pickled: Redis is shared infrastructure.
"""

from typing import Literal

from pydantic import BaseModel, Field

from backend.db.redis_state import RedisState
from backend.models.schemas import GenerationTiming
from backend.schedules.hold import HoldBounds

HEARTBEAT_EVERY_SEC = 1.0
HEARTBEAT_TTL_SEC = 3.0
"""A worker silent this long is taken for dead: its jobs fall back to the planner."""
REPLY_TTL_SEC = 120
"""Replies nobody reads (the asker went away) expire."""


class ModelJob(BaseModel):
    job_id: str = Field(min_length=1, max_length=64)
    user_id: int | None
    lane: Literal["interactive", "background"]
    system: str
    user: str
    lark: str | None
    max_new_tokens: int = Field(ge=0, le=4096)
    fill: HoldBounds | None


class ModelReply(BaseModel):
    kind: Literal["accepted", "started", "text", "done", "cancelled", "busy", "error"]
    worker: str | None = None
    """accepted: which worker took the job (its heartbeat is watched while the job lasts)."""
    text: str | None = None
    """text: the whole answer so far; done: the answer."""
    timing: GenerationTiming | None = None
    reason: str | None = None
    """busy, error: why."""


class WorkerHeartbeat(BaseModel):
    worker: str
    status: Literal["loading", "ok", "error"]
    error: str | None = None
    source: str
    load_sec: float | None = None
    waiting: int = 0
    """Jobs waiting for their turn on this worker."""


def jobs_key(redis: RedisState | str) -> str:
    return _key(redis, "model", "jobs")


def reply_key(redis: RedisState | str, job_id: str) -> str:
    return _key(redis, "model", "reply", job_id)


def cancel_key(redis: RedisState | str, job_id: str) -> str:
    return _key(redis, "model", "cancel", job_id)


def worker_key(redis: RedisState | str, worker: str) -> str:
    return _key(redis, "model", "worker", worker)


def _key(redis: RedisState | str, *parts: str) -> str:
    prefix = redis.prefix if isinstance(redis, RedisState) else redis
    return ":".join([prefix, *parts])
