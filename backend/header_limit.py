"""ASGI middleware that refuses requests whose headers are too large: 431, JSON, before any route.

The HTTP server has already read them (uvicorn's httptools parser sets no limit of its own), so
this bounds what a request can make the app hold and pass around, and says clearly why it was
refused. A WebSocket handshake with oversized headers is closed with 1009 (message too big).
"""

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send


class HeaderSizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        size = sum(len(name) + len(value) + 4 for name, value in scope["headers"])  # ": " and CRLF
        size += len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
        if size <= self.max_bytes:
            await self.app(scope, receive, send)
            return
        detail = f"Request headers too large ({size} bytes; the limit is {self.max_bytes})."
        if scope["type"] == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1009, "reason": "headers too large"})
            return
        await JSONResponse({"detail": detail}, status_code=431)(scope, receive, send)
