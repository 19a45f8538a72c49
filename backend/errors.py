"""Every failure answers with JSON `{"detail": ...}`: 4xx for bad input, 503 for a dead database,
and a bare 500 (never a traceback) for the truly unexpected.

A method a path does not serve answers 405 with `Allow` naming every method that path serves, and
OPTIONS (which no route serves) answers 204 with the same `Allow` (RFC 9110 §9.3.7, §15.5.6).
CORS preflights never get here: CORSMiddleware answers them first.
"""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from redis.exceptions import RedisError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from backend.db.database import brief_error
from backend.models.schemas import ValidationFailed, ValidationIssue
from backend.security.passwords import HashingBusy

logger = logging.getLogger(__name__)

_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _public_error(error: Any) -> ValidationIssue:
    # Drop "input" and "ctx": they would echo what was sent (passwords included) back to the client.
    return ValidationIssue(
        loc=list(error.get("loc", ())), msg=error.get("msg", ""), type=error.get("type", "")
    )


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    body = ValidationFailed(detail=[_public_error(e) for e in exc.errors()])
    return JSONResponse(status_code=422, content=body.model_dump())


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 405:
        return _method_not_allowed(request)
    return JSONResponse(
        status_code=exc.status_code, content={"detail": exc.detail}, headers=getattr(exc, "headers", None)
    )


def _method_not_allowed(request: Request) -> Response:
    allow = ", ".join(sorted(_served_methods(request) | {"OPTIONS"}))
    if request.method == "OPTIONS":
        return Response(status_code=204, headers={"Allow": allow})
    return JSONResponse(status_code=405, content={"detail": "Method Not Allowed"}, headers={"Allow": allow})


def _served_methods(request: Request) -> set[str]:
    """The methods something serves at this path. Routing's own 405 names only the first matching
    route's (GET /auth/me but not its PATCH), and the web app's files none, so each is asked: for
    each method, the route routing would pick, as routing picks it (the first full match)."""
    served = set()
    for method in _METHODS:
        # A scope of its own: matching may note things in the scope it is given.
        probe = {
            key: request.scope[key]
            for key in ("type", "path", "root_path", "headers")
            if key in request.scope
        }
        probe["method"] = method
        for route in request.app.router.routes:
            if route.matches(probe)[0] is Match.FULL:
                # A mount is the web app's static files (backend/web.py), which serve GET and HEAD.
                if not isinstance(route, Mount) or method in ("GET", "HEAD"):
                    served.add(method)
                break
    return served


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    # The driver's words only: the SQL and its parameters may hold user data (notes, emails, hashes).
    logger.warning(
        "database unavailable during %s %s: %s", request.method, request.url.path, brief_error(exc)
    )
    return JSONResponse(
        status_code=503,
        content={"detail": "The database is unavailable right now; nothing was changed. Try again shortly."},
        headers={"Retry-After": "5"},
    )


async def _shared_state_unavailable(request: Request, exc: Exception) -> JSONResponse:
    logger.warning("Redis unavailable during %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return JSONResponse(
        status_code=503,
        content={
            "detail": "The workers' shared state (Redis) is unavailable right now. Try again shortly; "
            "ending or rating a session again is safe."
        },
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
    app.add_exception_handler(RedisError, _shared_state_unavailable)
    app.add_exception_handler(HashingBusy, _hashing_busy)
    app.add_exception_handler(Exception, _unexpected)
