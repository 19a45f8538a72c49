"""App factory: the app state (backend.app_state) for its lifetime, routers, error handlers, middleware."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from backend import __version__
from backend.app_state import start_app_state, stop_app_state
from backend.body_limit import BodySizeLimit
from backend.config import Settings, get_settings
from backend.errors import install_error_handlers
from backend.header_limit import HeaderSizeLimit
from backend.routers import auth, health, insights, intents, library, live, llm, presets, schedules, sessions
from backend.routers.schedules import IMPORT_MAX_BYTES
from backend.web import mount_web_app

logger = logging.getLogger(__name__)


_API_DESCRIPTION = """\
Every answer an operation can give is listed with it. Errors are JSON: `{"detail": "..."}`
(ErrorDetail), and for 422 a list of `{loc, msg, type}` (ValidationFailed).

Strings are Unicode text (I-JSON, RFC 7493): a string holding an unpaired surrogate (`"\\ud800"` on
its own) is refused with 422 wherever a string is accepted. Text fields state as patterns which
control characters they refuse.

OPTIONS answers 204 with `Allow`; a method a path does not serve answers 405 with `Allow`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.neurotune = await start_app_state(settings)
        try:
            yield
        finally:
            await stop_app_state(app.state.neurotune)

    app = FastAPI(
        title="NeuroTune",
        version=__version__,
        summary="Self-hosted adaptive sound companion: intent -> modulation schedule -> your browser.",
        description=_API_DESCRIPTION,
        lifespan=lifespan,
    )
    install_error_handlers(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["X-Total-Count", "Location"],  # GET /library's total, a scan job's URL
        )
    # An uploaded schedule file may be larger than any JSON body (plus its multipart envelope).
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        larger={"/schedules/import": IMPORT_MAX_BYTES + 8192},
    )
    app.add_middleware(HeaderSizeLimit, max_bytes=settings.max_header_bytes)  # outermost: checked first
    for module in (health, auth, sessions, schedules, presets, intents, llm, live, insights, library):
        app.include_router(module.router)
    mount_web_app(app, settings.web_dir)  # last: API routes win
    return app
