"""/library: list the shared music library, scan folders into it, stream its tracks.

Every endpoint needs a logged-in user; the library itself is shared by all users. Streaming also
accepts a signed URL (`exp` + `sig` from a listed track's `stream_url`), because an `<audio>`
element cannot send an Authorization header.
"""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from backend.library.catalog import LibraryQueries
from backend.library.range_stream import FileGone, file_response
from backend.library.roots import (
    InvalidLibraryPath,
    LibraryDirectory,
    LibraryDirectoryNotFound,
    LibraryPathError,
    NotALibraryDirectory,
    OutsideLibraryRoots,
)
from backend.library.scan_jobs import ScanRunning, TooManyScans
from backend.models.orm import LibraryFile
from backend.models.schemas import (
    LibraryQuery,
    LibraryRoot,
    LibraryTrack,
    ScanConflict,
    ScanJob,
    ScanRequest,
)
from backend.routers.deps import CurrentUser, DbSession, StateDep, get_current_user
from backend.routers.responses import (
    FILE_REQUEST_HEADERS,
    HEADERS,
    answers,
    file_answers,
    headers,
    server_sent_events,
)
from backend.security.signed_urls import sign_stream_url, verify_stream_signature

router = APIRouter(prefix="/library", tags=["library"])

# INT column on MySQL: larger ids cannot exist, and must not reach the driver.
TrackId = Annotated[int, Path(ge=1, le=2**31 - 1)]
JobId = Annotated[str, Path(max_length=64)]
MEDIA_TYPES = {
    "wav": "audio/wav",
    "flac": "audio/flac",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "opus": "audio/ogg",  # Opus files are Ogg containers; browsers know audio/ogg best
}
_NO_TRACK = "No such track, or it cannot be streamed."
_NO_JOB = "No such scan job (finished jobs are kept for a while, not forever)."
_PATH_ERROR_STATUS: dict[type[LibraryPathError], int] = {
    # The file system refused the path (too long a name, a loop): no directory there can be scanned.
    InvalidLibraryPath: status.HTTP_404_NOT_FOUND,
    OutsideLibraryRoots: status.HTTP_403_FORBIDDEN,
    LibraryDirectoryNotFound: status.HTTP_404_NOT_FOUND,
    NotALibraryDirectory: status.HTTP_400_BAD_REQUEST,
}
_NO_JOB_NOTE = {404: _NO_JOB}
_STREAM_ANSWERS = {
    **answers(
        401,
        404,
        422,
        503,
        notes={401: "Neither a valid signed URL (exp, sig) nor a valid token.", 404: _NO_TRACK},
    ),
    **file_answers(sorted(set(MEDIA_TYPES.values()) | {"application/octet-stream"})),
}
_RANGES = {"parameters": FILE_REQUEST_HEADERS}
# Not auto_error: a stream request may authenticate with its signed URL instead.
_optional_bearer = HTTPBearer(auto_error=False)


def _track_out(row: LibraryFile, state: StateDep) -> LibraryTrack:
    relative = state.library_roots.relative(row.file_path)
    streamable = row.error is None and relative is not None
    return LibraryTrack(
        id=row.id,
        filename=row.filename,
        file_path=relative if relative is not None else row.filename,  # never an absolute path
        format=row.format,
        # MySQL's FLOAT is single precision: 119.99 would come back as 119.98999786376953.
        duration_sec=None if row.duration_sec is None else round(row.duration_sec, 3),
        bpm=None if row.bpm is None else round(row.bpm, 2),
        key_signature=row.key_signature,
        tags=row.tags,
        size_bytes=row.size_bytes,
        analyzed_at=row.analyzed_at,
        error=row.error,
        stream_url=sign_stream_url(row.id, state.token_secret, state.settings.stream_url_ttl_sec)
        if streamable
        else None,
    )


@router.get(
    "",
    response_model=list[LibraryTrack],
    responses={**answers(401, 422, 503), 200: {"headers": headers("X-Total-Count")}},
)
async def list_tracks(
    query: Annotated[LibraryQuery, Query()],
    user: CurrentUser,
    db: DbSession,
    state: StateDep,
    response: Response,
) -> list[LibraryTrack]:
    queries = LibraryQueries(db)
    response.headers["X-Total-Count"] = str(await queries.count(query))
    return [_track_out(row, state) for row in await queries.list(query)]


@router.get("/roots", response_model=list[LibraryRoot], responses=answers(401, 503))
async def roots(user: CurrentUser, db: DbSession, state: StateDep) -> list[LibraryRoot]:
    library_roots = state.library_roots
    queries = LibraryQueries(db)
    return [
        LibraryRoot(index=i, path=str(configured), track_count=await queries.count_below(real))
        for i, (configured, real) in enumerate(zip(library_roots.configured, library_roots.real, strict=True))
    ]


def _directory(state: StateDep, requested: str | None) -> LibraryDirectory:
    try:
        return state.library_roots.resolve_directory(requested)
    except LibraryPathError as error:
        raise HTTPException(_PATH_ERROR_STATUS[type(error)], str(error)) from None


_SCAN_ANSWERS = answers(
    400,
    401,
    403,
    404,
    409,
    422,
    429,
    503,
    notes={
        400: "Malformed request, or directory_path names a file, not a directory.",
        403: "directory_path is outside the library roots.",
        404: "No such directory in the library, or none the file system lets us read.",
        409: "Workers sharing Redis scan one folder at a time: another folder's scan is "
        "running on another worker. Location (when known) follows it; retry after it ends.",
        429: "Too many scans are queued already; retry after Retry-After seconds.",
    },
)
# The running scan's Location is sent when this worker can see it (its snapshot is shared).
_SCAN_ANSWERS[409].update(
    model=ScanConflict, headers={**headers("Retry-After"), "Location": HEADERS["Location"]}
)


@router.post(
    "/scan",
    response_model=ScanJob,
    responses={
        **_SCAN_ANSWERS,
        200: {"description": "The scan ended within wait_sec: its result."},
        202: {
            "model": ScanJob,
            "description": "Still scanning: follow the Location (or its /events).",
            "headers": headers("Location"),
        },
    },
)
async def scan(
    body: ScanRequest, user: CurrentUser, db: DbSession, state: StateDep, response: Response
) -> ScanJob | JSONResponse:
    await db.close()  # waiting up to wait_sec must not hold a pooled connection
    directory = _directory(state, body.directory_path)
    try:
        job_id = await state.scan_jobs.start(directory)
    except TooManyScans as error:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, str(error), {"Retry-After": "60"}) from None
    except ScanRunning as busy:
        return _scan_running(busy)
    job = await state.scan_jobs.wait(job_id, body.wait_sec)
    if job is None:  # forgotten already: only if a flood of scans pushed it out of the registry
        raise HTTPException(status.HTTP_404_NOT_FOUND, _NO_JOB)
    if job.status in ("queued", "running"):
        response.status_code = status.HTTP_202_ACCEPTED
        response.headers["Location"] = f"/library/scan/{job_id}"
    return job


def _scan_running(busy: ScanRunning) -> JSONResponse:
    running = busy.running
    answer_headers = {"Retry-After": "5"}
    detail = str(busy)
    if running is not None:
        answer_headers["Location"] = f"/library/scan/{running.job_id}"
        detail = f"a scan of {running.directory!r} is {running.status}; follow it, then try again"
    conflict = ScanConflict(detail=detail, running=running)
    return JSONResponse(conflict.model_dump(mode="json"), status.HTTP_409_CONFLICT, answer_headers)


@router.get(
    "/scan/{job_id}", response_model=ScanJob, responses=answers(401, 404, 422, 503, notes=_NO_JOB_NOTE)
)
async def scan_status(job_id: JobId, user: CurrentUser, state: StateDep) -> ScanJob:
    job = await state.scan_jobs.snapshot(job_id)
    if job is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, _NO_JOB)
    return job


@router.get(
    "/scan/{job_id}/events",
    response_class=StreamingResponse,
    responses={
        **answers(401, 404, 422, 503, notes=_NO_JOB_NOTE),
        **server_sent_events("progress", ScanJob, "The job at each change, until it ends."),
    },
)
async def scan_events(job_id: JobId, user: CurrentUser, db: DbSession, state: StateDep) -> StreamingResponse:
    """Server-sent events: a ScanJob snapshot whenever it changes, until the scan ends."""
    await db.close()  # the stream may last minutes; it needs no connection
    if await state.scan_jobs.snapshot(job_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, _NO_JOB)

    async def events() -> AsyncIterator[str]:
        async for job in state.scan_jobs.updates(job_id):
            yield f"event: progress\ndata: {job.model_dump_json()}\n\n"

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


@router.get(
    "/{track_id:int}/stream", response_class=Response, responses=_STREAM_ANSWERS, openapi_extra=_RANGES
)
@router.head(
    "/{track_id:int}/stream", response_class=Response, responses=_STREAM_ANSWERS, openapi_extra=_RANGES
)
async def stream(
    track_id: TrackId,
    request: Request,
    state: StateDep,
    db: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_optional_bearer)],
    exp: Annotated[str | None, Query(max_length=20)] = None,
    sig: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    if not verify_stream_signature(track_id, exp, sig, state.token_secret):
        await get_current_user(state, db, credentials)  # 401 unless a valid Bearer token
    row = await LibraryQueries(db).by_id(track_id)
    await db.close()  # the response may stream for minutes; it needs no connection
    if row is None or row.error is not None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, _NO_TRACK)
    path = state.library_roots.resolve_file(row.file_path)
    if path is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, _NO_TRACK)
    try:
        return file_response(request, path, MEDIA_TYPES.get(row.format or "", "application/octet-stream"))
    except FileGone:
        raise HTTPException(status.HTTP_404_NOT_FOUND, _NO_TRACK) from None
