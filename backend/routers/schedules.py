"""Schedules that travel: render one to an audio file, import SBaGen and Gnaural files, export `.sbg`,
and start a session from an imported schedule. Only ever your own sessions."""

import re
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Query, UploadFile, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response, StreamingResponse

from backend.audio_render.encode import FORMATS, FormatName
from backend.audio_render.synth import RenderSettings
from backend.db.queries import SessionQueries
from backend.models.orm import ListeningSession, User
from backend.models.schemas import ImportedSchedule, ScheduleIn, SessionStarted
from backend.routers.deps import CurrentUser, DbSession, StateDep
from backend.routers.responses import Responses, answers
from backend.routers.sessions import SessionId, started_answer
from backend.schedule_files.errors import FileRefused
from backend.schedule_files.files import import_file
from backend.schedule_files.sbg import ExportSettings, export
from backend.schedules.listener import UserPreferences
from backend.schedules.schedule import ModulationSchedule
from backend.services.listening_sessions import start_kept
from backend.services.rendering import RETRY_AFTER_SEC as RENDER_RETRY_AFTER_SEC
from backend.services.rendering import RendersBusy, RenderSlots

router = APIRouter(tags=["schedules"])

IMPORT_MAX_BYTES = 256 * 1024
"""Real .sbg and .gnaural files are a few KB. This route's request body may be this large (plus the
multipart envelope) whatever NEUROTUNE_MAX_BODY_BYTES is (main.py)."""

AudioFormat = Annotated[
    FormatName,
    Query(
        alias="format",
        description="wav (16-bit, streamed as it renders), flac, ogg (Opus, 48 kHz) or mp3.",
    ),
]
_NO_SESSION = {404: "No such session of yours."}
_RENDERS_BUSY = {
    503: "Every render slot is busy (NEUROTUNE_RENDER_CONCURRENCY), or the database is unavailable; "
    "retry after Retry-After seconds."
}
_UNSAFE = {422: "The schedule is malformed or outside the safety bounds (the reasons are listed)."}


def _audio_answer(description: str) -> Responses:
    audio = {"schema": {"type": "string", "format": "binary"}}
    media_types = {spec.media_type: audio for spec in FORMATS.values()}
    return {200: {"description": description, "content": media_types}}


def _settings_of(user: User) -> RenderSettings:
    return RenderSettings.for_listener(UserPreferences.model_validate(user.preferences or {}))


def _file_name(intent: str, extension: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", intent.lower()).strip("-")[:60] or "session"
    return f"neurotune-{slug}.{extension}"


def _audio(
    renders: RenderSlots, schedule: ModulationSchedule, settings: RenderSettings, name: FormatName
) -> StreamingResponse:
    try:
        chunks: Iterator[bytes] = renders.render(schedule, settings, name)
    except RendersBusy as busy:
        retry = {"Retry-After": str(RENDER_RETRY_AFTER_SEC)}
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(busy), retry) from None
    return StreamingResponse(
        chunks,
        media_type=FORMATS[name].media_type,
        headers={"Content-Disposition": f'attachment; filename="{_file_name(schedule.intent, name)}"'},
    )


@router.post(
    "/schedules/render",
    response_class=StreamingResponse,
    responses={
        **_audio_answer("The session as an audio file."),
        **answers(401, 422, 503, notes={**_UNSAFE, **_RENDERS_BUSY}),
    },
)
def render_schedule(
    schedule: ScheduleIn, user: CurrentUser, state: StateDep, audio_format: AudioFormat = "flac"
) -> Response:
    """A schedule rendered as the browser plays it, with your preferences (carrier, balance, volumes,
    noise colour, volume cap), faded in and out, never above -1 dBFS."""
    return _audio(state.renders, schedule, _settings_of(user), audio_format)


@router.get(
    "/sessions/{session_id:int}/render",
    response_class=StreamingResponse,
    responses={
        **_audio_answer("The session as an audio file."),
        **answers(401, 404, 422, 503, notes={**_NO_SESSION, **_RENDERS_BUSY}),
    },
)
async def render_session(
    session_id: SessionId,
    user: CurrentUser,
    db: DbSession,
    state: StateDep,
    audio_format: AudioFormat = "flac",
) -> Response:
    """One of your sessions rendered with your preferences."""
    session = await _own_session(db, session_id, user.id)
    return _audio(state.renders, _schedule_of(session), _settings_of(user), audio_format)


@router.get(
    "/sessions/{session_id:int}/export.sbg",
    response_class=Response,
    responses={
        200: {
            "description": "An SBaGen sequence that SBaGen+ or SBaGenX plays as the same session.",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
        **answers(401, 404, 422, 503, notes=_NO_SESSION),
    },
)
async def export_session(session_id: SessionId, user: CurrentUser, db: DbSession) -> Response:
    session = await _own_session(db, session_id, user.id)
    schedule = _schedule_of(session)
    preferences = UserPreferences.model_validate(user.preferences or {})
    settings = ExportSettings(
        carrier_hz=preferences.carrier_hz,
        volume_cap=preferences.volume_max,
        tone_volume=preferences.tone_volume,
        noise_volume=preferences.noise_volume,
    )
    return Response(
        export(schedule, settings),
        media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_file_name(schedule.intent, "sbg")}"'},
    )


@router.post(
    "/schedules/import",
    response_model=ImportedSchedule,
    responses=answers(
        401,
        413,
        422,
        notes={
            413: "The file is larger than the import limit.",
            422: "The file cannot be read, or its session is outside the safety bounds: `msg` says why "
            "and `loc` ends with the file's line number when there is one.",
        },
    ),
)
async def import_schedule(
    file: Annotated[UploadFile, File(description="An SBaGen .sbg or Gnaural .gnaural file.")],
    user: CurrentUser,
    clamp: Annotated[
        bool, Query(description="Fit values outside the safety bounds into them (each change is listed).")
    ] = False,
) -> ImportedSchedule:
    """Read an SBaGen or Gnaural file (the format from its name, else its content) into a schedule that
    passes the validator. Nothing is stored: play it with POST /schedules/start."""
    data = await file.read(IMPORT_MAX_BYTES + 1)
    if len(data) > IMPORT_MAX_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"Files up to {IMPORT_MAX_BYTES} bytes.")
    try:
        imported = import_file(data, file.filename, clamp)
    except FileRefused as refused:
        where: tuple[str | int, ...] = ("body", "file") + (
            (refused.line,) if refused.line is not None else ()
        )
        raise RequestValidationError([{"loc": where, "msg": str(refused), "type": "file_refused"}]) from None
    return ImportedSchedule(
        schedule=imported.schedule, warnings=imported.warnings, source_format=imported.source_format
    )


@router.post(
    "/schedules/start",
    status_code=status.HTTP_201_CREATED,
    response_model=SessionStarted,
    responses=answers(401, 422, 503, notes=_UNSAFE),
)
async def start_schedule(
    schedule: ScheduleIn, user: CurrentUser, db: DbSession, state: StateDep
) -> SessionStarted:
    """Start a session that plays this schedule exactly (an imported one, say); nothing rewrites it."""
    return started_answer(await start_kept(db, user, schedule.intent, schedule, None, state.hub))


async def _own_session(db: DbSession, session_id: int, user_id: int) -> ListeningSession:
    # Someone else's session answers exactly like a missing one.
    session = await SessionQueries(db).owned(session_id, user_id)
    if session is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such session.")
    return session


def _schedule_of(session: ListeningSession) -> ModulationSchedule:
    return ModulationSchedule.model_validate(session.schedule)
