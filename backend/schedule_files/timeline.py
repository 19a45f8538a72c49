"""From an imported file's sound over time to a NeuroTune schedule that passes the validator.

An importer gives `Breakpoint`s: the sound at a time, with the sound changing linearly from one
breakpoint to the next (SBaGen's and Gnaural's own model). Each stretch that changes becomes one
step (a glide from its start over its length); stretches on one straight line are merged; holds
add nothing. Levels are relative: the loudest tone or noise in the file plays at the engine's
level, the rest keep their balance to it.
"""

import itertools
import math
from dataclasses import dataclass, replace

from backend.schedule_files.errors import FileRefused
from backend.schedules.limits import (
    BEAT_HZ_MIN,
    BINAURAL_HZ_MAX,
    DURATION_MAX_SEC,
    DURATION_MIN_SEC,
    MAX_BEAT_RATE_HZ_PER_SEC,
    MAX_CARRIER_RATE_HZ_PER_SEC,
    MAX_STEPS,
    MODULATION_HZ_MAX,
    STEP_CARRIER_HZ_MAX,
    STEP_CARRIER_HZ_MIN,
)
from backend.schedules.schedule import Layer, ModulationSchedule, ModulationStep, NoiseColour
from backend.schedules.validator import schedule_violations

IMPORTED_BPM = 60
"""Files carry no tempo; a steady 60 BPM keeps the music layer calm and never moves."""

_TIME_DIGITS = 3
_MIN_STEP_GAP_SEC = 1.0
_VALUE_DIGITS = 4


@dataclass(frozen=True)
class Sound:
    """What NeuroTune plays at one moment. Gains are absolute (engine level = 1 before normalising)."""

    beat_hz: float
    carrier_hz: float
    layer: Layer
    tone_gain: float
    noise: NoiseColour
    noise_gain: float


@dataclass(frozen=True)
class Breakpoint:
    time_sec: float
    sound: Sound
    line: int | None
    """The file line that put the sound here (for errors)."""


@dataclass
class Converted:
    schedule: ModulationSchedule
    warnings: list[str]


def to_schedule(
    breakpoints: list[Breakpoint], total_sec: float, intent: str, clamp: bool, warnings: list[str]
) -> Converted:
    """The schedule for `breakpoints` over [0, total_sec]; FileRefused when it cannot be made safe."""
    total = _session_length(total_sec, clamp, warnings, breakpoints)
    points = _normalised(_cut(breakpoints, total))
    if not points:
        raise FileRefused("the file has no time line inside the session")
    points = _merged(points)
    steps, lines = _steps(points, total)
    if len(steps) > MAX_STEPS:
        raise FileRefused(
            f"the sound changes {len(steps)} times; NeuroTune plays at most {MAX_STEPS} steps",
            lines[MAX_STEPS],
        )
    if clamp:
        steps = _clamped(steps, lines, warnings, total)
    schedule = ModulationSchedule(intent=intent, total_duration_sec=total, steps=steps)
    reasons = schedule_violations(schedule)
    if reasons:
        index = _step_index(reasons[0])
        line = lines[index] if index is not None and index < len(lines) else None
        more = f" (and {len(reasons) - 1} more)" if len(reasons) > 1 else ""
        raise FileRefused(f"{reasons[0]}{more}; import with clamp=true to fit it into the bounds", line)
    return Converted(schedule, warnings)


def _session_length(total_sec: float, clamp: bool, warnings: list[str], points: list[Breakpoint]) -> int:
    last_line = points[-1].line if points else None
    total = round(total_sec)
    if total > DURATION_MAX_SEC:
        if not clamp:
            raise FileRefused(
                f"the session lasts {total} s; at most {DURATION_MAX_SEC} s (4 hours)", last_line
            )
        warnings.append(f"clamped: the session is cut from {total} s to {DURATION_MAX_SEC} s")
        return DURATION_MAX_SEC
    if total < DURATION_MIN_SEC:
        if not clamp:
            raise FileRefused(f"the session lasts {total} s; at least {DURATION_MIN_SEC} s", last_line)
        warnings.append(f"clamped: the session is lengthened from {total} s to {DURATION_MIN_SEC} s")
        return DURATION_MIN_SEC
    return total


def _normalised(points: list[Breakpoint]) -> list[Breakpoint]:
    loudest = max((max(p.sound.tone_gain, p.sound.noise_gain) for p in points), default=0.0)
    scale = 1.0 / loudest if loudest > 0 else 1.0
    return [
        replace(
            point,
            sound=replace(
                point.sound,
                tone_gain=round(min(1.0, point.sound.tone_gain * scale), _VALUE_DIGITS),
                noise_gain=round(min(1.0, point.sound.noise_gain * scale), _VALUE_DIGITS),
                beat_hz=round(point.sound.beat_hz, _VALUE_DIGITS),
                carrier_hz=round(point.sound.carrier_hz, _VALUE_DIGITS),
            ),
            time_sec=round(point.time_sec, _TIME_DIGITS),
        )
        for point in points
    ]


_NUMERIC = ("beat_hz", "carrier_hz", "tone_gain", "noise_gain")


def _merged(points: list[Breakpoint]) -> list[Breakpoint]:
    """Drops breakpoints in the middle of a straight line (or a hold) of every value."""
    kept = [points[0]]
    for index in range(1, len(points) - 1):
        before, here, after = kept[-1], points[index], points[index + 1]
        if not _collinear(before, here, after):
            kept.append(here)
    if len(points) > 1:
        kept.append(points[-1])
    return kept


def _collinear(a: Breakpoint, b: Breakpoint, c: Breakpoint) -> bool:
    if (a.sound.layer, a.sound.noise) != (b.sound.layer, b.sound.noise) or (
        b.sound.layer,
        b.sound.noise,
    ) != (c.sound.layer, c.sound.noise):
        return False
    span = c.time_sec - a.time_sec
    if span <= 0:
        return b.sound == a.sound == c.sound
    share = (b.time_sec - a.time_sec) / span
    for name in _NUMERIC:
        start, middle, end = (getattr(p.sound, name) for p in (a, b, c))
        if not math.isclose(start + (end - start) * share, middle, rel_tol=1e-6, abs_tol=1e-6):
            return False
    return True


def _steps(points: list[Breakpoint], total: int) -> tuple[list[ModulationStep], list[int | None]]:
    """A step per changing stretch: it starts where the stretch starts and glides over its length.
    A stretch that starts with the session (or with the step before) starts a second later, since
    steps are strictly ordered and the first one holds from the start."""
    steps = [_step(0.0, 0.0, points[0].sound)]
    lines = [points[0].line]
    for previous, point in itertools.pairwise(points):
        if point.sound == previous.sound:
            continue
        begin = max(previous.time_sec, steps[-1].timestamp_sec + _MIN_STEP_GAP_SEC)
        if begin >= total:
            break
        ramp = max(0.0, min(point.time_sec, float(total)) - begin)
        steps.append(_step(round(begin, _TIME_DIGITS), round(ramp, _TIME_DIGITS), point.sound))
        lines.append(point.line)
    return steps, lines


def _cut(points: list[Breakpoint], total: int) -> list[Breakpoint]:
    """The breakpoints inside [0, total], with the sound at `total` if a stretch runs past it."""
    inside = [point for point in points if point.time_sec <= total]
    later = [point for point in points if point.time_sec > total]
    if inside and later and inside[-1].time_sec < total:
        before, after = inside[-1], later[0]
        share = (total - before.time_sec) / (after.time_sec - before.time_sec)
        values = {
            name: getattr(before.sound, name)
            + (getattr(after.sound, name) - getattr(before.sound, name)) * share
            for name in _NUMERIC
        }
        inside.append(Breakpoint(float(total), replace(after.sound, **values), after.line))
    return inside


def _step(at: float, ramp: float, sound: Sound) -> ModulationStep:
    return ModulationStep(
        timestamp_sec=at,
        target_bpm=IMPORTED_BPM,
        binaural_freq=sound.beat_hz,
        ramp_duration_sec=ramp,
        layer=sound.layer,
        noise=sound.noise,
        carrier_hz=sound.carrier_hz,
        tone_level=sound.tone_gain,
        noise_level=sound.noise_gain,
    )


def _clamped(
    steps: list[ModulationStep], lines: list[int | None], warnings: list[str], total: int
) -> list[ModulationStep]:
    """Every value into its bounds and every glide within its rate limit, each change listed."""
    fixed: list[ModulationStep] = []
    for index, step in enumerate(steps):
        where = f"line {lines[index]}" if lines[index] is not None else f"steps[{index}]"
        changes: dict[str, float] = {}
        beat_max = BINAURAL_HZ_MAX if step.layer == "binaural" else MODULATION_HZ_MAX
        beat = min(max(step.binaural_freq, BEAT_HZ_MIN), beat_max)
        carrier = min(max(step.carrier_hz or STEP_CARRIER_HZ_MIN, STEP_CARRIER_HZ_MIN), STEP_CARRIER_HZ_MAX)
        if fixed:
            previous = fixed[-1]
            gap = (steps[index + 1].timestamp_sec if index + 1 < len(steps) else total) - step.timestamp_sec
            ramp = step.ramp_duration_sec
            needed = max(
                abs(beat - previous.binaural_freq) / MAX_BEAT_RATE_HZ_PER_SEC,
                abs(carrier - (previous.carrier_hz or carrier)) / MAX_CARRIER_RATE_HZ_PER_SEC,
            )
            if needed > ramp:
                ramp = round(min(needed, gap), _TIME_DIGITS)
                if ramp != step.ramp_duration_sec:
                    changes["ramp_duration_sec"] = ramp
                reach = ramp * MAX_BEAT_RATE_HZ_PER_SEC
                beat = previous.binaural_freq + max(-reach, min(reach, beat - previous.binaural_freq))
                reach = ramp * MAX_CARRIER_RATE_HZ_PER_SEC
                carrier = (previous.carrier_hz or carrier) + max(
                    -reach, min(reach, carrier - (previous.carrier_hz or carrier))
                )
        if step.timestamp_sec + changes.get("ramp_duration_sec", step.ramp_duration_sec) > total:
            changes["ramp_duration_sec"] = round(max(0.0, total - step.timestamp_sec), _TIME_DIGITS)
        beat, carrier = round(beat, _VALUE_DIGITS), round(carrier, _VALUE_DIGITS)
        if beat != step.binaural_freq:
            changes["binaural_freq"] = beat
        if carrier != step.carrier_hz:
            changes["carrier_hz"] = carrier
        for name, value in changes.items():
            warnings.append(f"clamped: {where} {name} {getattr(step, name):.6g} -> {value:.6g}")
        fixed.append(step.model_copy(update=changes))
    return fixed


def _step_index(reason: str) -> int | None:
    if reason.startswith("steps["):
        return int(reason[len("steps[") : reason.index("]")])
    return None
