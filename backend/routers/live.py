"""The live stream /ws/session/{id}: `ModulationUpdate` frames for the session's owner.

Authentication without putting the token in a (logged) URL: the browser offers the
subprotocols ["neurotune.v1", "bearer.<token>"], or sends {"type": "auth", "token": ...} as its
first message. Anyone but the session's owner is closed with 1008 (policy violation).
Resume: `?stream_id=...&last_seq=N` (or the same fields in the auth message).

Close codes: 1000 after `end`; 1008 for anything the client got wrong (auth, a session that is not
theirs or cannot exist, a malformed resume position); 1013 (try again later) when the database (or,
with several workers, Redis) is unavailable; 1011 for anything unexpected (logged). Never a socket
dropped without a close frame.
"""

import asyncio
import json
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from backend.app_state import AppState
from backend.live.channel import ResumePoint, Subscription
from backend.live.frames import AuthMessage
from backend.live.socket_pump import pump
from backend.security.tokens import InvalidToken, user_id_from_token

logger = logging.getLogger(__name__)

router = APIRouter(tags=["live"])

PROTOCOL = "neurotune.v1"
_BEARER_PREFIX = "bearer."
_POLICY_VIOLATION = 1008
_INTERNAL_ERROR = 1011
_TRY_AGAIN_LATER = 1013
_MAX_ID = 2**31 - 1  # sessions.id is an INT: larger ids cannot exist and must not reach the driver
_DATABASE_TROUBLE = (DBAPIError, PoolTimeoutError, ConnectionError, OSError, RedisError)
_STREAM_ID_MAX = 64
_MAX_SEQ = 2**63 - 1


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
async def session_stream(websocket: WebSocket, session_id: str) -> None:
    state: AppState = websocket.app.state.neurotune
    offered = websocket.scope.get("subprotocols", [])
    await websocket.accept(subprotocol=PROTOCOL if PROTOCOL in offered else None)
    try:
        subscription = await _subscribe(websocket, state, session_id, offered)
    except _Refused as refused:
        await websocket.close(code=_POLICY_VIOLATION, reason=refused.reason)
        return
    except WebSocketDisconnect:
        return
    except _DATABASE_TROUBLE as error:
        what = "Redis" if isinstance(error, RedisError) else "database"
        logger.warning("live session %s: %s unavailable: %s", session_id[:20], what, error)
        await websocket.close(code=_TRY_AGAIN_LATER, reason=f"{what} unavailable; reconnect shortly")
        return
    except Exception:
        logger.exception("live session %s: unexpected error while subscribing", session_id[:20])
        await websocket.close(code=_INTERNAL_ERROR, reason="internal error; it has been logged")
        return
    try:
        await pump(websocket, subscription, state.settings.ws_heartbeat_sec)
    finally:
        await state.hub.unsubscribe(subscription)


async def _subscribe(
    websocket: WebSocket, state: AppState, session_id: str, offered: list[str]
) -> Subscription:
    """Authenticate, parse the path and resume position, and join the session's stream."""
    if not (session_id.isdecimal() and len(session_id) <= 10 and 1 <= int(session_id) <= _MAX_ID):
        raise _Refused("no such session")
    resume = _resume_point(websocket.query_params.get("stream_id"), websocket.query_params.get("last_seq"))
    token = _token_from_subprotocols(offered)
    if token is None:
        auth = await _auth_message(websocket, state.settings.ws_auth_timeout_sec)
        token, resume = auth.token, ResumePoint(auth.stream_id, auth.last_seq)
    try:
        user_id = user_id_from_token(token, state.token_secret)
    except InvalidToken:
        raise _Refused("invalid or expired token") from None
    subscription = await state.hub.subscribe(int(session_id), user_id, resume)
    if subscription is None:
        raise _Refused("no such session")  # someone else's looks exactly like a missing one
    return subscription


def _resume_point(stream_id: str | None, last_seq: str | None) -> ResumePoint:
    if stream_id is not None and len(stream_id) > _STREAM_ID_MAX:
        raise _Refused("stream_id is too long")
    if last_seq is None:
        return ResumePoint(stream_id, None)
    if not (last_seq.isdecimal() and len(last_seq) <= 19 and int(last_seq) <= _MAX_SEQ):
        raise _Refused("last_seq must be a whole number >= 0")
    return ResumePoint(stream_id, int(last_seq))
