"""Prompt templates for the schedule model: the seeded defaults and idempotent seeding.

Templates live in the `prompts` table so they can be versioned and switched without a release.
Placeholders: {intent} {duration_min} {current_bpm} {neurotype} {preferences} {history}.
"""

import json
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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


PLACEHOLDERS = ("intent", "duration_min", "current_bpm", "neurotype", "preferences", "history")


class _KeepUnknown(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render_prompt(template: str, values: Mapping[str, Any]) -> str:
    """Fill the template's known placeholders; lists and dicts (e.g. {history}) become compact JSON.

    Only the template is parsed for placeholders, never the values, so braces in a user's intent
    cannot inject new ones. Unknown placeholders and stray braces are left as written.
    """
    filled = _KeepUnknown(
        {
            key: json.dumps(value, separators=(",", ":"), ensure_ascii=False)
            if isinstance(value, list | dict | tuple)
            else str(value)
            for key, value in values.items()
            if key in PLACEHOLDERS
        }
    )
    parts = []
    for literal, field, spec, conversion in string.Formatter().parse(template):
        parts.append(literal)
        if field is None:
            continue
        if field in filled and not spec and not conversion:
            parts.append(filled[field])
        else:
            parts.append(
                "{" + field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            )
    return "".join(parts)


async def seed_prompts(db: AsyncSession) -> int:
    """Insert the default templates that are missing (by name); returns how many were added.

    Existing rows are left alone, so edits made by the user survive re-running setup.
    """
    existing = set((await db.execute(select(Prompt.name))).scalars())
    missing = [seed for seed in DEFAULT_PROMPTS if seed.name not in existing]
    db.add_all(Prompt(name=seed.name, template=seed.template, version=seed.version) for seed in missing)
    await db.commit()
    return len(missing)
