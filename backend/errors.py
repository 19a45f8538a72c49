"""Every failure answers with JSON `{"detail": ...}`: 4xx for bad input, 503 for a dead database,
and a bare 500 (never a traceback) for the truly unexpected."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend.security.passwords import HashingBusy

logger = logging.getLogger(__name__)


def _public_error(error: Any) -> dict[str, Any]:
    # Drop "input" and "ctx": they would echo what was sent (passwords included) back to the client.
    return {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""), "type": error.get("type", "")}


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(status_code=422, content={"detail": [_public_error(e) for e in exc.errors()]})


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse(
        status_code=exc.status_code, content={"detail": exc.detail}, headers=getattr(exc, "headers", None)
    )


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    logger.warning("database unavailable during %s %s: %s", request.method, request.url.path, exc)
    return JSONResponse(
        status_code=503,
        content={"detail": "The database is unavailable right now; nothing was changed. Try again shortly."},
        headers={"Retry-After": "5"},
    )


async def _hashing_busy(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HashingBusy)
    return JSONResponse(
        status_code=503,
        content={"detail": "Too many sign-ins at once; nothing was changed. Try again shortly."},
        headers={"Retry-After": str(exc.retry_after_sec)},
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error during %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(status_code=500, content={"detail": "Internal error; it has been logged."})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for db_error in (OperationalError, InterfaceError, PoolTimeoutError, ConnectionError):
        app.add_exception_handler(db_error, _database_unavailable)
    app.add_exception_handler(HashingBusy, _hashing_busy)
    app.add_exception_handler(Exception, _unexpected)
