"""/intents: the kinds of session the planner knows (to correct a reading, or to choose one)."""

from fastapi import APIRouter

from backend.models.schemas import FamilyOption
from backend.routers.responses import answers
from backend.schedules.explain import FAMILY_LABELS
from backend.schedules.intents import FAMILIES

router = APIRouter(prefix="/intents", tags=["sessions"])


@router.get("/families", response_model=list[FamilyOption], responses=answers())
async def families() -> list[FamilyOption]:
    """Every intent family with its name in words and its bands (before a neurotype's shaping)."""
    return [
        FamilyOption(
            family=family.name, label=FAMILY_LABELS[family.name], beat_hz=family.beat_hz, bpm=family.bpm
        )
        for family in FAMILIES
    ]
