"""Glides sized to the rate limits: how long a change takes at a shaping's pace, and how far a
squeezed glide may go without passing its ceiling. `Timeline` adds steps in time order."""

import math
from typing import NamedTuple

from backend.schedules.limits import MAX_BEAT_RATE_HZ_PER_SEC, MAX_BPM_RATE_PER_SEC
from backend.schedules.schedule import Layer, ModulationStep, NoiseColour
from backend.schedules.shaping import Shaping


class Level(NamedTuple):
    beat_hz: float
    bpm: int


def glide_sec(source: Level, target: Level, shaping: Shaping) -> int:
    """The glide length that keeps both beat and tempo at the shaping's aimed rate."""
    hz_change = target.beat_hz - source.beat_hz
    bpm_change = target.bpm - source.bpm
    hz_aim = shaping.rise_aim if hz_change > 0 else shaping.fall_aim
    bpm_aim = shaping.rise_aim if bpm_change > 0 else shaping.fall_aim
    return max(
        shaping.min_ramp_sec,
        math.ceil(abs(hz_change) / (MAX_BEAT_RATE_HZ_PER_SEC * hz_aim)),
        math.ceil(abs(bpm_change) / (MAX_BPM_RATE_PER_SEC * bpm_aim)),
    )


def reachable(source: Level, target: Level, ramp_sec: int, shaping: Shaping) -> Level:
    """How far toward `target` a glide of `ramp_sec` may go without passing the ceilings.

    Changes are truncated toward `source` (to 0.01 Hz and whole BPM), so rounding can only
    make the glide slower.
    """
    hz_change = target.beat_hz - source.beat_hz
    bpm_change = target.bpm - source.bpm
    hz_ceiling = shaping.rise_ceiling if hz_change > 0 else shaping.fall_ceiling
    bpm_ceiling = shaping.rise_ceiling if bpm_change > 0 else shaping.fall_ceiling
    hz_room = hz_ceiling * MAX_BEAT_RATE_HZ_PER_SEC * ramp_sec
    bpm_room = bpm_ceiling * MAX_BPM_RATE_PER_SEC * ramp_sec
    hz_step = math.trunc(clamp(hz_change, -hz_room, hz_room) * 100) / 100
    bpm_step = math.trunc(clamp(bpm_change, -bpm_room, bpm_room))
    return Level(round(source.beat_hz + hz_step, 2), source.bpm + bpm_step)


class Timeline:
    """Steps in time order; each glide is sized from its change and the time it is given."""

    def __init__(self, start: Level, layer: Layer, noise: NoiseColour, shaping: Shaping) -> None:
        self._shaping = shaping
        self._noise: NoiseColour = noise
        self.level = start
        self.layer: Layer = layer
        self.steps = [self._step(0, start, 0, layer)]

    def glide(self, at_sec: int, target: Level, window_sec: int, layer: Layer) -> int:
        """Add a step at `at_sec` heading for `target`, its ramp at most `window_sec`.

        Returns the ramp used; 0 if nothing would change (no step is added then).
        """
        planned_sec = glide_sec(self.level, target, self._shaping)
        ramp_sec = min(planned_sec, window_sec)
        reached = (
            target if ramp_sec == planned_sec else reachable(self.level, target, ramp_sec, self._shaping)
        )
        if reached == self.level and layer == self.layer:
            return 0
        self.steps.append(self._step(at_sec, reached, ramp_sec, layer))
        self.level, self.layer = reached, layer
        return ramp_sec

    def _step(self, at_sec: int, level: Level, ramp_sec: int, layer: Layer) -> ModulationStep:
        return ModulationStep(
            timestamp_sec=at_sec,
            target_bpm=level.bpm,
            binaural_freq=level.beat_hz,
            ramp_duration_sec=ramp_sec,
            layer=layer,
            noise=self._noise,
        )


def clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)
