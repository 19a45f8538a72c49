"""Analyse many files in worker processes, so that a decoder that crashes or hangs costs one file.

- Workers come from the `forkserver` (or `spawn`) context, never `fork`: the server has threads and
  an event loop that a forked child would inherit half-copied.
- Each worker runs the analyzer's `warm_up` once, and the pool is warmed before the first file is
  timed, so the per-file timeout measures the file and not the worker's start-up.
- At most one file per worker is in flight, so a file's clock starts when its work does.
- A file over its time limit is recorded as failed; the pool is killed and rebuilt and the other
  files that were in flight are simply run again.
- A worker that dies (segfault, abort, out of memory) breaks the whole pool without saying which
  file did it. The files that were in flight are then re-run one at a time on a fresh pool: a file
  that kills a worker on its own is the culprit, and the rest complete normally.
"""

import asyncio
import multiprocessing
import os
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from backend.audio_processor.analyzer import TrackAnalysis, analyze_file, warm_up

Analyse = Callable[[str], TrackAnalysis]
# Cold numba/scipy caches on a slow machine can take a while; this bounds a worker that never starts.
WARM_UP_TIMEOUT_SEC = 300.0


class PoolStartError(RuntimeError):
    """The workers could not be started or warmed up at all; no file can be analysed."""


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        # Workers fork from a server that has already imported numpy, scipy and the analyzer.
        context.set_forkserver_preload(["backend.audio_processor.analyzer"])
        return context
    return multiprocessing.get_context("spawn")


def _pid() -> int:
    return os.getpid()


@dataclass
class _Running:
    path: str
    future: "asyncio.Future[TrackAnalysis]"
    deadline: float


class AnalysisPool:
    """A process pool for `analyse(path)`; use as `async with AnalysisPool(...) as pool`."""

    def __init__(
        self,
        workers: int,
        file_timeout_sec: float,
        *,
        analyse: Analyse = analyze_file,
        initializer: Callable[[], None] | None = warm_up,
    ) -> None:
        if workers < 1 or file_timeout_sec <= 0:
            raise ValueError("workers must be >= 1 and file_timeout_sec > 0")
        self.workers = workers
        self.file_timeout_sec = file_timeout_sec
        self._analyse = analyse
        self._initializer = initializer
        self._executor: ProcessPoolExecutor | None = None

    async def __aenter__(self) -> "AnalysisPool":
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self.close()

    async def _ensure_started(self) -> ProcessPoolExecutor:
        if self._executor is not None:
            return self._executor
        executor = ProcessPoolExecutor(self.workers, mp_context=_context(), initializer=self._initializer)
        self._executor = executor
        # One trivial task per worker spawns every worker and waits out its warm-up.
        probes = [asyncio.wrap_future(executor.submit(_pid)) for _ in range(self.workers)]
        try:
            await asyncio.wait_for(asyncio.gather(*probes), WARM_UP_TIMEOUT_SEC)
        except (BrokenProcessPool, TimeoutError) as error:
            self._kill()
            raise PoolStartError(f"analysis workers failed to start: {error!r}") from error
        return executor

    def _kill(self) -> None:
        """Stop every worker now, hung or not (shutdown alone would wait for a hung one forever)."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        # concurrent.futures has no public way to stop a running task before Python 3.14.
        processes = list(executor._processes.values())
        executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.kill()
        for process in processes:
            process.join(timeout=5)

    def close(self) -> None:
        self._kill()

    async def _submit(self, path: str) -> _Running:
        for _attempt in range(2):
            executor = await self._ensure_started()
            try:
                future: Future[TrackAnalysis] = executor.submit(self._analyse, path)
            except BrokenProcessPool:  # a worker died between files: start afresh, once
                self._kill()
                continue
            return _Running(path, asyncio.wrap_future(future), time.monotonic() + self.file_timeout_sec)
        raise PoolStartError("the analysis workers keep dying before any file is given to them")

    async def run(
        self, paths: Iterable[str], on_start: Callable[[str], None] | None = None
    ) -> AsyncIterator[tuple[str, TrackAnalysis]]:
        """Analyse every path; yields (path, analysis) as each finishes, in no particular order.

        Never raises for a file: a timeout, crash or exception becomes `TrackAnalysis.error`.
        Raises PoolStartError only if the workers cannot be started at all.
        """
        queue = deque(paths)
        suspects: deque[str] = deque()  # in flight when a worker died: each is re-run alone
        running: list[_Running] = []
        try:
            while queue or suspects or running:
                while suspects and not running:
                    running.append(await self._submit(suspects.popleft()))
                while queue and not suspects and len(running) < self.workers:
                    running.append(await self._submit(queue.popleft()))
                if on_start is not None:
                    on_start(running[-1].path)
                timeout = max(0.0, min(r.deadline for r in running) - time.monotonic())
                await asyncio.wait(
                    [r.future for r in running], timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                )

                alone = len(running) == 1
                finished = [r for r in running if r.future.done()]
                now = time.monotonic()
                expired = [r for r in running if not r.future.done() and r.deadline <= now]
                broken: list[str] = []
                for item in finished:
                    running.remove(item)
                    outcome = _outcome(item.future)
                    if outcome is None:
                        broken.append(item.path)
                    else:
                        yield item.path, outcome
                for item in expired:
                    running.remove(item)
                    yield item.path, _failure(f"analysis timed out after {self.file_timeout_sec:g} s")
                if broken and alone:
                    yield broken[0], _failure("the analysis process crashed on this file")
                elif broken:
                    suspects.extend([*broken, *(r.path for r in running)])
                elif expired:
                    # The files in flight beside a hung one lose their worker with it: run them again.
                    queue.extendleft(reversed([r.path for r in running]))
                if broken or expired:
                    self._drop(running)
        finally:
            if running:  # abandoned early (cancelled): nothing may keep working on its own
                self._drop(running)

    def _drop(self, running: list[_Running]) -> None:
        """Abandon the files in flight and kill the workers (the caller has re-queued the files)."""
        for item in running:
            item.future.cancel()
        running.clear()
        self._kill()


def _outcome(future: "asyncio.Future[TrackAnalysis]") -> TrackAnalysis | None:
    """The finished future's analysis; None when its worker died (the pool is broken)."""
    try:
        return future.result()
    except BrokenProcessPool:
        return None
    except Exception as error:  # the analysis callable itself raised: that file's fault
        return _failure(f"analysis raised {type(error).__name__}: {error}")


def _failure(reason: str) -> TrackAnalysis:
    return TrackAnalysis(duration_sec=None, error=reason)
