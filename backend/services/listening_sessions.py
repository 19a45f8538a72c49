"""Starting and ending listening sessions: plan, validate, store, and hand the future to the model."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.queries import SessionQueries
from backend.live.hub import SessionHub
from backend.live.modulation_loop import ModulationLoop
from backend.models.orm import ListeningSession, User, utcnow
from backend.models.schemas import IntentRequest, SessionEnd
from backend.schedules.plan import plan_schedule
from backend.schedules.refiner import RefinementRequest
from backend.schedules.schedule import ModulationSchedule
from backend.schedules.validator import ensure_safe
from backend.services.planning import planning_context


@dataclass(frozen=True)
class StartedSession:
    session: ListeningSession
    schedule: ModulationSchedule


async def start_session(
    db: AsyncSession, user: User, body: IntentRequest, loop: ModulationLoop, hub: SessionHub
) -> StartedSession:
    """Plan at once (the planner answers in milliseconds), validate, store, then let the model
    refine the future in the background if the loop admits it.

    One unit of work on `db`: the context is read and the session written on the same
    connection, which is handed back before the model is involved. What is stored is always
    safe to play.
    """
    request = await planning_context(db, user, body.intent, body.duration_min, body.current_bpm)
    schedule = ensure_safe(plan_schedule(request.brief))
    refinement = loop.admit(user.id)
    try:
        session = await SessionQueries(db).create(
            user=user, intent=body.intent, schedule=schedule.model_dump(mode="json"), refinement=refinement
        )
    except BaseException:
        if refinement == "pending":
            loop.withdraw()
        raise
    hub.open(session)
    if refinement == "pending":
        loop.begin(RefinementRequest(session.id, user.id, request, schedule))
    return StartedSession(session, schedule)


async def end_session(
    db: AsyncSession, session: ListeningSession, body: SessionEnd, loop: ModulationLoop, hub: SessionHub
) -> ListeningSession:
    """End and rate; its refinement stops and its live stream closes cleanly.

    Raises queries.AlreadyEnded if it was ended before.
    """
    ended = await SessionQueries(db).end(
        session, ended_at=utcnow(), rating=body.rating, feedback_note=body.feedback_note
    )
    loop.session_ended(session.id)
    hub.end(session.id)
    return ended
