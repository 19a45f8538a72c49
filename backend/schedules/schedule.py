"""The modulation schedule: what the browser synthesises, step by step (spec §3.2).

These models describe *shape* only (types, known layers, no NaN/inf, no unknown keys).
Every perceptual and safety bound lives in `backend.schedules.validator`, the one gate
that every schedule from any source passes before it reaches a speaker.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Layer = Literal["binaural", "isochronic", "ambient"]
"""The entrainment layer a step drives.

binaural   -- two carriers panned left/right, `binaural_freq` apart (needs headphones)
isochronic -- one carrier gated on and off at `binaural_freq` pulses per second
ambient    -- noise/music bed, amplitude-modulated gently at `binaural_freq`
"""

NoiseColour = Literal["none", "pink", "brown"]


def _unset(value: object) -> bool:
    return value is None


class ModulationStep(BaseModel):
    """One point of the schedule: from `timestamp_sec` the sound glides to these targets."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    timestamp_sec: float = Field(description="Seconds from session start at which the glide begins.")
    target_bpm: int = Field(description="Tempo for the music layer, beats per minute.")
    binaural_freq: float = Field(
        description="Beat frequency in Hz (pulse rate for isochronic, modulation rate for ambient)."
    )
    ramp_duration_sec: float = Field(
        description="Seconds the glide from the previous step's values to this step's takes."
    )
    layer: Layer
    noise: NoiseColour = Field(default="none", description="Background noise bed under the layer.")
    # Optional extensions (imported SBaGen/Gnaural sessions carry them; the planner does not). Left
    # out of the JSON when unset, so schedules without them read and serialise exactly as before.
    carrier_hz: float | None = Field(
        default=None,
        exclude_if=_unset,
        description="This step's carrier tone in Hz, glided to like the beat; unset: the listener's carrier. "
        "Set on every step or on none.",
    )
    tone_level: float | None = Field(
        default=None,
        exclude_if=_unset,
        description="The tone's level, 0-1 of the engine's level for the layer (unset: 1).",
    )
    noise_level: float | None = Field(
        default=None,
        exclude_if=_unset,
        description="The noise bed's level, 0-1 of the engine's level for the layer (unset: 1).",
    )


class ModulationSchedule(BaseModel):
    """A whole session's plan. `steps` are sorted by `timestamp_sec`, the first at 0."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    intent: str
    total_duration_sec: int
    steps: list[ModulationStep]
