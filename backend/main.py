"""App factory: settings -> engine -> migrated database -> routers, error handlers, middleware."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from backend import __version__
from backend.app_state import AppState
from backend.body_limit import BodySizeLimit
from backend.config import Settings, get_settings
from backend.db.database import create_engine, create_session_factory
from backend.db.health import DatabaseWriteProbe
from backend.errors import install_error_handlers
from backend.header_limit import HeaderSizeLimit
from backend.library.roots import LibraryRoots
from backend.library.scan_jobs import create_scan_jobs
from backend.live.hub import SessionHub
from backend.live.modulation_loop import ModulationLoop
from backend.live.sweeper import SessionSweeper
from backend.llm_engine.client import ModelClient
from backend.llm_engine.engine import ScheduleEngine
from backend.llm_engine.model_queue import ModelQueue, QueueLimits
from backend.routers import auth, health, insights, intents, library, live, llm, presets, sessions
from backend.security.login_throttle import LoginThrottle
from backend.security.passwords import PasswordWork
from backend.services.bootstrap import prepare_database
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


def model_queue(settings: Settings) -> ModelQueue:
    """Turns on the one model: waiting callers first, then background refinements; users in turn."""
    return ModelQueue(
        {
            "interactive": QueueLimits(
                lane_max=settings.llm_queue_max, per_user_max=settings.llm_queue_per_user
            ),
            # The modulation loop admits at most refine_max_pending, one per user; the slack
            # covers a superseded refinement still leaving the queue.
            "background": QueueLimits(lane_max=settings.refine_max_pending + 1, per_user_max=2),
        },
        typical_turn_sec=settings.llm_deadline_sec / 4,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.resolved_database_url)
        added = await prepare_database(engine)
        logger.info("database ready (%s); %d prompt templates seeded", engine.url.get_backend_name(), added)
        session_factory = create_session_factory(engine)
        hub = SessionHub(session_factory, lookahead_sec=settings.ws_lookahead_sec)
        sweeper = SessionSweeper(
            session_factory,
            hub,
            grace_sec=settings.session_abandon_grace_sec,
            max_pause_sec=settings.session_max_pause_sec,
            interval_sec=settings.session_sweep_interval_sec,
        )
        sweeper.start()
        llm = ModelClient(settings)
        llm.start_loading()  # in the background: the planner answers until the model is ready
        schedules = ScheduleEngine(
            llm,
            model_queue(settings),
            deadline_sec=settings.llm_deadline_sec,
            cache_size=settings.llm_cache_size,
        )
        library_roots = LibraryRoots(settings.library_roots)
        library_roots.ensure_default()
        app.state.neurotune = AppState(
            settings=settings,
            engine=engine,
            session_factory=session_factory,
            hub=hub,
            sweeper=sweeper,
            write_probe=DatabaseWriteProbe(
                interval_sec=settings.db_write_probe_interval_sec,
                timeout_sec=settings.db_write_probe_timeout_sec,
            ),
            # The planner answers every start at once; the model rewrites the future when it can.
            modulation_loop=ModulationLoop(
                hub,
                refiner=schedules if llm.status != "disabled" else None,
                deadline_sec=settings.refine_deadline_sec,
                max_pending=settings.refine_max_pending,
            ),
            llm=llm,
            schedules=schedules,
            library_roots=library_roots,
            scan_jobs=create_scan_jobs(settings, library_roots, session_factory),
            token_secret=settings.token_secret(),
            passwords=PasswordWork(settings.password_hash_concurrency, settings.password_hash_wait_sec),
            login_throttle=LoginThrottle(
                per_email=settings.login_max_failures,
                per_client=settings.login_max_failures_per_client,
                window_sec=settings.login_window_sec,
            ),
        )
        try:
            yield
        finally:
            await app.state.neurotune.scan_jobs.close()
            app.state.neurotune.passwords.close()
            await app.state.neurotune.modulation_loop.close()
            schedules.queue.close()
            llm.close()
            await sweeper.close()
            await hub.close()
            await engine.dispose()

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
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(HeaderSizeLimit, max_bytes=settings.max_header_bytes)  # outermost: checked first
    for module in (health, auth, sessions, presets, intents, llm, live, insights, library):
        app.include_router(module.router)
    mount_web_app(app, settings.web_dir)  # last: API routes win
    return app
