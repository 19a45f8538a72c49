"""Serving the built web app (frontend/out, a Next.js static export) on the API's port.

API routes are registered first and win; everything else falls through to these files. A browser
asking for `/` gets the app; an API client asking for `/` gets the spec's JSON. Unknown paths get
the app's 404 page only when the client asked for HTML, and JSON otherwise.
"""

import logging
from pathlib import Path

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

logger = logging.getLogger(__name__)

_IMMUTABLE = "public, max-age=31536000, immutable"


def wants_html(scope: Scope) -> bool:
    return "text/html" in Headers(scope=scope).get("accept", "")


class WebAppFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 404 and not wants_html(scope):
            raise HTTPException(status_code=404, detail="Not Found")
        if path.startswith("_next/static/"):
            response.headers["Cache-Control"] = _IMMUTABLE  # content-hashed names
        return response


def index_file(web_dir: Path) -> Path | None:
    index = web_dir / "index.html"
    return index if index.is_file() else None


def mount_web_app(app: FastAPI, web_dir: Path) -> None:
    """Serve the web app if it has been built; the API works either way."""
    if index_file(web_dir) is None:
        logger.info("web app not built at %s; serving the API only (make run builds it)", web_dir)
        return
    app.mount("/", WebAppFiles(directory=web_dir, html=True), name="web")
