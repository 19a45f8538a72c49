"""How a neurotype bends a family's plan: glide pace, change rate, beat cap, extra stimulation.

Aims and ceilings are fractions of the validator's rate limits: glides are sized at the aim,
and a glide squeezed by a short session may go no faster than the ceiling.
"""

import dataclasses
from dataclasses import dataclass

from backend.schedules.intents import IntentFamily
from backend.schedules.limits import BINAURAL_HZ_MAX
from backend.schedules.listener import Neurotype

ANXIETY_BEAT_CAP_HZ = 15.0
"""For anxious listeners nothing above low beta, whatever the intent: higher beta can feel edgy."""


@dataclass(frozen=True)
class Shaping:
    """How a neurotype bends a family's plan. Aims and ceilings are fractions of the rate limits."""

    rise_aim: float = 0.5
    fall_aim: float = 0.5
    rise_ceiling: float = 0.9
    fall_ceiling: float = 0.9
    min_ramp_sec: int = 10
    variation_period_sec: int = 240
    beat_cap_hz: float = BINAURAL_HZ_MAX
    stimulating: bool = False
    """ADHD: isochronic pulses during the hold and a noise bed keep attention engaged."""


DEFAULT_SHAPING = Shaping()
SHAPINGS: dict[Neurotype, Shaping] = {
    # Predictability over novelty: slower glides, a longer minimum glide, half as many changes.
    Neurotype.autism: Shaping(rise_aim=0.25, fall_aim=0.25, min_ramp_sec=30, variation_period_sec=480),
    # More stimulation: changes twice as often, isochronic hold, noise on.
    Neurotype.adhd: Shaping(variation_period_sec=120, stimulating=True),
    # Never above low beta; downward glides at a quarter of the limit, never past half of it.
    Neurotype.anxiety: Shaping(fall_aim=0.25, fall_ceiling=0.5, beat_cap_hz=ANXIETY_BEAT_CAP_HZ),
}


def shaping_for(neurotype: Neurotype, family: IntentFamily) -> Shaping:
    shaping = SHAPINGS.get(neurotype, DEFAULT_SHAPING)
    if family.sleeps and shaping.stimulating:
        shaping = dataclasses.replace(
            shaping,
            stimulating=False,
            variation_period_sec=max(shaping.variation_period_sec, DEFAULT_SHAPING.variation_period_sec),
        )
    if family.gentle_descent:
        shaping = dataclasses.replace(shaping, fall_aim=shaping.fall_aim / 2)
    return shaping
