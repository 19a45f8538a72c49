"""/ and /health: is the API up, does its database answer and accept writes, is there room on disk,
what is the model engine doing."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from backend import __version__
from backend.app_state import AppState
from backend.db.health import WriteProbeResult, data_dir_free_mb, read_error
from backend.models.schemas import HealthReport, RootInfo
from backend.routers.deps import StateDep
from backend.routers.responses import answers
from backend.web import index_file, wants_html

router = APIRouter(tags=["health"])


@router.get("/", response_model=RootInfo, responses=answers())
async def root(request: Request, state: StateDep) -> RootInfo | Response:
    """The spec's `{status, version}` for API clients; the web app for a browser."""
    index = index_file(state.settings.web_dir)
    if index is not None and wants_html(request.scope):
        return FileResponse(index)
    return RootInfo(version=__version__)


_HEALTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    **answers(),
    200: {
        "description": 'The database answers. `status` is "ok", or "degraded" with `reasons` when it refuses '
        "writes, the data directory is nearly full, the model failed or Redis does not answer (the server "
        "still reads).",
    },
    503: {"model": HealthReport, "description": "The database does not answer (see `db_error`)."},
}


@router.get("/health", response_model=HealthReport, responses=_HEALTH_RESPONSES)
async def health(state: StateDep) -> JSONResponse:
    """Reads every call (`SELECT 1`), writes at most once per interval (the probe row), free space."""
    db_error = await read_error(state.engine, state.settings.db_health_timeout_sec)
    write = None if db_error else await state.write_probe.check(state.engine)
    free_mb, free_error = data_dir_free_mb(state.settings.data_dir)
    redis_error = (
        None if state.redis is None else await state.redis.ping_error(state.settings.db_health_timeout_sec)
    )
    report = _report(state, db_error, write, free_mb, free_error, redis_error)
    return JSONResponse(report.model_dump(), status_code=503 if db_error else 200)


def _report(
    state: AppState,
    db_error: str | None,
    write: WriteProbeResult | None,
    free_mb: float | None,
    free_error: str | None,
    redis_error: str | None,
) -> HealthReport:
    min_free_mb = state.settings.data_dir_min_free_mb
    reasons = []
    if db_error:
        reasons.append(f"database does not answer: {db_error}")
    if write is not None and write.error:
        reasons.append(f"database refuses writes: {write.error}")
    if free_error:
        reasons.append(f"data directory free space unknown: {free_error}")
    elif free_mb is not None and free_mb < min_free_mb:
        reasons.append(f"data directory has {free_mb:.0f} MB free (< {min_free_mb:g} MB)")
    if state.llm.status == "error":
        reasons.append(f"language model failed ({state.llm.error}); the planner answers")
    if redis_error:
        reasons.append(f"Redis (shared by the workers) does not answer: {redis_error}")
    return HealthReport(
        status="degraded" if reasons else "ok",
        reasons=reasons,
        db="error" if db_error else "ok",
        db_writes="unknown" if write is None else "refused" if write.error else "ok",
        db_write_checked_sec_ago=None if write is None else round(state.write_probe.age_sec(write), 3),
        data_dir_free_mb=None if free_mb is None else round(free_mb, 1),
        llm=state.llm.status,
        redis="disabled" if state.redis is None else "error" if redis_error else "ok",
        db_error=db_error,
        llm_error=state.llm.error,
        redis_error=redis_error,
    )
