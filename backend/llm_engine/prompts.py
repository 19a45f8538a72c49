"""Prompt templates for the schedule model: the defaults that setup seeds, and rendering.

Templates live in the `prompts` table so they can be versioned and switched without a release
(seeding them is the bootstrap's job, `services/bootstrap.py`). Placeholders: see `PLACEHOLDERS`.
"""

import json
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from backend.schedules.refiner import PromptTemplate


@dataclass(frozen=True)
class PromptSeed:
    name: str
    template: str
    version: int = 1
    model: str = "HuggingFaceTB/SmolLM2-135M-Instruct"
    """The model the template was written and tested for (the bundled one)."""


SCHEDULE_PROMPT_NAME = "modulation_schedule"

SYSTEM_MESSAGE = (
    "You plan the middle part of a gentle sound session for one listener. Write it as 1 to 5 lines, "
    "one per segment, each exactly like: - 6.5 Hz, binaural, 8 min\n"
    "The beat in Hz sets the feel (lower is calmer and sleepier, higher is more alert; the music's "
    "tempo follows it), the layer is binaural (needs headphones), isochronic (pulses, works on "
    "speakers) or ambient (a soft bed), and the minutes say how long the segment lasts. Vary the "
    "segments a little; follow what the listener rated highly. Write only the lines."
)
"""Fixed, so its tokens' key/value cache is computed once and reused for every request."""

DEFAULT_PROMPTS: tuple[PromptSeed, ...] = (
    PromptSeed(
        name=SCHEDULE_PROMPT_NAME,
        version=2,
        template=(
            "Listener: {neurotype}. Preferences: {preferences}.\n"
            "Segments this listener rated highly before:\n{history}\n"
            "Beat between {beat_range} Hz (tempo {bpm_range} bpm), layers: {layers}. "
            "The middle part lasts {hold_min} minutes, at most {max_segments} segments. "
            "The whole session lasts {duration_min} minutes; music playing: {current_bpm}.\n"
            'Session intent: "{intent}"'
        ),
    ),
)
"""Variable parts come last and the intent at the very end, so consecutive prompts share a long
prefix (and its cached keys/values)."""

DEFAULT_TEMPLATE = PromptTemplate(
    id=None, version=DEFAULT_PROMPTS[0].version, text=DEFAULT_PROMPTS[0].template
)
"""Prompted with when the database has no active template (`id` None: not a stored row)."""

SUPERSEDED_TEMPLATES = frozenset(
    {
        "You design gentle sound sessions. Write a modulation schedule as JSON for the intent "
        '"{intent}", {duration_min} minutes long, for a listener who is {neurotype}. '
        "Music currently at {current_bpm} BPM. Listener preferences: {preferences}. "
        "Schedules this listener rated highly: {history}. "
        "Start near 10 Hz, glide slowly into the intent's band, hold with gentle variation, "
        "and never change faster than 1 Hz per 5 seconds."
    }
)
"""Earlier seeded defaults, replaced on upgrade; a template the user edited is never touched."""


PLACEHOLDERS = (
    "intent",
    "duration_min",
    "current_bpm",
    "neurotype",
    "preferences",
    "history",
    "beat_range",
    "bpm_range",
    "layers",
    "hold_min",
    "max_segments",
)


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
