"""Starting and ending listening sessions: plan, validate, store, and hand the future to the model."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.queries import AlreadyEnded, SessionQueries
from backend.live.hub import SessionHub
from backend.live.modulation_loop import ModulationLoop
from backend.models.listening_time import listened_sec
from backend.models.orm import EndReason, ListeningSession, User, utcnow
from backend.models.schemas import IntentRequest, SessionChange, SessionEnd
from backend.schedules.explain import explain_plan
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
    db: AsyncSession,
    user: User,
    body: IntentRequest,
    loop: ModulationLoop,
    hub: SessionHub,
    chosen_family: str | None = None,
) -> StartedSession:
    """Plan at once (the planner answers in milliseconds), validate, store, then let the model
    refine the future in the background if the loop admits it.

    One unit of work on `db`: the context is read and the session written on the same
    connection, which is handed back before the model is involved. What is stored is always
    safe to play.
    """
    context = await planning_context(
        db, user, body.intent, body.duration_min, body.current_bpm, chosen_family=chosen_family
    )
    request = context.request
    schedule = ensure_safe(plan_schedule(request.brief))
    explanation = explain_plan(request.brief, schedule).model_copy(update={"learned": context.learned})
    refinement = loop.admit(user.id)
    try:
        session = await SessionQueries(db).create(
            user=user,
            intent=body.intent,
            schedule=schedule.model_dump(mode="json"),
            refinement=refinement,
            explanation=explanation.model_dump(mode="json"),
        )
    except BaseException:
        if refinement == "pending":
            loop.withdraw()
        raise
    await hub.open(session)
    if refinement == "pending":
        loop.begin(RefinementRequest(session.id, user.id, request, schedule))
    return StartedSession(session, schedule)


COMPLETE_WITHIN_SEC = 5.0
"""A session ended by its listener this close to its end counts as completed."""


async def end_session(
    db: AsyncSession, session: ListeningSession, body: SessionEnd, loop: ModulationLoop, hub: SessionHub
) -> ListeningSession:
    """End and rate; its refinement stops and its live stream closes cleanly.

    The reason is decided here: `completed` if it was listened to (nearly) the end, else `ended`.
    Ending again is harmless when it asks for nothing new, or only adds a rating or a note the
    session does not have yet (rating it later); a different rating or note raises AlreadyEnded.
    """
    queries = SessionQueries(db)
    if session.ended_at is None:
        now = utcnow()
        listened = listened_sec(session.started_at, session.paused_sec, session.paused_at, now)
        total_sec = session.schedule.get("total_duration_sec", 0)
        reason: EndReason = "completed" if listened >= total_sec - COMPLETE_WITHIN_SEC else "ended"
        try:
            ended = await queries.end(
                session, ended_at=now, reason=reason, rating=body.rating, feedback_note=body.feedback_note
            )
        except AlreadyEnded:
            await db.refresh(session)  # someone else ended it a moment ago: treat as a repeat
        else:
            loop.session_ended(session.id)
            await hub.end(session.id)
            return ended
    if _conflicts(session.rating, body.rating) or _conflicts(session.feedback_note, body.feedback_note):
        raise AlreadyEnded
    await queries.rate(
        session,
        rating=body.rating if session.rating is None else None,
        feedback_note=body.feedback_note if session.feedback_note is None else None,
    )
    return session


def _conflicts(stored: object, asked: object) -> bool:
    return asked is not None and stored is not None and stored != asked


class NotPlaying(Exception):
    """The session has ended (or is already in the asked state)."""


async def pause_session(db: AsyncSession, session: ListeningSession, hub: SessionHub) -> ListeningSession:
    """Stop the session's clock (listened time stops counting); its sockets hear `paused`.
    Pausing a paused session changes nothing; an ended one raises NotPlaying."""
    if session.ended_at is not None:
        raise NotPlaying
    now = utcnow()
    if await SessionQueries(db).pause(session, now):
        await hub.pause(session.id, now)
    return session


async def resume_session(db: AsyncSession, session: ListeningSession, hub: SessionHub) -> ListeningSession:
    """Start the clock again where it stopped. Resuming a playing session changes nothing; an
    ended one raises NotPlaying."""
    if session.ended_at is not None:
        raise NotPlaying
    now = utcnow()
    if await SessionQueries(db).resume(session, now):
        await hub.resume(session.id, now)
    return session


async def change_session(
    db: AsyncSession, session: ListeningSession, change: SessionChange
) -> ListeningSession:
    """What a listener may change about a session: whether it is a favourite."""
    if change.favourite is not None:
        await SessionQueries(db).set_favourite(session, change.favourite)
    return session


async def replan_session(
    db: AsyncSession,
    user: User,
    session: ListeningSession,
    family: str,
    loop: ModulationLoop,
    hub: SessionHub,
) -> ListeningSession:
    """The listener corrected how the intent was read ("Not anxiety? Study"): plan again for
    `family` from now on (the past, and steps already sent, stay) and explain the new plan.

    Raises NotPlaying if the session ended, ValueError for an unknown family, LookupError or
    ScheduleRejected from the hub if the new future cannot be joined to what plays now.
    """
    if session.ended_at is not None:
        raise NotPlaying
    total_min = ModulationSchedule.model_validate(session.schedule).total_duration_sec / 60
    context = await planning_context(db, user, session.intent, total_min, None, chosen_family=family)
    await db.commit()  # the reads are done; the hub stores the result on a connection of its own
    replanned = ensure_safe(plan_schedule(context.request.brief))
    explanation = explain_plan(context.request.brief, replanned).model_copy(
        update={"learned": context.learned}
    )
    loop.session_ended(session.id)  # a model rewrite of the old reading is no longer wanted
    await hub.replan(session.id, user.id, replanned, explanation.model_dump(mode="json"))
    await db.refresh(session)
    return session


async def start_again(
    db: AsyncSession,
    user: User,
    source: ListeningSession,
    replan: bool,
    loop: ModulationLoop,
    hub: SessionHub,
) -> StartedSession:
    """A new session like `source`: re-planned with what the ratings taught since (and the
    listener's reading of the intent), or exactly the schedule it played."""
    schedule = ModulationSchedule.model_validate(source.schedule)
    if replan:
        minutes = max(5, round(schedule.total_duration_sec / 60))
        body = IntentRequest(intent=source.intent, duration_min=minutes)
        return await start_session(db, user, body, loop, hub, chosen_family=chosen_family(source))
    return await start_kept(db, user, source.intent, ensure_safe(schedule), source.explanation, hub)


async def start_kept(
    db: AsyncSession,
    user: User,
    intent: str,
    schedule: ModulationSchedule,
    explanation: dict[str, Any] | None,
    hub: SessionHub,
) -> StartedSession:
    """A session that plays a kept schedule as it is (the caller validated it): nothing to
    rewrite, so no refinement."""
    session = await SessionQueries(db).create(
        user=user,
        intent=intent,
        schedule=schedule.model_dump(mode="json"),
        refinement=None,
        explanation=explanation,
    )
    await hub.open(session)
    return StartedSession(session, schedule)


def chosen_family(session: ListeningSession) -> str | None:
    """The family the listener chose for a session, if they corrected its reading."""
    reading = (session.explanation or {}).get("reading") or {}
    return str(reading["family"]) if reading.get("chosen_by_listener") else None
