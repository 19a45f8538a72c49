"""Library scans as background jobs: one at a time, progress readable while they run (several
workers on Redis: one at a time across all of them, progress readable from any; ClusterScanJobs).

Scans run one after another (later ones wait as "queued"): two scans of overlapping folders would
otherwise race on the same rows, and each already uses every core. Asking again for a folder
whose scan is queued or running joins that job instead of starting another. The registry keeps
the jobs in progress and the last `keep_finished` finished ones.
"""

import asyncio
import contextlib
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.audio_processor.scanner import ScanIndex, ScanOptions, ScanProgress, eta_sec, scan_directory
from backend.config import Settings
from backend.db.redis_state import RedisState
from backend.library.catalog import LibraryIndex
from backend.library.roots import LibraryDirectory, LibraryRoots
from backend.models.orm import utcnow
from backend.models.schemas import ScanJob

logger = logging.getLogger(__name__)

JobStatus = Literal["queued", "running", "done", "failed"]
MAX_ACTIVE_JOBS = 100


class TooManyScans(Exception):
    """So many scans are queued that another would only wait behind them."""


@dataclass
class _Job:
    job_id: str
    directory: LibraryDirectory
    progress: ScanProgress = field(default_factory=ScanProgress)
    status: JobStatus = "queued"
    started_at: datetime | None = None
    finished_at: datetime | None = None
    started_monotonic: float | None = None
    elapsed_sec: float = 0.0
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    task: "asyncio.Task[None] | None" = None

    @property
    def active(self) -> bool:
        return self.status in ("queued", "running")


def _describe(job: _Job) -> ScanJob:
    """What a job has done so far, as the API shows it."""
    progress = job.progress
    elapsed = job.elapsed_sec
    if job.status == "running" and job.started_monotonic is not None:
        elapsed = time.monotonic() - job.started_monotonic
    return ScanJob(
        **progress.model_dump(),
        job_id=job.job_id,
        status=job.status,
        directory=job.directory.relative,
        eta_sec=eta_sec(progress) if job.status == "running" else None,
        started_at=job.started_at,
        finished_at=job.finished_at,
        elapsed_sec=round(elapsed, 3),
    )


class ScanJobs:
    """The scan jobs of one running app."""

    def __init__(
        self, *, roots: LibraryRoots, index: ScanIndex, options: ScanOptions, keep_finished: int = 20
    ) -> None:
        self._roots = roots
        self._index = index
        self._options = options
        self._keep_finished = keep_finished
        self._jobs: OrderedDict[str, _Job] = OrderedDict()
        self._one_at_a_time = asyncio.Lock()

    async def start(self, directory: LibraryDirectory) -> str:
        """Queue a scan of `directory` (or join the one queued or running); returns its job id.

        Raises TooManyScans when MAX_ACTIVE_JOBS are already waiting or running."""
        active = [job for job in self._jobs.values() if job.active]
        for job in active:
            if job.directory.path == directory.path:
                return job.job_id
        if len(active) >= MAX_ACTIVE_JOBS:
            raise TooManyScans(f"{len(active)} scans are already queued or running; try again later.")
        return self._begin(_Job(job_id=uuid.uuid4().hex, directory=directory))

    def _begin(self, job: _Job) -> str:
        self._jobs[job.job_id] = job
        job.task = asyncio.create_task(self._run(job), name=f"library-scan-{job.job_id}")
        self._forget_old()
        return job.job_id

    async def _run(self, job: _Job) -> None:
        async with self._one_at_a_time:
            job.status = "running"
            job.started_at = utcnow()
            job.started_monotonic = time.monotonic()
            try:
                await scan_directory(
                    job.directory.path,
                    root=job.directory.root,
                    roots=self._roots.real,
                    index=self._index,
                    options=self._options,
                    progress=job.progress,
                )
                job.status = "done"
            except asyncio.CancelledError:
                job.status = "failed"
                job.progress.note_error(job.directory.relative, "scan cancelled (server shutting down)")
                raise
            except Exception as error:  # the job reports it; the server goes on
                logger.exception("library scan of %s failed", job.directory.path)
                job.status = "failed"
                job.progress.note_error(job.directory.relative, f"scan failed: {error}")
            finally:
                job.progress.current_file = None
                job.finished_at = utcnow()
                job.elapsed_sec = time.monotonic() - job.started_monotonic
                job.finished.set()

    def _forget_old(self) -> None:
        finished = [job_id for job_id, job in self._jobs.items() if not job.active]
        for job_id in finished[: max(0, len(finished) - self._keep_finished)]:
            del self._jobs[job_id]

    async def snapshot(self, job_id: str) -> ScanJob | None:
        return self._snapshot(job_id)

    def _snapshot(self, job_id: str) -> ScanJob | None:
        job = self._jobs.get(job_id)
        return None if job is None else _describe(job)

    async def wait(self, job_id: str, timeout_sec: float) -> ScanJob | None:
        """The job's snapshot once it has finished, or after `timeout_sec`, whichever is first."""
        job = self._jobs.get(job_id)
        if job is None:
            return None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(job.finished.wait(), timeout_sec)
        return self._snapshot(job_id)

    async def updates(self, job_id: str, interval_sec: float = 0.5) -> AsyncIterator[ScanJob]:
        """Snapshots whenever something changed, polled every `interval_sec`, ending with the last."""
        last: ScanJob | None = None
        while (snapshot := await self.wait(job_id, interval_sec if last else 0.0)) is not None:
            if last is None or snapshot.model_dump(exclude={"elapsed_sec", "eta_sec"}) != last.model_dump(
                exclude={"elapsed_sec", "eta_sec"}
            ):
                yield snapshot
                last = snapshot
            if snapshot.status in ("done", "failed"):
                return

    async def close(self) -> None:
        """Cancel the scans in progress (their worker processes are killed) and wait for them."""
        tasks = [job.task for job in self._jobs.values() if job.task is not None and not job.task.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class ScanRunning(Exception):
    """Another scan runs somewhere in the cluster (one at a time across every worker)."""

    def __init__(self, running: ScanJob | None) -> None:
        super().__init__("another library scan is running; follow it, then try again")
        self.running = running


_LOCK_SEC = 10.0
_SHARE_EVERY_SEC = 0.5
_KEEP_FINISHED_SEC = 3600


class ClusterScanJobs(ScanJobs):
    """Scan jobs when several workers share Redis: one scan at a time across all of them (a lease
    held by the running job), and every job's progress readable from any worker (its snapshot is
    shared every half second and kept an hour after it ends). A scan asked for while another runs
    elsewhere raises ScanRunning with that job (the API answers 409); asked for the same folder, it
    joins it."""

    def __init__(
        self, redis: RedisState, *, roots: LibraryRoots, index: ScanIndex, options: ScanOptions
    ) -> None:
        super().__init__(roots=roots, index=index, options=options)
        self._redis = redis
        self._lock_key = redis.key("scan", "running")

    def _job_key(self, job_id: str) -> str:
        return self._redis.key("scan", "job", job_id)

    async def start(self, directory: LibraryDirectory) -> str:
        for job in self._jobs.values():
            if job.active and job.directory.path == directory.path:
                return job.job_id
        job = _Job(job_id=uuid.uuid4().hex, directory=directory)
        client = self._redis.client
        # Shared before the lease is taken, so whoever sees the lease can read its job.
        await client.set(self._job_key(job.job_id), _describe(job).model_dump_json(), ex=_KEEP_FINISHED_SEC)
        if not await client.set(self._lock_key, job.job_id, nx=True, px=round(_LOCK_SEC * 1000)):
            await client.delete(self._job_key(job.job_id))
            running_id = await client.get(self._lock_key)
            running = None if running_id is None else await self.snapshot(running_id)
            if (
                running is not None
                and running.directory == directory.relative
                and running.status == "running"
            ):
                return running.job_id
            raise ScanRunning(running)
        return self._begin(job)

    async def _run(self, job: _Job) -> None:
        sharing = asyncio.create_task(self._share(job), name=f"library-scan-share-{job.job_id}")
        try:
            await super()._run(job)
        finally:
            sharing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sharing
            with contextlib.suppress(Exception):
                await self._publish(job)
                await self._redis.client.delete(self._lock_key)

    async def _share(self, job: _Job) -> None:
        """While it runs: keep the cluster's scan lease, and share the job's progress."""
        while True:
            await self._redis.client.pexpire(self._lock_key, round(_LOCK_SEC * 1000))
            await self._publish(job)
            await asyncio.sleep(_SHARE_EVERY_SEC)

    async def _publish(self, job: _Job) -> None:
        await self._redis.client.set(
            self._job_key(job.job_id), _describe(job).model_dump_json(), ex=_KEEP_FINISHED_SEC
        )

    async def snapshot(self, job_id: str) -> ScanJob | None:
        local = self._snapshot(job_id)
        if local is not None:
            return local
        shared = await self._redis.client.get(self._job_key(job_id))
        return None if shared is None else ScanJob.model_validate_json(shared)

    async def wait(self, job_id: str, timeout_sec: float) -> ScanJob | None:
        if job_id in self._jobs:
            return await super().wait(job_id, timeout_sec)
        deadline = time.monotonic() + timeout_sec
        while (snapshot := await self.snapshot(job_id)) is not None and snapshot.status in (
            "queued",
            "running",
        ):
            if time.monotonic() >= deadline:
                break
            await asyncio.sleep(min(_SHARE_EVERY_SEC, max(0.0, deadline - time.monotonic())))
        return snapshot


def scan_options(settings: Settings) -> ScanOptions:
    return ScanOptions(workers=settings.scan_workers, file_timeout_sec=settings.scan_file_timeout_sec)


def create_scan_jobs(
    settings: Settings,
    roots: LibraryRoots,
    session_factory: async_sessionmaker[AsyncSession],
    redis: RedisState | None = None,
) -> ScanJobs:
    index = LibraryIndex(session_factory)
    options = scan_options(settings)
    if redis is None:
        return ScanJobs(roots=roots, index=index, options=options)
    return ClusterScanJobs(redis, roots=roots, index=index, options=options)
