"""Serve one file over HTTP with validators, conditional requests and single byte ranges (RFC 9110).

Starlette's FileResponse also serves ranges, but it answers a malformed Range with 400 instead of
ignoring it, has no If-None-Match/If-Modified-Since (304) or If-Match/If-Unmodified-Since (412),
sends an empty 416, and only notices a missing file once the response is being sent, too late for a
404. So this module decides the status itself and streams the bytes with StreamingResponse.

The file is opened before anything is decided and that one open file is what gets sent: if the
path is deleted or replaced after the call, the client still receives exactly the bytes the
headers (size, ETag) describe.
"""

import email.utils
import os
import re
import stat
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import BinaryIO, Literal

import anyio.to_thread
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

# Private: the stream URL is authorised per user; must-revalidate lets the browser keep its copy
# and ask with If-None-Match instead of downloading the track again.
_CACHE_CONTROL = "private, max-age=0, must-revalidate"
# No real file has a 21-digit size, so longer positions all mean "past the end"; capping the digit
# count keeps int() cheap on a hostile header.
_MAX_POSITION_DIGITS = 20
_PAST_ANY_END = 10**_MAX_POSITION_DIGITS
_ENTITY_TAG = re.compile(r'(W/)?("[^"]*")')
_INT_RANGE = re.compile(r"([0-9]+)-([0-9]*)")
_SUFFIX_RANGE = re.compile(r"-([0-9]+)")
_OWS = " \t"


class FileGone(Exception):
    """The file cannot be opened, or is not a regular file; the caller should answer 404."""


class FileTruncated(Exception):
    """The file shrank while it was being sent. Headers are already out, so no status can report
    it; the server drops the connection and the client sees a short body."""


@dataclass(frozen=True)
class _Validators:
    etag: str  # quoted, strong
    mtime_sec: int  # what Last-Modified says: whole seconds
    strong_date: bool  # Last-Modified is a strong validator only once the file is a second old


@dataclass(frozen=True)
class _Span:
    start: int
    length: int


def file_response(request: Request, path: Path, media_type: str, *, chunk_size: int = 64 * 1024) -> Response:
    """The response to a GET or HEAD of the file at `path`, honouring Range and the conditional
    request headers. Raises FileGone if the file cannot be opened; the returned response owns the
    open file and closes it once sent."""
    if chunk_size <= 0:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    file, info = _open_regular_file(path)
    try:
        response = _respond(request, file, info, media_type, chunk_size)
    except BaseException:
        file.close()
        raise
    if not isinstance(response, _FileSpanResponse):
        file.close()
    return response


def _open_regular_file(path: Path) -> tuple[BinaryIO, os.stat_result]:
    # fstat on the open file, not stat on the path, so the size and validators describe the very
    # bytes we will read.
    try:
        file = open(path, "rb", opener=_open_nonblocking)  # noqa: SIM115 - the response closes it
    except OSError as error:
        raise FileGone(f"cannot open {path}: {error.strerror}") from error
    try:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise FileGone(f"{path} is not a regular file")
    except BaseException:
        file.close()
        raise
    return file, info


def _open_nonblocking(path: str, flags: int) -> int:
    # A FIFO put where a track was would otherwise hang the event loop in open(); O_NONBLOCK has
    # no effect on regular files.
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def _respond(
    request: Request, file: BinaryIO, info: os.stat_result, media_type: str, chunk_size: int
) -> Response:
    size = info.st_size
    mtime_sec = info.st_mtime_ns // 1_000_000_000
    validators = _Validators(
        etag=f'"{size:x}-{info.st_mtime_ns:x}"',
        mtime_sec=mtime_sec,
        strong_date=time.time() - mtime_sec >= 1,
    )
    headers = {
        "accept-ranges": "bytes",
        "etag": validators.etag,
        "last-modified": email.utils.formatdate(mtime_sec, usegmt=True),
        "cache-control": _CACHE_CONTROL,
    }

    precondition = _precondition_status(request.headers, validators)
    if precondition == 304:
        return Response(status_code=304, headers=headers)
    if precondition == 412:
        return _error(412, "The file has changed since the version the request names.", headers, request)

    requested = _requested_span(request, validators, size)
    if requested == "unsatisfiable":
        headers["content-range"] = f"bytes */{size}"
        return _error(
            416, f"The requested range is outside the file, which has {size} bytes.", headers, request
        )
    headers["content-type"] = media_type
    if requested is None:
        span, status = _Span(0, size), 200
    else:
        span, status = requested, 206
        headers["content-range"] = f"bytes {span.start}-{span.start + span.length - 1}/{size}"
    headers["content-length"] = str(span.length)
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers)
    return _FileSpanResponse(file, span, chunk_size, status_code=status, headers=headers)


def _error(status_code: int, detail: str, headers: dict[str, str], request: Request) -> Response:
    response = JSONResponse({"detail": detail}, status_code=status_code, headers=headers)
    if request.method == "HEAD":  # the same headers, Content-Length included, and no body
        response.body = b""
    return response


def _precondition_status(headers: Headers, validators: _Validators) -> Literal[304, 412] | None:
    """RFC 9110 §13.2.2 steps 1-4, for GET and HEAD: 412, 304, or None to carry on."""
    if_match = _joined(headers, "if-match")
    if if_match is not None:
        if not _any_tag_matches(if_match, validators.etag, weak=False):
            return 412
    else:
        unmodified_since = _http_date(_single(headers, "if-unmodified-since"))
        if unmodified_since is not None and validators.mtime_sec > unmodified_since:
            return 412
    if_none_match = _joined(headers, "if-none-match")
    if if_none_match is not None:
        if _any_tag_matches(if_none_match, validators.etag, weak=True):
            return 304
    else:
        modified_since = _http_date(_single(headers, "if-modified-since"))
        if modified_since is not None and validators.mtime_sec <= modified_since:
            return 304
    return None


def _requested_span(
    request: Request, validators: _Validators, size: int
) -> _Span | Literal["unsatisfiable"] | None:
    """The single range to send, "unsatisfiable" (416), or None to send the whole file (200)."""
    # RFC 9110 §14.2 defines range handling for GET only, so HEAD describes the full body.
    range_value = _single(request.headers, "range")
    if request.method != "GET" or range_value is None or not _if_range_holds(request.headers, validators):
        return None
    return _parse_range(range_value, size)


def _if_range_holds(headers: Headers, validators: _Validators) -> bool:
    values = headers.getlist("if-range")
    if not values:
        return True
    if len(values) > 1:
        return False
    value = values[0].strip(_OWS)
    if value.startswith(('"', "W/")):
        # Strong comparison (§13.1.5): a weak tag never matches, so it never yields a partial body.
        return value == validators.etag
    date = _http_date(value)
    return date is not None and validators.strong_date and date == validators.mtime_sec


def _parse_range(value: str, size: int) -> _Span | Literal["unsatisfiable"] | None:
    """One `bytes=` range as a span within the file; None when the header is to be ignored.

    An invalid header (other unit, garbage, first > last) is ignored and the whole file sent, as
    RFC 9110 §14.2 allows, rather than answered with 400: a client that sent nonsense still gets
    the track. Several ranges are ignored too (the RFC lets a server ignore Range altogether):
    <audio> and <video> only ever ask for one, and multipart/byteranges would be code nobody calls.
    """
    unit, equals, range_set = value.partition("=")
    if not equals or unit.strip(_OWS).lower() != "bytes":
        return None
    # Empty list elements ("bytes=0-99,") are allowed and mean nothing (RFC 9110 §5.6.1).
    specs = [spec for spec in (part.strip(_OWS) for part in range_set.split(",")) if spec]
    if len(specs) != 1:
        return None
    if match := _INT_RANGE.fullmatch(specs[0]):
        first = _position(match[1])
        last = _position(match[2]) if match[2] else None
        if last is not None and last < first:
            return None
        if first >= size:
            return "unsatisfiable"
        end = size - 1 if last is None else min(last, size - 1)
        return _Span(first, end - first + 1)
    if match := _SUFFIX_RANGE.fullmatch(specs[0]):
        length = min(_position(match[1]), size)
        return _Span(size - length, length) if length > 0 else "unsatisfiable"
    return None


def _position(digits: str) -> int:
    significant = digits.lstrip("0") or "0"
    return int(significant) if len(significant) <= _MAX_POSITION_DIGITS else _PAST_ANY_END


def _any_tag_matches(field_value: str, etag: str, *, weak: bool) -> bool:
    """Whether an If-Match/If-None-Match list names `etag` (our own tag is always strong)."""
    if field_value.strip(_OWS) == "*":
        return True
    return any(
        opaque == etag and (weak or not weak_prefix)
        for weak_prefix, opaque in _ENTITY_TAG.findall(field_value)
    )


def _http_date(value: str | None) -> int | None:
    """Seconds since the epoch for any of the three HTTP-date forms; None if absent or invalid."""
    if value is None:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:  # asctime form: HTTP-dates are always GMT
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


def _single(headers: Headers, name: str) -> str | None:
    """The field's value, or None when absent or sent more than once (which makes it invalid)."""
    values = headers.getlist(name)
    return values[0] if len(values) == 1 else None


def _joined(headers: Headers, name: str) -> str | None:
    """A list-valued field, its lines joined as RFC 9110 §5.3 says, or None when absent."""
    values = headers.getlist(name)
    return ", ".join(values) if values else None


class _FileSpanResponse(StreamingResponse):
    """Streams `span` of an open file and closes the file however sending ends."""

    def __init__(
        self, file: BinaryIO, span: _Span, chunk_size: int, *, status_code: int, headers: dict[str, str]
    ) -> None:
        self._file = file
        super().__init__(_read_span(file, span, chunk_size), status_code=status_code, headers=headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # A read already in its worker thread finishes before cancellation reaches us, so no
            # read can race this close.
            self._file.close()


async def _read_span(file: BinaryIO, span: _Span, chunk_size: int) -> AsyncIterator[bytes]:
    offset, end = span.start, span.start + span.length
    while offset < end:
        chunk = await anyio.to_thread.run_sync(_read_at, file, offset, min(chunk_size, end - offset))
        if not chunk:
            raise FileTruncated(f"{file.name} ended at byte {offset}, before the {end} promised")
        offset += len(chunk)
        yield chunk


def _read_at(file: BinaryIO, offset: int, size: int) -> bytes:
    file.seek(offset)
    return file.read(size)
