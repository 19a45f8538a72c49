"""/sessions: start a session, end it with a rating, read your history. Only ever your own."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Response, status

from backend.db.queries import AlreadyEnded, SessionQueries
from backend.models.orm import ListeningSession
from backend.models.schemas import (
    IntentRequest,
    PlayAgain,
    Replan,
    SessionChange,
    SessionEnd,
    SessionEnded,
    SessionOut,
    SessionStarted,
)
from backend.routers.deps import CurrentUser, DbSession, StateDep, ensure_self
from backend.routers.responses import USER_ID_NOT_YOURS, answers, headers
from backend.schedules.validator import ScheduleRejected
from backend.services.listening_sessions import (
    NotPlaying,
    StartedSession,
    change_session,
    end_session,
    pause_session,
    replan_session,
    resume_session,
    start_again,
    start_session,
)

router = APIRouter(prefix="/sessions", tags=["sessions"])

# INT column on MySQL: larger ids cannot exist, and must not reach the driver.
SessionId = Annotated[int, Path(ge=1, le=2**31 - 1)]
_NOT_FOUND = "No such session."
# Someone else's session answers exactly like a missing one.
_NO_SESSION = {404: "No such session of yours."}
_ENDED_OTHERWISE = (
    "Already ended with a different rating or note (ending again as before, or rating later, is fine)."
)


async def _own_session(db: DbSession, session_id: int, user_id: int) -> ListeningSession:
    # Someone else's session answers exactly like a missing one: ids leak nothing.
    session = await SessionQueries(db).owned(session_id, user_id)
    if session is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, _NOT_FOUND)
    return session


@router.post(
    "/start",
    status_code=status.HTTP_201_CREATED,
    response_model=SessionStarted,
    responses=answers(401, 403, 422, 503, notes={403: USER_ID_NOT_YOURS}),
)
async def start(body: IntentRequest, user: CurrentUser, db: DbSession, state: StateDep) -> SessionStarted:
    ensure_self(body.user_id, user)
    return started_answer(await start_session(db, user, body, state.modulation_loop, state.hub))


def started_answer(started: StartedSession) -> SessionStarted:
    return SessionStarted(
        session_id=started.session.id,
        schedule=started.schedule,
        source="planner",
        started_at=started.session.started_at,
        refinement=started.session.refinement,
    )


@router.patch(
    "/{session_id:int}/end",
    response_model=SessionEnded,
    responses=answers(401, 404, 409, 422, 503, notes={**_NO_SESSION, 409: _ENDED_OTHERWISE}),
)
async def end(
    session_id: SessionId, body: SessionEnd, user: CurrentUser, db: DbSession, state: StateDep
) -> SessionEnded:
    session = await _own_session(db, session_id, user.id)
    try:
        ended = await end_session(db, session, body, state.modulation_loop, state.hub)
    except AlreadyEnded:
        raise HTTPException(status.HTTP_409_CONFLICT, "This session has already ended.") from None
    assert ended.duration_sec is not None
    return SessionEnded(session_id=ended.id, duration_sec=ended.duration_sec)


@router.get(
    "/history",
    response_model=list[SessionOut],
    responses={
        **answers(401, 403, 422, 503, notes={403: USER_ID_NOT_YOURS}),
        200: {"headers": headers("X-Total-Count")},
    },
)
async def history(
    user: CurrentUser,
    db: DbSession,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    user_id: Annotated[int | None, Query(ge=1, description="Optional; must be your own id.")] = None,
    favourite: Annotated[bool | None, Query(description="Only your favourites (true).")] = None,
) -> list[ListeningSession]:
    """Your sessions, newest first; X-Total-Count says how many match in all pages."""
    ensure_self(user_id, user)
    page, total = await SessionQueries(db).history(user.id, limit=limit, offset=offset, favourite=favourite)
    response.headers["X-Total-Count"] = str(total)
    return page


@router.get(
    "/{session_id:int}", response_model=SessionOut, responses=answers(401, 404, 422, 503, notes=_NO_SESSION)
)
async def one(session_id: SessionId, user: CurrentUser, db: DbSession) -> ListeningSession:
    return await _own_session(db, session_id, user.id)


_NOT_PLAYING = "This session has ended."


@router.post(
    "/{session_id:int}/pause",
    response_model=SessionOut,
    responses=answers(401, 404, 409, 422, 503, notes={**_NO_SESSION, 409: _NOT_PLAYING}),
)
async def pause(session_id: SessionId, user: CurrentUser, db: DbSession, state: StateDep) -> ListeningSession:
    """Stop the session's clock (pausing a paused session changes nothing)."""
    session = await _own_session(db, session_id, user.id)
    try:
        return await pause_session(db, session, state.hub)
    except NotPlaying:
        raise HTTPException(status.HTTP_409_CONFLICT, _NOT_PLAYING) from None


@router.post(
    "/{session_id:int}/resume",
    response_model=SessionOut,
    responses=answers(401, 404, 409, 422, 503, notes={**_NO_SESSION, 409: _NOT_PLAYING}),
)
async def resume(
    session_id: SessionId, user: CurrentUser, db: DbSession, state: StateDep
) -> ListeningSession:
    """Start the clock again where it stopped (resuming a playing session changes nothing)."""
    session = await _own_session(db, session_id, user.id)
    try:
        return await resume_session(db, session, state.hub)
    except NotPlaying:
        raise HTTPException(status.HTTP_409_CONFLICT, _NOT_PLAYING) from None


@router.patch(
    "/{session_id:int}", response_model=SessionOut, responses=answers(401, 404, 422, 503, notes=_NO_SESSION)
)
async def change(
    session_id: SessionId, body: SessionChange, user: CurrentUser, db: DbSession
) -> ListeningSession:
    """Mark a session as a favourite (or not)."""
    session = await _own_session(db, session_id, user.id)
    return await change_session(db, session, body)


@router.post(
    "/{session_id:int}/replan",
    response_model=SessionOut,
    responses=answers(
        401,
        404,
        409,
        422,
        503,
        notes={**_NO_SESSION, 409: "The session has ended, or the new plan cannot join what already plays."},
    ),
)
async def replan(
    session_id: SessionId, body: Replan, user: CurrentUser, db: DbSession, state: StateDep
) -> ListeningSession:
    """Plan for another intent family from now on ("Not anxiety? Study"); the past stays."""
    session = await _own_session(db, session_id, user.id)
    try:
        return await replan_session(db, user, session, body.family, state.modulation_loop, state.hub)
    except (NotPlaying, LookupError):
        raise HTTPException(status.HTTP_409_CONFLICT, _NOT_PLAYING) from None
    except ScheduleRejected as rejected:
        raise HTTPException(status.HTTP_409_CONFLICT, "; ".join(rejected.reasons)) from None


@router.post(
    "/{session_id:int}/again",
    status_code=status.HTTP_201_CREATED,
    response_model=SessionStarted,
    responses=answers(401, 404, 422, 503, notes=_NO_SESSION),
)
async def again(
    session_id: SessionId, body: PlayAgain, user: CurrentUser, db: DbSession, state: StateDep
) -> SessionStarted:
    """A new session like this one: re-planned, or exactly the same schedule."""
    source = await _own_session(db, session_id, user.id)
    return started_answer(await start_again(db, user, source, body.replan, state.modulation_loop, state.hub))
