"""What one running app holds, how it is put together at start-up and taken apart at shutdown.

`start_app_state` builds everything in dependency order: the database (migrated, seeded), Redis if
configured (shared state for several workers), the live hub and its sweeper, the model (its own
process, or the model workers' over Redis) and its queue, the library, the security parts.
`stop_app_state` closes them in reverse.
"""

import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.db.database import create_engine, create_session_factory
from backend.db.health import DatabaseWriteProbe
from backend.db.redis_state import RedisState, connect_redis
from backend.library.roots import LibraryRoots
from backend.library.scan_jobs import ScanJobs, create_scan_jobs
from backend.live.cluster import ClusterLink
from backend.live.cluster_hub import ClusterHub
from backend.live.hub import SessionHub
from backend.live.modulation_loop import ModulationLoop
from backend.live.sweeper import SessionSweeper
from backend.llm_engine.client import ModelClient
from backend.llm_engine.engine import ScheduleEngine
from backend.llm_engine.model_host import ModelHost
from backend.llm_engine.model_queue import ModelQueue, model_queue
from backend.llm_engine.worker_client import ModelWorkerClient
from backend.security.login_throttle import LoginThrottle, RedisLoginThrottle, Throttle
from backend.security.passwords import PasswordWork
from backend.services.bootstrap import prepare_database
from backend.services.rendering import RenderSlots

logger = logging.getLogger(__name__)


@dataclass
class AppState:
    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    redis: RedisState | None
    """Shared with the other workers, when configured."""
    token_secret: str
    login_throttle: Throttle
    passwords: PasswordWork
    renders: RenderSlots
    hub: SessionHub
    sweeper: SessionSweeper
    write_probe: DatabaseWriteProbe
    modulation_loop: ModulationLoop
    library_roots: LibraryRoots
    scan_jobs: ScanJobs
    llm: ModelHost
    schedules: ScheduleEngine


def _model_host(settings: Settings) -> tuple[ModelHost, ModelQueue]:
    """The model in a process of this app's own, or (NEUROTUNE_MODEL_WORKER) the model workers'
    over Redis, never loaded here; then their queue orders the turns, and this one only bounds."""
    if not settings.model_worker:
        return ModelClient(settings), model_queue(settings)
    bounds = settings.llm_queue_max + settings.refine_max_pending + 1
    return ModelWorkerClient(settings), model_queue(settings, concurrency=max(1, bounds))


def _throttle(settings: Settings, redis: RedisState | None) -> Throttle:
    per_email, per_client = settings.login_max_failures, settings.login_max_failures_per_client
    window_sec = settings.login_window_sec
    if redis is None:
        return LoginThrottle(per_email=per_email, per_client=per_client, window_sec=window_sec)
    return RedisLoginThrottle(redis, per_email=per_email, per_client=per_client, window_sec=window_sec)


def _hub(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession], redis: RedisState | None
) -> SessionHub:
    if redis is None:
        return SessionHub(session_factory, lookahead_sec=settings.ws_lookahead_sec)
    return ClusterHub(session_factory, settings.ws_lookahead_sec, ClusterLink(redis))


async def start_app_state(settings: Settings) -> AppState:
    engine = create_engine(settings.resolved_database_url)
    added = await prepare_database(engine)
    logger.info("database ready (%s); %d prompt templates seeded", engine.url.get_backend_name(), added)
    session_factory = create_session_factory(engine)
    redis = None if settings.redis_url is None else connect_redis(settings.redis_url, settings.redis_prefix)
    hub = _hub(settings, session_factory, redis)
    if isinstance(hub, ClusterHub):
        await hub.start()
    sweeper = SessionSweeper(
        session_factory,
        hub,
        grace_sec=settings.session_abandon_grace_sec,
        max_pause_sec=settings.session_max_pause_sec,
        interval_sec=settings.session_sweep_interval_sec,
    )
    sweeper.start()
    llm, queue = _model_host(settings)
    llm.start_loading()  # in the background: the planner answers until the model is ready
    schedules = ScheduleEngine(
        llm, queue, deadline_sec=settings.llm_deadline_sec, cache_size=settings.llm_cache_size
    )
    library_roots = LibraryRoots(settings.library_roots)
    library_roots.ensure_default()
    return AppState(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        redis=redis,
        token_secret=settings.token_secret(),
        login_throttle=_throttle(settings, redis),
        passwords=PasswordWork(settings.password_hash_concurrency, settings.password_hash_wait_sec),
        renders=RenderSlots(settings.render_concurrency),
        hub=hub,
        sweeper=sweeper,
        write_probe=DatabaseWriteProbe(
            interval_sec=settings.db_write_probe_interval_sec, timeout_sec=settings.db_write_probe_timeout_sec
        ),
        # The planner answers every start at once; the model rewrites the future when it can.
        modulation_loop=ModulationLoop(
            hub,
            refiner=schedules if llm.status != "disabled" else None,
            deadline_sec=settings.refine_deadline_sec,
            max_pending=settings.refine_max_pending,
        ),
        library_roots=library_roots,
        scan_jobs=create_scan_jobs(settings, library_roots, session_factory, redis),
        llm=llm,
        schedules=schedules,
    )


async def stop_app_state(state: AppState) -> None:
    await state.scan_jobs.close()
    state.passwords.close()
    await state.modulation_loop.close()
    state.schedules.queue.close()
    state.llm.close()
    await state.sweeper.close()
    await state.hub.close()
    if state.redis is not None:
        await state.redis.close()
    await state.engine.dispose()
