"""The model's queue with real threads: one turn at a time, callers first, users in turn, bounded."""

import asyncio
import threading
import time
from collections.abc import Callable

import pytest

from backend.llm_engine.model_queue import Lane, ModelBusy, ModelQueue, QueueLimits


class Model:
    """Stands for the model: records which work ran, in what order, and how many ran at once."""

    def __init__(self) -> None:
        self.order: list[str] = []
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    def work(self, name: str, sec: float = 0.05, release: threading.Event | None = None) -> Callable[[], str]:
        def run() -> str:
            with self._lock:
                self.running += 1
                self.most_at_once = max(self.most_at_once, self.running)
                self.order.append(name)
            if release is not None:
                release.wait(5)
            else:
                time.sleep(sec)
            with self._lock:
                self.running -= 1
            return name

        return run


def _queue(lane_max: int = 8, per_user_max: int = 8) -> ModelQueue:
    limits = QueueLimits(lane_max=lane_max, per_user_max=per_user_max)
    return ModelQueue({"interactive": limits, "background": limits}, typical_turn_sec=1.0)


async def _run(queue: ModelQueue, model: Model, name: str, user: int, lane: Lane = "interactive") -> str:
    return await queue.reserve(user_id=user, lane=lane).run(model.work(name))


async def test_work_runs_one_at_a_time_and_returns_its_result() -> None:
    queue, model = _queue(), Model()
    results = await asyncio.gather(*(_run(queue, model, f"w{i}", user=i) for i in range(5)))
    assert results == [f"w{i}" for i in range(5)]
    assert model.most_at_once == 1


async def test_a_caller_that_gives_up_keeps_the_model_until_its_work_returns() -> None:
    queue, model = _queue(), Model()
    release = threading.Event()
    first = asyncio.ensure_future(
        queue.reserve(user_id=1, lane="interactive").run(model.work("slow", release=release))
    )
    await asyncio.sleep(0.05)
    assert model.running == 1
    first.cancel()  # e.g. the caller's deadline passed
    with pytest.raises(asyncio.CancelledError):
        await first
    second = asyncio.ensure_future(_run(queue, model, "next", user=2))
    await asyncio.sleep(0.2)
    assert model.order == ["slow"]  # the next turn waits for the thread, not for the caller
    assert queue.busy
    assert queue.waiting() == 1  # not even given yet: its deadline would run while it waits
    release.set()
    assert await second == "next"
    assert model.most_at_once == 1


async def test_a_caller_whose_wait_runs_out_leaves_the_queue() -> None:
    queue, model = _queue(), Model()
    release = threading.Event()
    running = asyncio.ensure_future(_run_released(queue, model, release))
    await asyncio.sleep(0.05)
    waiter = queue.reserve(user_id=2, lane="interactive")
    assert queue.waiting() == 1
    with pytest.raises(TimeoutError):
        await waiter.run(model.work("never"), wait_sec=0.05)
    assert queue.waiting() == 0
    release.set()
    await running
    assert await _run(queue, model, "after", user=3) == "after"
    assert "never" not in model.order


async def _run_released(queue: ModelQueue, model: Model, release: threading.Event) -> str:
    return await queue.reserve(user_id=1, lane="interactive").run(model.work("first", release=release))


async def test_waiting_callers_go_before_background_work_and_users_take_turns() -> None:
    queue, model = _queue(), Model()
    release = threading.Event()
    blocker = asyncio.ensure_future(_run_released(queue, model, release))
    await asyncio.sleep(0.05)
    jobs = [
        _run(queue, model, "refine-a", user=1, lane="background"),
        _run(queue, model, "a1", user=1),
        _run(queue, model, "a2", user=1),
        _run(queue, model, "a3", user=1),
        _run(queue, model, "b1", user=2),
        _run(queue, model, "c1", user=3),
    ]
    tasks = [asyncio.ensure_future(job) for job in jobs]
    await asyncio.sleep(0.05)  # every turn is queued before the model frees up
    release.set()
    await asyncio.gather(blocker, *tasks)
    # One user's burst waits behind everyone else's single request; refinements come last.
    assert model.order == ["first", "a1", "b1", "c1", "a2", "a3", "refine-a"]


async def test_a_full_lane_and_a_users_full_share_are_refused_with_a_retry_hint() -> None:
    queue, model = _queue(lane_max=2, per_user_max=1), Model()
    release = threading.Event()
    blocker = asyncio.ensure_future(_run_released(queue, model, release))
    await asyncio.sleep(0.05)
    mine = queue.reserve(user_id=7, lane="interactive")
    with pytest.raises(ModelBusy, match="you already have") as per_user:
        queue.reserve(user_id=7, lane="interactive")
    other = queue.reserve(user_id=8, lane="interactive")
    with pytest.raises(ModelBusy, match="busy") as full:
        queue.reserve(user_id=9, lane="interactive")
    assert per_user.value.retry_after_sec >= 1
    assert full.value.retry_after_sec >= per_user.value.retry_after_sec
    background = queue.reserve(user_id=9, lane="background")  # lanes are bounded apart
    for turn in (mine, other, background):
        turn.cancel()
    assert queue.waiting() == 0
    release.set()
    await blocker


async def test_a_turn_given_to_a_caller_that_left_passes_on() -> None:
    queue, model = _queue(), Model()
    release = threading.Event()
    blocker = asyncio.ensure_future(_run_released(queue, model, release))
    await asyncio.sleep(0.05)
    abandoned = queue.reserve(user_id=2, lane="interactive")
    later = asyncio.ensure_future(_run(queue, model, "later", user=3))
    await asyncio.sleep(0.01)
    release.set()
    await blocker
    await asyncio.sleep(0.05)  # the turn has been given to `abandoned`, which never runs it
    abandoned.cancel()
    assert await asyncio.wait_for(later, 5) == "later"
