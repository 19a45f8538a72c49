"""Presets: a listener's named sessions, kept to start again, re-planned or exactly as they were."""

from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.queries import PresetQueries
from backend.live.hub import SessionHub
from backend.live.modulation_loop import ModulationLoop
from backend.models.orm import ListeningSession, Preset, User
from backend.models.schemas import IntentRequest
from backend.schedules.schedule import ModulationSchedule
from backend.schedules.validator import ensure_safe
from backend.services.listening_sessions import StartedSession, chosen_family, start_kept, start_session


async def keep_as_preset(db: AsyncSession, user: User, session: ListeningSession, name: str) -> Preset:
    """Name one of the user's sessions: its intent, length, reading and schedule are kept.
    Raises PresetNameTaken if the user has a preset of that name."""
    schedule = ModulationSchedule.model_validate(session.schedule)
    return await PresetQueries(db).create(
        user_id=user.id,
        name=name,
        intent=session.intent,
        duration_min=max(5, round(schedule.total_duration_sec / 60)),
        chosen_family=chosen_family(session),
        schedule=session.schedule,
    )


async def start_preset(
    db: AsyncSession, user: User, preset: Preset, replan: bool, loop: ModulationLoop, hub: SessionHub
) -> StartedSession:
    """Start a session from a preset: re-planned with what the ratings taught since, or (when it
    kept one) exactly its schedule, validated again."""
    if replan or preset.schedule is None:
        body = IntentRequest(intent=preset.intent, duration_min=preset.duration_min)
        return await start_session(db, user, body, loop, hub, chosen_family=preset.chosen_family)
    kept = ensure_safe(ModulationSchedule.model_validate(preset.schedule))
    return await start_kept(db, user, preset.intent, kept, None, hub)
