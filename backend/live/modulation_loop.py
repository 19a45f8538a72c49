"""The AI modulation loop (spec §5.1): the planner answers at once, a refiner improves the future.

`POST /sessions/start` stores and returns the planner's schedule without waiting for anything.
If a refiner is configured (the local language model, once the model engine is enabled), it runs
in the background with a deadline; whatever it returns goes through the hub, which keeps the past,
validates the result and streams it as a `refined` frame. A refiner that is absent, slow, failing
or unsafe changes nothing: the planner's schedule simply plays on. Outcomes are counted.
"""

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal, Protocol

from backend.live.hub import SessionHub
from backend.llm_engine.validator import ScheduleRejected
from backend.models.enums import Neurotype
from backend.models.schedule import ModulationSchedule
from backend.models.schemas import UserPreferences

logger = logging.getLogger(__name__)

Outcome = Literal["applied", "declined", "rejected", "failed", "timed_out", "ended"]


class RefinerDeclined(Exception):
    """The refiner has nothing better than the planner's schedule (e.g. the model is not loaded)."""


@dataclass(frozen=True)
class RefinementRequest:
    """Everything a refiner may use to write a better schedule for a session that is playing."""

    session_id: int
    user_id: int
    intent: str
    neurotype: Neurotype
    preferences: UserPreferences
    current_bpm: int | None
    planned: ModulationSchedule


@dataclass(frozen=True)
class Refinement:
    """A refiner's answer: a whole schedule, and the prompt template that produced it (if any)."""

    schedule: ModulationSchedule
    prompt_id: int | None = None
    prompt_version: int | None = None


class ScheduleRefiner(Protocol):
    def refine(self, request: RefinementRequest) -> AsyncIterator[Refinement]:
        """Whole schedules for the session (from 0 s), each better than the last; only their
        future parts are used. A model yields one as each line it writes settles more steps,
        so the live socket sends them as they appear."""
        ...


class ModulationLoop:
    def __init__(self, hub: SessionHub, refiner: ScheduleRefiner | None, deadline_sec: float) -> None:
        self.hub = hub
        self.refiner = refiner
        self.deadline_sec = deadline_sec
        self.outcomes: Counter[Outcome] = Counter()
        self._tasks: set[asyncio.Task[Outcome]] = set()

    def after_start(self, request: RefinementRequest) -> None:
        """Schedule a background refinement; returns at once (and does nothing without a refiner)."""
        if self.refiner is None:
            return
        task = asyncio.create_task(self._refine(self.refiner, request), name=f"refine-{request.session_id}")
        self._tasks.add(task)  # a reference, so the task is not garbage-collected mid-flight
        task.add_done_callback(self._tasks.discard)

    async def _refine(self, refiner: ScheduleRefiner, request: RefinementRequest) -> Outcome:
        outcome = await self._attempt(refiner, request)
        self.outcomes[outcome] += 1
        return outcome

    async def _attempt(self, refiner: ScheduleRefiner, request: RefinementRequest) -> Outcome:
        session = request.session_id
        applied = rejected = 0
        try:
            async with asyncio.timeout(self.deadline_sec):
                async for refined in refiner.refine(request):
                    try:
                        await self.hub.refine(
                            session,
                            request.user_id,
                            refined.schedule,
                            prompt=(refined.prompt_id, refined.prompt_version),
                        )
                    except ScheduleRejected as refusal:
                        # A later draft may still fit (e.g. once it no longer touches a sent step).
                        rejected += 1
                        logger.warning(
                            "session %s: refinement rejected: %s", session, "; ".join(refusal.reasons)
                        )
                    else:
                        applied += 1
        except RefinerDeclined as declined:
            logger.info("session %s: no refinement (%s); planner plays on", session, declined)
            return "declined"
        except TimeoutError:
            logger.warning(
                "session %s: refiner missed its %.1f s deadline after %d update(s); the last applied stands",
                session,
                self.deadline_sec,
                applied,
            )
            return "timed_out"
        except LookupError:
            return "ended"  # the user ended the session first
        except Exception:
            logger.exception("session %s: refiner failed; planner plays on", session)
            return "failed"
        if applied:
            return "applied"
        return "rejected" if rejected else "declined"

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
