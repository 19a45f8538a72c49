"""The answers a route can give besides its own success, declared once for the API document.

A route names its failures by status: `responses=answers(401, 404, 422, 503)`. Three come with every
route without being named, because middleware gives them before any route runs: 400 (a malformed
request: a body that is not UTF-8 JSON, a Content-Length that is not a number), 413 (a body over
NEUROTUNE_MAX_BODY_BYTES, whatever the route: backend/body_limit.py) and 431 (request headers too
large). Every error body is `ErrorDetail` (`{"detail": "..."}`) except 422's `ValidationFailed`.
A route whose answer means something more particular says so with `notes={status: "sentence"}`.
"""

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from backend.models.schemas import ErrorDetail, ValidationFailed

Responses = dict[int | str, dict[str, Any]]

_SECONDS = {"type": "integer", "minimum": 0}
HEADERS: dict[str, dict[str, Any]] = {
    "Retry-After": {"description": "Seconds to wait before trying again.", "schema": _SECONDS},
    "WWW-Authenticate": {"description": "How to authenticate: `Bearer`.", "schema": {"type": "string"}},
    "Location": {"description": "Where to follow the work.", "schema": {"type": "string"}},
    "X-Total-Count": {"description": "Matches in all pages.", "schema": {"type": "integer", "minimum": 0}},
    "Content-Range": {
        "description": "The bytes sent (`bytes 0-99/1000`), or the file's size (`bytes */1000`).",
        "schema": {"type": "string", "pattern": r"^bytes (\*|[0-9]+-[0-9]+)/[0-9]+$"},
    },
    "ETag": {
        "description": "The file's version, for If-None-Match and If-Match.",
        "schema": {"type": "string"},
    },
    "Last-Modified": {"description": "When the file last changed.", "schema": {"type": "string"}},
    "Accept-Ranges": {"description": "`bytes`: ranges are served.", "schema": {"type": "string"}},
}

_ALWAYS = (400, 413, 431)
_DESCRIPTIONS = {
    400: "Malformed request: a body that is not UTF-8 JSON, or a Content-Length that is not a number.",
    401: "Missing, invalid or expired token.",
    403: "Forbidden.",
    404: "Not found.",
    409: "Conflict with the current state.",
    413: "Request body too large.",
    422: "The request does not match this document: a schema, or a rule a description states.",
    429: "Too many attempts; wait Retry-After seconds.",
    431: "Request headers too large.",
    503: "The database (or, with several workers, Redis) is unavailable right now. Retry after Retry-After "
    "seconds: a database outage changed nothing, and every end or rating may safely be sent again.",
}
_REQUIRED_HEADERS = {401: ("WWW-Authenticate",), 429: ("Retry-After",), 503: ("Retry-After",)}


# `user_id` in a body or query may only name the caller (routers/deps.py ensure_self).
USER_ID_NOT_YOURS = "user_id names someone else; it may only name you (the token decides who you are)."


def headers(*names: str) -> dict[str, dict[str, Any]]:
    """The named response headers, each declared as always present."""
    return {name: {**HEADERS[name], "required": True} for name in names}


def answers(*statuses: int, notes: Mapping[int, str] | None = None) -> Responses:
    """The `responses=` of a route: the failures it names plus the three every route can give."""
    notes = notes or {}
    unknown = set(notes) - set(statuses) - set(_ALWAYS)
    if unknown:
        raise ValueError(f"notes for statuses the route does not answer: {sorted(unknown)}")
    declared: Responses = {}
    for status in sorted({*statuses, *_ALWAYS}):
        model: type[BaseModel] = ValidationFailed if status == 422 else ErrorDetail
        answer: dict[str, Any] = {"model": model, "description": notes.get(status, _DESCRIPTIONS[status])}
        if status in _REQUIRED_HEADERS:
            answer["headers"] = headers(*_REQUIRED_HEADERS[status])
        declared[status] = answer
    return declared


def streamed(media_type: str, description: str) -> Responses:
    """A 200 whose body is (or, asked for, may be) a stream of `media_type` text."""
    return {200: {"description": description, "content": {media_type: {"schema": {"type": "string"}}}}}


def server_sent_events(event: str, data: type[BaseModel], description: str) -> Responses:
    """A 200 that is a stream of `event` events, each one's data a `data` as JSON."""
    each_event = {
        "type": "object",
        "required": ["event", "data"],
        "properties": {
            "event": {"const": event},
            "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": {"$ref": f"#/components/schemas/{data.__name__}"},
            },
        },
    }
    return {200: {"description": description, "content": {"text/event-stream": {"schema": each_event}}}}


def _optional_header(name: str, description: str, examples: list[str]) -> dict[str, Any]:
    # Any text is accepted: a header that cannot be understood is ignored (RFC 9110 §13.1, §14.2).
    return {
        "name": name,
        "in": "header",
        "required": False,
        "description": description,
        "schema": {"type": "string"},
        "examples": {f"example{i}": {"value": value} for i, value in enumerate(examples)},
    }


# The request headers file_answers' statuses answer to: `openapi_extra={"parameters": FILE_REQUEST_HEADERS}`.
FILE_REQUEST_HEADERS = [
    _optional_header(
        "Range",
        "One byte range (GET): 206, or 416 past the end.",
        ["bytes=0-99", "bytes=-64", "bytes=4000000000-"],
    ),
    _optional_header("If-Range", "Send the range only if the file is still this version.", ['"0-0"']),
    _optional_header("If-None-Match", "304 if the file is still one of these versions.", ["*"]),
    _optional_header(
        "If-Modified-Since", "304 unless changed since then.", ["Fri, 01 Jan 2100 00:00:00 GMT"]
    ),
    _optional_header("If-Match", "412 unless the file is one of these versions.", ['"another-version"']),
    _optional_header("If-Unmodified-Since", "412 if changed since then.", ["Thu, 01 Jan 1970 00:00:00 GMT"]),
]


def file_answers(media_types: list[str]) -> Responses:
    """A file served with ranges and conditional requests (backend/library/range_stream.py)."""
    audio = {"schema": {"type": "string", "format": "binary"}}
    validators = headers("ETag", "Last-Modified", "Accept-Ranges")
    return {
        200: {
            "description": "The whole file.",
            "content": dict.fromkeys(media_types, audio),
            "headers": validators,
        },
        206: {
            "description": "The requested range (one range; several are ignored and the whole file sent).",
            "content": dict.fromkeys(media_types, audio),
            "headers": {**validators, **headers("Content-Range")},
        },
        304: {
            "description": "Not modified: your copy (If-None-Match, If-Modified-Since) is current.",
            "headers": validators,
        },
        412: {
            "model": ErrorDetail,
            "description": "The file has changed since the version If-Match or If-Unmodified-Since names.",
            "headers": validators,
        },
        416: {
            "model": ErrorDetail,
            "description": "The range starts past the file's end; Content-Range gives the size.",
            "headers": {**validators, **headers("Content-Range")},
        },
    }
