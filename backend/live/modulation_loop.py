"""The AI modulation loop (spec §5.1): the planner answers at once, a refiner improves the future.

`POST /sessions/start` stores and returns the planner's schedule without waiting for anything.
If a refiner is configured (the local language model), the session's refinement runs in the
background with a deadline; whatever it yields goes through the hub, which keeps the past,
validates the result and streams it as a `refined` frame. A refiner that is absent, slow,
failing or unsafe changes nothing: the planner's schedule simply plays on.

Background work is bounded and fair:
- `admit` decides before the session is stored: no refiner, a refiner not ready (`unavailable`),
  no room among `max_pending` refinements (`busy`), or `pending`. Only `pending` starts work.
- At most one refinement per user: a newer start supersedes the older one (`superseded`);
  ending a session cancels its refinement (`ended`, recorded by the end itself).
- The refiner queues behind interactive callers and users take turns (`llm_engine.model_queue`).
Every outcome is counted, and stored with the session (sessions.refinement), so each started
session either gets its refinement or a recorded reason why not.
"""

import asyncio
import logging
from collections import Counter

from backend.live.hub import SessionHub
from backend.schedules.explain import describe_model_change
from backend.schedules.refiner import RefinementOutcome, RefinementRequest, RefinerDeclined, ScheduleRefiner
from backend.schedules.validator import ScheduleRejected

logger = logging.getLogger(__name__)


class ModulationLoop:
    def __init__(
        self, hub: SessionHub, refiner: ScheduleRefiner | None, *, deadline_sec: float, max_pending: int
    ) -> None:
        self.hub = hub
        self.refiner = refiner
        self.deadline_sec = deadline_sec
        self.max_pending = max_pending
        self.outcomes: Counter[RefinementOutcome] = Counter()
        self._admitted = 0  # said `pending`, not yet started
        self._by_session: dict[int, asyncio.Task[None]] = {}
        self._by_user: dict[int, int] = {}  # user -> the session whose refinement runs
        self._cancelled: dict[int, RefinementOutcome] = {}  # session -> why its task was cancelled

    @property
    def pending(self) -> int:
        return len(self._by_session) + self._admitted

    def admit(self, user_id: int) -> RefinementOutcome | None:
        """What a new session's refinement starts as (stored with it); `pending` reserves a place
        that `begin` or `withdraw` must then take or give back."""
        if self.refiner is None:
            return None
        if not self.refiner.ready:
            return self._count("unavailable")
        if user_id not in self._by_user and self.pending >= self.max_pending:
            logger.info("refinement queue full (%d); the planner's schedule stands", self.pending)
            return self._count("busy")
        self._admitted += 1
        return "pending"

    def withdraw(self) -> None:
        """An admitted session was not stored after all."""
        self._admitted -= 1

    def begin(self, request: RefinementRequest) -> None:
        """Start the admitted refinement in the background (superseding the user's older one)."""
        self._admitted -= 1
        assert self.refiner is not None, "begin() follows admit() == 'pending'"
        older = self._by_user.get(request.user_id)
        if older is not None:
            self._cancel(older, "superseded")
        task = asyncio.create_task(self._refine(self.refiner, request), name=f"refine-{request.session_id}")
        self._by_session[request.session_id] = task
        self._by_user[request.user_id] = request.session_id
        task.add_done_callback(lambda _: self._forget(request))

    def session_ended(self, session_id: int) -> None:
        """The listener ended the session: its refinement is no longer needed."""
        self._cancel(session_id, "ended")

    async def wait_idle(self) -> None:
        """Until every refinement running now has its outcome (tests and benchmarks)."""
        while self._by_session:
            await asyncio.gather(*self._by_session.values(), return_exceptions=True)

    async def close(self) -> None:
        tasks = list(self._by_session.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _cancel(self, session_id: int, why: RefinementOutcome) -> None:
        task = self._by_session.get(session_id)
        if task is not None and not task.done():
            self._cancelled[session_id] = why
            task.cancel()

    def _forget(self, request: RefinementRequest) -> None:
        self._by_session.pop(request.session_id, None)
        self._cancelled.pop(request.session_id, None)
        if self._by_user.get(request.user_id) == request.session_id:
            del self._by_user[request.user_id]

    def _count(self, outcome: RefinementOutcome) -> RefinementOutcome:
        self.outcomes[outcome] += 1
        return outcome

    async def _refine(self, refiner: ScheduleRefiner, request: RefinementRequest) -> None:
        session_id = request.session_id
        try:
            outcome = await self._attempt(refiner, request)
        except asyncio.CancelledError:
            why = self._cancelled.get(session_id)
            if why is None:
                raise  # the app is shutting down
            outcome = why
        self._count(outcome)
        if outcome not in ("applied", "ended"):  # those two are recorded by their own writes
            try:
                await self.hub.record_refinement(session_id, outcome)
            except Exception as error:
                logger.warning(
                    "session %s: could not record refinement outcome %s: %s", session_id, outcome, error
                )

    async def _attempt(self, refiner: ScheduleRefiner, request: RefinementRequest) -> RefinementOutcome:
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
                            note=describe_model_change(request.planned, refined.schedule),
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
            logger.info(
                "session %s: refiner missed its %.1f s deadline after %d update(s); the last applied stands",
                session,
                self.deadline_sec,
                applied,
            )
            return "applied" if applied else "timed_out"
        except LookupError:
            return "ended"  # the user ended the session first
        except Exception:
            logger.exception("session %s: refiner failed; planner plays on", session)
            return "failed"
        if applied:
            return "applied"
        return "rejected" if rejected else "declined"
