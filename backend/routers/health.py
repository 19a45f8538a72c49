"""/ and /health: is the API up, can it reach its database, what is the model engine doing."""

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from sqlalchemy import text

from backend import __version__
from backend.models.schemas import HealthReport, RootInfo
from backend.routers.deps import StateDep
from backend.web import index_file, wants_html

router = APIRouter(tags=["health"])


@router.get("/", response_model=RootInfo)
async def root(request: Request, state: StateDep) -> RootInfo | Response:
    """The spec's `{status, version}` for API clients; the web app for a browser."""
    index = index_file(state.settings.web_dir)
    if index is not None and wants_html(request.scope):
        return FileResponse(index)
    return RootInfo(version=__version__)


@router.get("/health", response_model=HealthReport, responses={503: {"model": HealthReport}})
async def health(state: StateDep) -> JSONResponse:
    """A real `SELECT 1` with a short timeout; 503 when the database does not answer."""
    db_error: str | None = None
    try:
        async with asyncio.timeout(state.settings.db_health_timeout_sec):
            async with state.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    except TimeoutError:
        db_error = f"no answer within {state.settings.db_health_timeout_sec:g} s"
    except Exception as error:  # any driver failure means "not healthy", never a 500
        db_error = type(error).__name__
    report = HealthReport(
        db="error" if db_error else "ok", llm=state.llm.status, db_error=db_error, llm_error=state.llm.error
    )
    return JSONResponse(report.model_dump(), status_code=503 if db_error else 200)
