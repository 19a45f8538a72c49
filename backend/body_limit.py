"""ASGI middleware that refuses request bodies over a size limit with 413, before they are parsed.

One limit for every route (NEUROTUNE_MAX_BODY_BYTES), except the few paths given a larger one of
their own (a file upload), which then check their own content's size.
"""

from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, larger: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = dict(larger or {})

    @staticmethod
    def _detail(limit: int) -> str:
        return f"Request body too large (limit {limit} bytes)."

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = max(self.max_bytes, self.larger.get(scope["path"], 0))
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            status = 413 if declared.isdigit() else 400
            detail = self._detail(limit) if status == 413 else "Malformed Content-Length header."
            await JSONResponse({"detail": detail}, status_code=status)(scope, receive, send)
            return

        received = 0

        async def limited_receive() -> Message:
            # Chunked bodies carry no Content-Length: count as they arrive. The HTTPException
            # reaches the app's JSON error handler as a 413.
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(status_code=413, detail=self._detail(limit))
            return message

        await self.app(scope, limited_receive, send)
