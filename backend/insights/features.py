"""A stored schedule as one row of numbers: what the listener heard, summarised for learning.

Stored schedules passed the validator, but rows may predate today's shape or come from a model,
so every reader here turns anything malformed into `None` instead of raising.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, get_args

import numpy as np
import pandas as pd

from backend.schedules.intents import IntentFamily, classify_intent
from backend.schedules.schedule import Layer, NoiseColour

LAYERS: tuple[Layer, ...] = get_args(Layer)
NOISES: tuple[NoiseColour, ...] = get_args(NoiseColour)

FEATURE_COLUMNS: tuple[str, ...] = (
    "beat_hz",
    "bpm",
    "binaural_fraction",
    "isochronic_fraction",
    "ambient_fraction",
    "pink_noise_fraction",
    "brown_noise_fraction",
    "ramp_hz_per_sec",
)
"""The numeric columns that describe a session's sound (the clustering space)."""

FRAME_COLUMNS: tuple[str, ...] = (
    "session_id",
    "user_id",
    "neurotype",
    "family",
    "intent",
    "started_at",
    "rating",
    *FEATURE_COLUMNS,
)

_BAND_TOLERANCE = 0.25
"""A step counts as inside the family's band within this fraction of the band's width (at least
0.5 Hz), so a hold nudged by the neurotype (e.g. anxiety's beat cap) still counts as the hold."""


@dataclass(frozen=True)
class RatedSession:
    """One ended, rated session as read from the database."""

    session_id: int
    user_id: int
    neurotype: str
    intent: str
    schedule: Mapping[str, Any]
    rating: float
    started_at: datetime


@dataclass(frozen=True)
class ScheduleFeatures:
    """The hold's time-weighted beat and tempo, and how the whole session sounded.

    Fractions are shares of the session's time; a step's layer and noise play until the next step.
    """

    beat_hz: float
    bpm: float
    binaural_fraction: float
    isochronic_fraction: float
    ambient_fraction: float
    pink_noise_fraction: float
    brown_noise_fraction: float
    ramp_hz_per_sec: float
    """Mean speed of the beat glides: the session's ramp style, gentle or brisk."""


class _Steps(NamedTuple):
    """A schedule's steps as parallel lists, sorted by start time."""

    at_sec: list[float]
    ramp_sec: list[float]
    beat_hz: list[float]
    bpm: list[float]
    layer: list[Layer]
    noise: list[NoiseColour]


def schedule_features(schedule: Mapping[str, Any], family: IntentFamily) -> ScheduleFeatures | None:
    """Summarise a schedule; `None` if it is malformed or has no duration.

    The *hold* is the stretch from the first step (after the opening one) whose beat lies in the
    family's band, once its glide has arrived, up to the next step that leaves the band (the
    return to alpha) or the end. Its beat and tempo are time-weighted means of the glided
    trajectory, so a long plateau counts more than a brief swing. If no step reaches the band
    (an odd model schedule), everything after the opening step is the hold.
    """
    total_sec = _number(schedule.get("total_duration_sec"))
    steps = _steps(schedule.get("steps"))
    if steps is None or total_sec is None or total_sec <= 0:
        return None
    end_sec = max(total_sec, steps.at_sec[-1])
    hold_start_sec, hold_end_sec = _hold_span(steps, family, end_sec)
    layer_sec = dict.fromkeys(LAYERS, 0.0)
    noise_sec = dict.fromkeys(NOISES, 0.0)
    for i, start_sec in enumerate(steps.at_sec):
        until_sec = steps.at_sec[i + 1] if i + 1 < len(steps.at_sec) else end_sec
        layer_sec[steps.layer[i]] += until_sec - start_sec
        noise_sec[steps.noise[i]] += until_sec - start_sec
    span_sec = (end_sec - steps.at_sec[0]) or 1.0
    rates = [
        abs(steps.beat_hz[i] - steps.beat_hz[i - 1]) / steps.ramp_sec[i]
        for i in range(1, len(steps.at_sec))
        if steps.ramp_sec[i] > 0
    ]
    return ScheduleFeatures(
        beat_hz=_mean_over(steps, steps.beat_hz, hold_start_sec, hold_end_sec, end_sec),
        bpm=_mean_over(steps, steps.bpm, hold_start_sec, hold_end_sec, end_sec),
        binaural_fraction=layer_sec["binaural"] / span_sec,
        isochronic_fraction=layer_sec["isochronic"] / span_sec,
        ambient_fraction=layer_sec["ambient"] / span_sec,
        pink_noise_fraction=noise_sec["pink"] / span_sec,
        brown_noise_fraction=noise_sec["brown"] / span_sec,
        ramp_hz_per_sec=sum(rates) / len(rates) if rates else 0.0,
    )


def sessions_frame(sessions: Iterable[RatedSession]) -> pd.DataFrame:
    """One row per usable session with `FRAME_COLUMNS`; malformed schedules are left out."""
    families: dict[str, IntentFamily] = {}
    columns: dict[str, list[Any]] = {column: [] for column in FRAME_COLUMNS}
    for session in sessions:
        family = families.get(session.intent)
        if family is None:
            family = families[session.intent] = classify_intent(session.intent)
        features = schedule_features(session.schedule, family)
        if features is None:
            continue
        columns["session_id"].append(session.session_id)
        columns["user_id"].append(session.user_id)
        columns["neurotype"].append(session.neurotype)
        columns["family"].append(family.name)
        columns["intent"].append(session.intent)
        columns["started_at"].append(session.started_at)
        columns["rating"].append(session.rating)
        for column in FEATURE_COLUMNS:
            columns[column].append(getattr(features, column))
    return pd.DataFrame(
        {
            "session_id": np.array(columns["session_id"], dtype=np.int64),
            "user_id": np.array(columns["user_id"], dtype=np.int64),
            **{
                column: pd.Series(columns[column], dtype="str")
                for column in ("neurotype", "family", "intent")
            },
            "started_at": pd.to_datetime(pd.Series(columns["started_at"], dtype=object), utc=True),
            **{
                column: np.array(columns[column], dtype=np.float64) for column in ("rating", *FEATURE_COLUMNS)
            },
        },
        columns=list(FRAME_COLUMNS),
    )


def dominant_layer(binaural_fraction: float, isochronic_fraction: float, ambient_fraction: float) -> Layer:
    """The layer that played longest, from the fraction columns."""
    shares: dict[Layer, float] = {
        "binaural": binaural_fraction,
        "isochronic": isochronic_fraction,
        "ambient": ambient_fraction,
    }
    return max(shares, key=lambda layer: shares[layer])


def dominant_noise(pink_noise_fraction: float, brown_noise_fraction: float) -> NoiseColour:
    """The noise bed that played longest ("none" is whatever time neither did)."""
    shares: dict[NoiseColour, float] = {
        "none": 1 - pink_noise_fraction - brown_noise_fraction,
        "pink": pink_noise_fraction,
        "brown": brown_noise_fraction,
    }
    return max(shares, key=lambda noise: shares[noise])


def _number(value: Any) -> float | None:
    """A finite float from a JSON number; None for anything else (bools, strings, NaN)."""
    if type(value) is float:
        return value if math.isfinite(value) else None
    if type(value) is int:
        return float(value)
    return None


def _steps(raw_steps: Any) -> _Steps | None:
    if not isinstance(raw_steps, list) or not raw_steps:
        return None
    parsed = []
    for raw in raw_steps:
        if not isinstance(raw, dict):
            return None
        at_sec, ramp_sec = _number(raw.get("timestamp_sec")), _number(raw.get("ramp_duration_sec"))
        beat_hz, bpm = _number(raw.get("binaural_freq")), _number(raw.get("target_bpm"))
        layer, noise = raw.get("layer"), raw.get("noise", "none")
        if at_sec is None or ramp_sec is None or beat_hz is None or bpm is None:
            return None
        if layer not in LAYERS or noise not in NOISES:
            return None
        parsed.append((at_sec, max(ramp_sec, 0.0), beat_hz, bpm, layer, noise))
    parsed.sort(key=lambda step: step[0])
    columns = list(zip(*parsed, strict=True))
    return _Steps(*(list(column) for column in columns))


def _in_band(beat_hz: float, family: IntentFamily) -> bool:
    low_hz, high_hz = family.beat_hz
    tolerance_hz = max(_BAND_TOLERANCE * (high_hz - low_hz), 0.5)
    return low_hz - tolerance_hz <= beat_hz <= high_hz + tolerance_hz


def _hold_span(steps: _Steps, family: IntentFamily, end_sec: float) -> tuple[float, float]:
    count = len(steps.at_sec)
    if count == 1:
        return steps.at_sec[0], end_sec
    entry = next((i for i in range(1, count) if _in_band(steps.beat_hz[i], family)), None)
    if entry is None:
        return steps.at_sec[1], end_sec
    exit_ = next((i for i in range(entry + 1, count) if not _in_band(steps.beat_hz[i], family)), None)
    start_sec = steps.at_sec[entry] + steps.ramp_sec[entry]
    stop_sec = end_sec if exit_ is None else steps.at_sec[exit_]
    if stop_sec <= start_sec:  # the glide never settled: take the stretch from its start
        start_sec = steps.at_sec[entry]
    return start_sec, max(stop_sec, start_sec)


def _mean_over(
    steps: _Steps, values: list[float], start_sec: float, stop_sec: float, end_sec: float
) -> float:
    """Time-weighted mean over [start, stop] of the trajectory that glides to each step's value.

    Each step glides linearly from the previous step's value over its ramp, then holds.
    """
    times = [steps.at_sec[0]]
    levels = [values[0]]
    for i in range(1, len(values)):
        times += [steps.at_sec[i], steps.at_sec[i] + steps.ramp_sec[i]]
        levels += [values[i - 1], values[i]]
    times.append(end_sec)
    levels.append(values[-1])
    area = covered = 0.0
    for k in range(1, len(times)):
        t0, t1 = times[k - 1], times[k]
        lo, hi = max(t0, start_sec), min(t1, stop_sec)
        if hi <= lo:
            continue
        y0, y1 = levels[k - 1], levels[k]
        slope = (y1 - y0) / (t1 - t0)
        area += (y0 + slope * ((lo + hi) / 2 - t0)) * (hi - lo)
        covered += hi - lo
    if covered > 0:
        return area / covered
    # A zero-length hold: the value at its start.
    index = max(k for k in range(len(times)) if times[k] <= start_sec) if start_sec >= times[0] else 0
    return levels[index]
