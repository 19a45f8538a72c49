"""/presets: a listener's named sessions, to start again. Only ever your own."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response, status

from backend.db.queries import PresetNameTaken, PresetQueries, SessionQueries
from backend.models.orm import Preset
from backend.models.schemas import PresetCreate, PresetOut, PresetStart, SessionStarted
from backend.routers.deps import CurrentUser, DbSession, StateDep
from backend.routers.responses import answers
from backend.routers.sessions import started_answer
from backend.services.presets import keep_as_preset, start_preset

router = APIRouter(prefix="/presets", tags=["presets"])

PresetId = Annotated[int, Path(ge=1, le=2**31 - 1)]
_NO_PRESET = {404: "No such preset of yours."}


def _out(preset: Preset) -> PresetOut:
    return PresetOut(
        id=preset.id,
        name=preset.name,
        intent=preset.intent,
        duration_min=preset.duration_min,
        chosen_family=preset.chosen_family,
        keeps_schedule=preset.schedule is not None,
        created_at=preset.created_at,
    )


async def _own_preset(db: DbSession, preset_id: int, user_id: int) -> Preset:
    preset = await PresetQueries(db).owned(preset_id, user_id)
    if preset is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such preset.")
    return preset


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=PresetOut,
    responses=answers(
        401,
        404,
        409,
        422,
        503,
        notes={404: "No such session of yours.", 409: "You have a preset of that name."},
    ),
)
async def create(body: PresetCreate, user: CurrentUser, db: DbSession) -> PresetOut:
    """Keep one of your sessions under a name."""
    session = await SessionQueries(db).owned(body.session_id, user.id)
    if session is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such session.")
    try:
        return _out(await keep_as_preset(db, user, session, body.name))
    except PresetNameTaken:
        raise HTTPException(status.HTTP_409_CONFLICT, "You already have a preset of that name.") from None


@router.get("", response_model=list[PresetOut], responses=answers(401, 503))
async def presets(user: CurrentUser, db: DbSession) -> list[PresetOut]:
    """Your presets, by name."""
    return [_out(preset) for preset in await PresetQueries(db).of_user(user.id)]


@router.delete(
    "/{preset_id:int}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=answers(401, 404, 422, 503, notes=_NO_PRESET),
)
async def delete(preset_id: PresetId, user: CurrentUser, db: DbSession) -> Response:
    await PresetQueries(db).delete(await _own_preset(db, preset_id, user.id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{preset_id:int}/start",
    status_code=status.HTTP_201_CREATED,
    response_model=SessionStarted,
    responses=answers(401, 404, 422, 503, notes=_NO_PRESET),
)
async def start(
    preset_id: PresetId, body: PresetStart, user: CurrentUser, db: DbSession, state: StateDep
) -> SessionStarted:
    """Start a session from a preset: its kept schedule, or re-planned."""
    preset = await _own_preset(db, preset_id, user.id)
    return started_answer(await start_preset(db, user, preset, body.replan, state.modulation_loop, state.hub))
