"""The planning context: everything one schedule needs, read once, handed down frozen.

A start (or a direct generate) reads the active prompt template and what the listener's ratings
taught, on the request's own unit of work: one connection, no second one requested while it is
held, nothing held while the model works. The intent is classified once (`SessionBrief`). The
result, a `ScheduleRequest`, is all the planner and the model engine ever see.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.queries import PromptQueries
from backend.insights import learned_for
from backend.llm_engine.engine import GeneratedSchedule, Progress, ScheduleEngine
from backend.llm_engine.prompts import SCHEDULE_PROMPT_NAME
from backend.models.orm import User
from backend.models.schemas import IntentRequest
from backend.schedules.explain import LearnedNote
from backend.schedules.hold import HoldSegment
from backend.schedules.listener import UserPreferences
from backend.schedules.plan import SessionBrief
from backend.schedules.refiner import PromptTemplate, ScheduleRequest
from backend.schedules.schedule import Layer

_LAYERS: tuple[Layer, ...] = ("binaural", "isochronic", "ambient")
_HISTORY_MINUTES = 10
"""A remembered hold is shown to the model as one 10-minute line."""


@dataclass(frozen=True)
class PlanningContext:
    request: ScheduleRequest
    """What the planner and the model plan from."""
    learned: LearnedNote | None
    """What the listener's ratings taught, in words (for the plan's explanation)."""


async def planning_context(
    db: AsyncSession,
    user: User,
    intent: str,
    duration_min: float | None,
    current_bpm: int | None,
    chosen_family: str | None = None,
) -> PlanningContext:
    """What to plan `intent` with for `user`: their brief (with learned offsets), template, history."""
    preferences = UserPreferences.model_validate(user.preferences or {})
    brief = SessionBrief(
        intent,
        duration_min=duration_min or preferences.default_duration_min,
        neurotype=user.neurotype,
        preferences=preferences,
        current_bpm=current_bpm,
        chosen_family=chosen_family,
    )
    row = await PromptQueries(db).active(SCHEDULE_PROMPT_NAME)
    learned = await learned_for(db, user, brief.family)
    history = (_history_segment(item) for item in learned.best_rated)
    request = ScheduleRequest(
        brief=brief.with_offsets(learned.offsets),
        template=None if row is None else PromptTemplate(row.id, row.version, row.template),
        history=tuple(segment for segment in history if segment is not None),
    )
    return PlanningContext(request, learned.note)


def _history_segment(item: dict[str, Any]) -> HoldSegment | None:
    layer = next((name for name in _LAYERS if name == item.get("layer")), None)
    if layer is None:
        return None
    return HoldSegment(
        beat_hz=float(item["hold_beat_hz"]), bpm=int(item["hold_bpm"]), layer=layer, minutes=_HISTORY_MINUTES
    )


async def write_schedule(
    db: AsyncSession, user: User, ask: IntentRequest, engine: ScheduleEngine
) -> AsyncIterator[Progress | GeneratedSchedule]:
    """POST /llm/generate-schedule: the context is read, the connection handed back, then the
    engine streams (the caller's place in the model's queue is taken at the first step, which
    raises `ModelBusy` if there is none)."""
    context = await planning_context(db, user, ask.intent, ask.duration_min, ask.current_bpm)
    await db.commit()  # hand the connection back: generating takes seconds
    return engine.stream(context.request, user_id=user.id)
