"""The model engine over HTTP (POST /llm/generate-schedule) and the live stream /ws/session/{id}.

Generating: JSON by default; with `Accept: application/x-ndjson` each step is sent as a line
`{"step": ...}` as soon as it is final, then `{"schedule": ...}`, which is authoritative.
A full queue answers 503 with Retry-After.


Authentication without putting the token in a (logged) URL: the browser offers the
subprotocols ["neurotune.v1", "bearer.<token>"], or sends {"type": "auth", "token": ...} as its
first message. Anyone but the session's owner is closed with 1008 (policy violation).
Resume: `?stream_id=...&last_seq=N` (or the same fields in the auth message).
"""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, WebSocket, WebSocketDisconnect, status
from fastapi.responses import Response, StreamingResponse
from pydantic import ValidationError

from backend.app_state import AppState
from backend.live.frames import AuthMessage
from backend.live.hub import ResumePoint
from backend.live.socket_pump import pump
from backend.llm_engine.engine import EngineBusy, GeneratedSchedule, Progress, request_for
from backend.models.schemas import GenerateSchedule, GenerationTiming, PromptRef, ScheduleGenerated
from backend.routers.deps import CurrentUser, SessionDep, StateDep, ensure_self
from backend.security.tokens import InvalidToken, user_id_from_token

router = APIRouter(tags=["live"])

PROTOCOL = "neurotune.v1"
_BEARER_PREFIX = "bearer."
_POLICY_VIOLATION = 1008


class _Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _token_from_subprotocols(offered: list[str]) -> str | None:
    for protocol in offered:
        if protocol.startswith(_BEARER_PREFIX):
            return protocol.removeprefix(_BEARER_PREFIX)
    return None


async def _auth_message(websocket: WebSocket, timeout_sec: float) -> AuthMessage:
    try:
        async with asyncio.timeout(timeout_sec):
            raw = await websocket.receive_text()
        return AuthMessage.model_validate(json.loads(raw))
    except TimeoutError:
        raise _Refused("authenticate first: no auth message in time") from None
    except (ValueError, ValidationError, KeyError):
        raise _Refused('first message must be {"type": "auth", "token": "..."}') from None


@router.websocket("/ws/session/{session_id}")
async def session_stream(
    websocket: WebSocket,
    session_id: int,
    last_seq: Annotated[int | None, Query(ge=0)] = None,
    stream_id: Annotated[str | None, Query(max_length=64)] = None,
) -> None:
    state: AppState = websocket.app.state.neurotune
    offered = websocket.scope.get("subprotocols", [])
    await websocket.accept(subprotocol=PROTOCOL if PROTOCOL in offered else None)
    resume = ResumePoint(stream_id, last_seq)
    try:
        token = _token_from_subprotocols(offered)
        if token is None:
            auth = await _auth_message(websocket, state.settings.ws_auth_timeout_sec)
            token, resume = auth.token, ResumePoint(auth.stream_id, auth.last_seq)
        try:
            user_id = user_id_from_token(token, state.token_secret)
        except InvalidToken:
            raise _Refused("invalid or expired token") from None
        subscription = await state.hub.subscribe(session_id, user_id, resume)
        if subscription is None:
            raise _Refused("no such session")  # someone else's looks exactly like a missing one
    except _Refused as refused:
        await websocket.close(code=_POLICY_VIOLATION, reason=refused.reason)
        return
    except WebSocketDisconnect:
        return
    try:
        await pump(websocket, subscription, state.settings.ws_heartbeat_sec)
    finally:
        state.hub.unsubscribe(subscription)


_NDJSON = "application/x-ndjson"


@router.post(
    "/llm/generate-schedule",
    response_model=ScheduleGenerated,
    tags=["llm"],
    responses={503: {"description": "The model's queue is full; retry after Retry-After seconds."}},
)
async def generate_schedule(
    body: GenerateSchedule, request: Request, user: CurrentUser, db: SessionDep, state: StateDep
) -> Response:
    """A schedule for the intent, written by the local model when it can, else by the planner."""
    ensure_self(body.user_id, user)
    schedule_request = await request_for(db, user, body.intent, body.duration_min, body.current_bpm)
    await db.commit()  # hand the connection back: generating takes seconds
    events = state.schedules.stream(schedule_request)
    try:
        first = await anext(events)
    except EngineBusy as busy:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, str(busy), headers={"Retry-After": str(busy.retry_after_sec)}
        ) from None
    if _NDJSON in request.headers.get("accept", ""):
        return StreamingResponse(_ndjson(first, events), media_type=_NDJSON)
    result = first
    while not isinstance(result, GeneratedSchedule):
        result = await anext(events)
    return Response(_generated(result).model_dump_json(), media_type="application/json")


async def _ndjson(
    first: Progress | GeneratedSchedule, rest: AsyncIterator[Progress | GeneratedSchedule]
) -> AsyncIterator[str]:
    event = first
    while True:
        if isinstance(event, GeneratedSchedule):
            yield '{"schedule":' + _generated(event).model_dump_json() + "}\n"
            return
        for step in event.steps:
            yield '{"step":' + step.model_dump_json() + "}\n"
        event = await anext(rest)


def _generated(result: GeneratedSchedule) -> ScheduleGenerated:
    return ScheduleGenerated(
        **result.schedule.model_dump(),
        source=result.source,
        fallback_reason=result.fallback_reason,
        prompt=PromptRef(id=result.template.id, version=result.template.version),
        timing=GenerationTiming.model_validate(result.timing),
    )
