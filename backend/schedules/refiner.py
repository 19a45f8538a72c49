"""The refiner port: how a schedule writer (the local model) plugs into sessions that are playing.

`POST /sessions/start` answers at once with the planner's schedule; a `ScheduleRefiner` may then
rewrite the session's future. The request carries everything a refiner may use, gathered once
by the caller (the brief, the prompt template, the listener's best-rated holds), so a refiner
never reads a database and never needs to know who asked beyond `user_id` (for fair queueing).
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal, Protocol

from backend.schedules.hold import HoldSegment
from backend.schedules.plan import SessionBrief
from backend.schedules.schedule import ModulationSchedule

RefinementOutcome = Literal[
    "pending",
    "applied",
    "declined",
    "rejected",
    "timed_out",
    "failed",
    "ended",
    "superseded",
    "busy",
    "unavailable",
]
"""What became of a session's background refinement by the model (stored with it; None: no
refiner configured). `pending` until it ends; `ended` if the listener ended the session first."""


@dataclass(frozen=True)
class PromptTemplate:
    """The template a model writes with (stored with the session for later comparison)."""

    id: int | None
    """Row in the prompts table; None for a writer's built-in default."""
    version: int
    text: str


@dataclass(frozen=True)
class ScheduleRequest:
    """A schedule to write: the brief, and what a model adds to its prompt."""

    brief: SessionBrief
    template: PromptTemplate | None = None
    """None: the writer's built-in default template."""
    history: tuple[HoldSegment, ...] = ()
    """Hold levels of the listener's best-rated sessions for this kind of intent."""


@dataclass(frozen=True)
class RefinementRequest:
    """A playing session to improve: who it belongs to, what to write, what it plays now."""

    session_id: int
    user_id: int
    request: ScheduleRequest
    planned: ModulationSchedule


@dataclass(frozen=True)
class Refinement:
    """A refiner's answer: a whole schedule, and the prompt template that produced it (if any)."""

    schedule: ModulationSchedule
    prompt_id: int | None = None
    prompt_version: int | None = None


class RefinerDeclined(Exception):
    """The refiner has nothing better than the planner's schedule (e.g. the model gave up)."""


class ScheduleRefiner(Protocol):
    @property
    def ready(self) -> bool:
        """Whether it can take work now (a model that is loading or failed cannot)."""
        ...

    def refine(self, request: RefinementRequest) -> AsyncIterator[Refinement]:
        """Whole schedules for the session (from 0 s), each better than the last; only their
        future parts are used. A model yields one as each line it writes settles more steps,
        so the live socket sends them as they appear."""
        ...
