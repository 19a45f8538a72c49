"""The curves the engine's parameters follow, as frontend/lib/scheduleMath.ts `glides` draws them.

A step at t with ramp r glides linearly from the curve's value at t to the step's target during
[t, t + max(r, min_ramp)], cut short by the next step; the first step holds its own value from the
start. `Curve` evaluates such a piecewise-linear curve over a block of samples, as a scalar when it
is flat there (most blocks), so the renderer does per-sample work only inside glides.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from backend.schedules.schedule import ModulationStep

Samples = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Glide:
    """One linear segment: `from_value` at `start_sec`, `to_value` at `end_sec`, held afterwards."""

    start_sec: float
    end_sec: float
    from_value: float
    to_value: float


def glides(
    steps: Sequence[ModulationStep], value_of: Callable[[ModulationStep], float], min_ramp_sec: float = 0.0
) -> list[Glide]:
    """The segments one parameter follows (scheduleMath.ts `glides`, step for step)."""
    ordered = sorted(steps, key=lambda step: step.timestamp_sec)
    result: list[Glide] = []
    current = value_of(ordered[0]) if ordered else 0.0
    for index, step in enumerate(ordered):
        start_sec = step.timestamp_sec
        target = value_of(step)
        ramp_sec = 0.0 if index == 0 else max(step.ramp_duration_sec, min_ramp_sec, 0.0)
        next_start = ordered[index + 1].timestamp_sec if index + 1 < len(ordered) else float("inf")
        end_sec = min(start_sec + ramp_sec, next_start)
        reached = (end_sec - start_sec) / ramp_sec if ramp_sec > 0 else 1.0
        to_value = current + (target - current) * reached
        result.append(Glide(start_sec, end_sec, current, to_value))
        current = to_value
    return result


class Curve:
    """A piecewise-linear curve of time, read a block of samples at a time."""

    def __init__(self, segments: Sequence[Glide]) -> None:
        times: list[float] = []
        values: list[float] = []
        for glide in segments:
            for time_sec, value in ((glide.start_sec, glide.from_value), (glide.end_sec, glide.to_value)):
                if times and time_sec <= times[-1] and value == values[-1]:
                    continue  # a hold's repeated point
                times.append(time_sec)
                values.append(value)
        if not times:
            times, values = [0.0], [0.0]
        self._times = np.asarray(times, dtype=np.float64)
        self._values = np.asarray(values, dtype=np.float64)

    @classmethod
    def constant(cls, value: float) -> "Curve":
        return cls([Glide(0.0, 0.0, value, value)])

    def value_at(self, time_sec: float) -> float:
        return float(np.interp(time_sec, self._times, self._values))

    def block(self, first_frame: int, frames: int, sample_rate: int) -> float | Samples:
        """The curve at frames first_frame .. first_frame + frames - 1: a float where it is flat."""
        start_sec = first_frame / sample_rate
        end_sec = (first_frame + frames - 1) / sample_rate
        times = self._times
        # Breakpoints strictly inside the block, and the segment the block starts in.
        inside_from = int(np.searchsorted(times, start_sec, side="right"))
        inside_to = int(np.searchsorted(times, end_sec, side="left"))
        if inside_from >= inside_to:
            first_value = self.value_at(start_sec)
            last_value = self.value_at(end_sec)
            if first_value == last_value:
                return first_value
            step = (last_value - first_value) / max(frames - 1, 1)
            return first_value + step * np.arange(frames, dtype=np.float64)
        at = (first_frame + np.arange(frames, dtype=np.float64)) / sample_rate
        return np.interp(at, times, self._values)
