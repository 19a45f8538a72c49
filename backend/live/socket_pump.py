"""Moving one subscription's frames onto one WebSocket, with heartbeats and a clean close."""

import asyncio
import contextlib

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from backend.live.channel import Frame, Subscription


async def pump(websocket: WebSocket, subscription: Subscription, heartbeat_sec: float) -> None:
    """Send the backlog, then live frames as they come; close 1000 after `end`.

    A concurrent reader notices the client leaving (and discards anything it sends) so the
    sender stops at once instead of at its next frame.
    """
    sender = asyncio.create_task(_send_all(websocket, subscription, heartbeat_sec))
    reader = asyncio.create_task(_drain(websocket))
    try:
        await asyncio.wait({sender, reader}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sender, reader):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
            await sender
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
            await reader
    if websocket.client_state == WebSocketState.CONNECTED:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close(code=1000)


async def _send_all(websocket: WebSocket, subscription: Subscription, heartbeat_sec: float) -> None:
    for frame in subscription.backlog:
        await websocket.send_text(frame.text)
        if frame.is_end:
            return
    while True:
        try:
            item: Frame | None = await asyncio.wait_for(subscription.queue.get(), timeout=heartbeat_sec)
        except TimeoutError:
            await websocket.send_text(subscription.channel.heartbeat().text)
            continue
        if item is None:
            return
        await websocket.send_text(item.text)
        if item.is_end:
            return


async def _drain(websocket: WebSocket) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
