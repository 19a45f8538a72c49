"""Starting and ending listening sessions: plan, validate, store."""

from dataclasses import dataclass

from backend.db.queries import SessionQueries
from backend.insights import learned_offsets
from backend.live.modulation_loop import RefinementRequest
from backend.llm_engine.planner import plan_schedule
from backend.llm_engine.validator import ensure_safe
from backend.models.orm import Session, User, utcnow
from backend.models.schedule import ModulationSchedule
from backend.models.schemas import SessionEnd, SessionStart, UserPreferences


@dataclass(frozen=True)
class StartedSession:
    session: Session
    schedule: ModulationSchedule
    refinement: RefinementRequest
    """What the modulation loop needs to improve this session's future in the background."""


async def start_session(sessions: SessionQueries, user: User, body: SessionStart) -> StartedSession:
    """Plan at once (the planner answers in milliseconds), validate, and store the session.

    The model engine refines the schedule later; what is stored here is always safe to play.
    """
    preferences = UserPreferences.model_validate(user.preferences or {})
    # Give this request's connection back before insights reads with one of its own: a request
    # holding two pool connections at once deadlocks the pool under load.
    await sessions.db.commit()
    offsets = await learned_offsets(sessions.db, user, body.intent)
    schedule = ensure_safe(
        plan_schedule(
            body.intent,
            duration_min=body.duration_min or preferences.default_duration_min,
            neurotype=user.neurotype,
            preferences=preferences,
            current_bpm=body.current_bpm,
            offsets=offsets,
        )
    )
    session = await sessions.create(user=user, intent=body.intent, schedule=schedule.model_dump(mode="json"))
    refinement = RefinementRequest(
        session_id=session.id,
        user_id=user.id,
        intent=body.intent,
        neurotype=user.neurotype,
        preferences=preferences,
        current_bpm=body.current_bpm,
        planned=schedule,
    )
    return StartedSession(session, schedule, refinement)


async def end_session(sessions: SessionQueries, session: Session, body: SessionEnd) -> Session:
    """Raises queries.AlreadyEnded if it was ended before."""
    return await sessions.end(
        session, ended_at=utcnow(), rating=body.rating, feedback_note=body.feedback_note
    )
