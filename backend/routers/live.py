"""The live stream /ws/session/{id}: `ModulationUpdate` frames for the session's owner.

Authentication without putting the token in a (logged) URL: the browser offers the
subprotocols ["neurotune.v1", "bearer.<token>"], or sends {"type": "auth", "token": ...} as its
first message. Anyone but the session's owner is closed with 1008 (policy violation).
Resume: `?stream_id=...&last_seq=N` (or the same fields in the auth message).
"""

import asyncio
import json
from typing import Annotated

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from backend.app_state import AppState
from backend.live.frames import AuthMessage
from backend.live.hub import ResumePoint
from backend.live.socket_pump import pump
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
