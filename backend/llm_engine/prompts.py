"""Prompt templates for the schedule model: the seeded defaults and idempotent seeding.

Templates live in the `prompts` table so they can be versioned and switched without a release.
Placeholders: {intent} {duration_min} {current_bpm} {neurotype} {preferences} {history}.
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models.orm import Prompt


@dataclass(frozen=True)
class PromptSeed:
    name: str
    template: str
    version: int = 1


DEFAULT_PROMPTS: tuple[PromptSeed, ...] = (
    PromptSeed(
        name="modulation_schedule",
        template=(
            "You design gentle sound sessions. Write a modulation schedule as JSON for the intent "
            '"{intent}", {duration_min} minutes long, for a listener who is {neurotype}. '
            "Music currently at {current_bpm} BPM. Listener preferences: {preferences}. "
            "Schedules this listener rated highly: {history}. "
            "Start near 10 Hz, glide slowly into the intent's band, hold with gentle variation, "
            "and never change faster than 1 Hz per 5 seconds."
        ),
    ),
)


async def seed_prompts(db: AsyncSession) -> int:
    """Insert the default templates that are missing (by name); returns how many were added.

    Existing rows are left alone, so edits made by the user survive re-running setup.
    """
    existing = set((await db.execute(select(Prompt.name))).scalars())
    missing = [seed for seed in DEFAULT_PROMPTS if seed.name not in existing]
    db.add_all(Prompt(name=seed.name, template=seed.template, version=seed.version) for seed in missing)
    await db.commit()
    return len(missing)
