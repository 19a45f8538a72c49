"""One model, one decode at a time, on a thread of its own; callers wait their turn, fairly.

Two lanes. `interactive` (someone is waiting for POST /llm/generate-schedule) always goes before
`background` (rewriting a session that already plays the planner's schedule). Within a lane,
users take turns: the next turn goes to the user who has waited longest since their last one,
so one user's burst waits behind everyone else's single request. Bounds: at most `lane_max`
callers wait in a lane and `per_user_max` per user in it; beyond them `reserve` raises
`ModelBusy`, which says when to come back.

The work runs on the queue's only worker thread and owns the model until it returns, even if
its caller stopped waiting (a deadline, a client gone): the next turn is given only when the
thread is free again, so two decodes never overlap. A caller that gives up should also tell its
work to stop early (the engine sets a flag the decoder polls between tokens).

With a model worker (`neurotune model-worker`, over Redis) the work only waits for the worker's
answer, and the worker keeps its own queue like this one across every web worker: the web
worker's queue then runs `concurrency` turns at once and only keeps its bounds.
"""

import asyncio
import statistics
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from backend.config import Settings

Lane = Literal["interactive", "background"]
LANES: tuple[Lane, ...] = ("interactive", "background")

T = TypeVar("T")

_RECENT_TURNS = 20
"""Turn lengths remembered to estimate Retry-After."""


class ModelBusy(Exception):
    """Too many callers are waiting (in the lane, or of this user's); retry after `retry_after_sec`."""

    def __init__(self, reason: str, retry_after_sec: int) -> None:
        super().__init__(f"{reason}; retry in {retry_after_sec} s")
        self.retry_after_sec = retry_after_sec


@dataclass(frozen=True)
class QueueLimits:
    lane_max: int
    """Callers that may wait in one lane."""
    per_user_max: int
    """Callers of one user that may wait in one lane."""


class ModelQueue:
    def __init__(
        self, limits: dict[Lane, QueueLimits], *, typical_turn_sec: float, concurrency: int = 1
    ) -> None:
        self._limits = limits
        self._typical_turn_sec = typical_turn_sec
        self._concurrency = concurrency
        self._executor = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="llm-decode")
        # Per lane: user -> their waiting turns, users in the order they are served.
        self._waiting: dict[Lane, OrderedDict[int | None, deque[asyncio.Future[None]]]] = {
            lane: OrderedDict() for lane in LANES
        }
        self._running = 0
        self._recent_sec: deque[float] = deque(maxlen=_RECENT_TURNS)

    def waiting(self, lane: Lane | None = None) -> int:
        lanes = LANES if lane is None else (lane,)
        return sum(len(turns) for name in lanes for turns in self._waiting[name].values())

    @property
    def busy(self) -> bool:
        """True while work runs on the model's thread (even work whose caller has gone)."""
        return self._running > 0

    def reserve(self, *, user_id: int | None, lane: Lane) -> "Turn":
        """A place in `lane` for `user_id`; raises `ModelBusy` at once if there is no room.

        The place is kept until the turn has run or is cancelled: `Turn.cancel()` (or running
        it) must follow.
        """
        limits = self._limits[lane]
        mine = self._waiting[lane].get(user_id)
        if self.waiting(lane) >= limits.lane_max:
            raise ModelBusy("the model is busy", self.retry_after_sec(lane))
        if mine is not None and len(mine) >= limits.per_user_max:
            raise ModelBusy("you already have requests waiting for the model", self.retry_after_sec(lane))
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting[lane].setdefault(user_id, deque()).append(granted)
        self._give_next_turn()
        return Turn(self, user_id, lane, granted)

    def retry_after_sec(self, lane: Lane) -> int:
        """A fair guess of when a place in `lane` frees up: typical turn times those ahead."""
        typical = statistics.median(self._recent_sec) if self._recent_sec else self._typical_turn_sec
        ahead = self.waiting("interactive") + (self.waiting("background") if lane == "background" else 0)
        return max(1, round(typical * (ahead + 1)))

    def close(self) -> None:
        for lane in LANES:
            for turns in self._waiting[lane].values():
                for turn in turns:
                    turn.cancel()
            self._waiting[lane].clear()
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _withdraw(self, user_id: int | None, lane: Lane, turn: asyncio.Future[None]) -> None:
        turns = self._waiting[lane].get(user_id)
        if turns is not None and turn in turns:
            turns.remove(turn)
            if not turns:
                del self._waiting[lane][user_id]

    def _turn_over(self, turn_sec: float | None) -> None:
        if turn_sec is not None:
            self._recent_sec.append(turn_sec)
        self._running -= 1
        self._give_next_turn()

    def _give_next_turn(self) -> None:
        if self._running >= self._concurrency:
            return
        for lane in LANES:
            users = self._waiting[lane]
            while users:
                user_id, turns = next(iter(users.items()))
                turn = turns.popleft()
                if turns:
                    users.move_to_end(user_id)  # their next turn comes after everyone else's
                else:
                    del users[user_id]
                if not turn.done():
                    self._running += 1
                    turn.set_result(None)
                    if self._running >= self._concurrency:
                        return


class Turn:
    """A caller's place in the queue: run work when it comes up, or give the place back."""

    def __init__(
        self, queue: ModelQueue, user_id: int | None, lane: Lane, granted: asyncio.Future[None]
    ) -> None:
        self._queue = queue
        self._user_id = user_id
        self._lane = lane
        self._granted = granted
        self._used = False

    async def run(self, work: Callable[[], T], *, wait_sec: float | None = None) -> T:
        """Wait for the turn (at most `wait_sec`: TimeoutError), then run `work` on the model's
        thread and return what it returns.

        Cancelling the caller while `work` runs does not stop the thread; the model stays taken
        until `work` returns.
        """
        if self._used:
            raise RuntimeError("a turn runs once")
        self._used = True
        try:
            async with asyncio.timeout(wait_sec):
                await asyncio.shield(self._granted)
        except BaseException:
            self._give_back()
            raise
        started = time.monotonic()
        loop = asyncio.get_running_loop()
        done: Future[T] = self._queue._executor.submit(work)
        # The turn ends when the thread is done, not when the caller stops waiting.
        done.add_done_callback(
            lambda _: loop.call_soon_threadsafe(self._queue._turn_over, time.monotonic() - started)
        )
        result = asyncio.wrap_future(done, loop=loop)
        result.add_done_callback(retrieve_outcome)
        return await asyncio.shield(result)

    def cancel(self) -> None:
        """Give the place back if the turn has not run (does nothing once it has)."""
        if not self._used:
            self._used = True
            self._give_back()

    def _give_back(self) -> None:
        if self._granted.done() and not self._granted.cancelled():
            self._queue._turn_over(None)  # given just as the caller gave up: pass it on
        else:
            self._granted.cancel()
            self._queue._withdraw(self._user_id, self._lane, self._granted)


def retrieve_outcome(result: "asyncio.Future[Any]") -> None:
    """Read the outcome of work whose caller may have gone, so asyncio never logs it as lost."""
    if not result.cancelled():
        result.exception()


def model_queue(settings: Settings, *, concurrency: int = 1) -> ModelQueue:
    """Turns on the one model: waiting callers first, then background refinements; users in turn."""
    return ModelQueue(
        {
            "interactive": QueueLimits(
                lane_max=settings.llm_queue_max, per_user_max=settings.llm_queue_per_user
            ),
            # The modulation loop admits at most refine_max_pending, one per user; the slack
            # covers a superseded refinement still leaving the queue.
            "background": QueueLimits(lane_max=settings.refine_max_pending + 1, per_user_max=2),
        },
        typical_turn_sec=settings.llm_deadline_sec / 4,
        concurrency=concurrency,
    )
