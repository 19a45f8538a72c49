"""The listener as the planner sees them: how they describe themselves and what they prefer to hear.

Both are stored with the account (users.neurotype, users.preferences) and shape every schedule.
"""

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class Neurotype(StrEnum):
    """How the user describes themselves; shapes the planner's schedules (spec §2.1)."""

    adhd = "adhd"
    autism = "autism"
    anxiety = "anxiety"
    depression = "depression"
    neurotypical = "neurotypical"
    other = "other"


DurationMin = Annotated[int, Field(ge=5, le=240, description="Planned session length in minutes.")]

CARRIER_HZ_MIN = 100.0
CARRIER_HZ_MAX = 500.0
"""The carrier tone's range: low enough to be gentle, high enough for small speakers to play."""


class UserPreferences(BaseModel):
    """Sensory preferences kept with the account (users.preferences)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    volume_max: float = Field(default=0.5, ge=0.0, le=1.0, description="Hard volume cap, 0-1 of full scale.")
    carrier_hz: float = Field(
        default=200.0, ge=CARRIER_HZ_MIN, le=CARRIER_HZ_MAX, description="Carrier tone for the beats."
    )
    default_duration_min: DurationMin = 30
    preferred_layer: Literal["auto", "binaural", "isochronic"] = Field(
        default="auto", description="isochronic works without headphones; binaural needs stereo."
    )
    noise: Literal["auto", "none", "pink", "brown"] = "auto"
    reduced_motion: bool = False
    balance: float = Field(
        default=0.0, ge=-1.0, le=1.0, description="Left/right balance, -1 (left only) to 1 (right only)."
    )
    tone_volume: float = Field(default=1.0, ge=0.0, le=1.0, description="Beats and pulses, under the cap.")
    noise_volume: float = Field(default=1.0, ge=0.0, le=1.0, description="The noise bed, under the cap.")
    music_volume: float = Field(default=1.0, ge=0.0, le=1.0, description="Your music, under the cap.")
    wake_chime: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="A gentle chime when a session ends; auto: after naps and sessions that end awake.",
    )
