"""The compact text a model writes for a hold, its grammar, and its parser.

A model does not write the schedule's JSON: it writes the hold as a few short lines,

    - 5.5 Hz, isochronic, 8 min

and the planner frames them (arrival, glides sized to the rate limits, return). A line is
~15 tokens, of which the grammar forces all but about five (digits with a choice, the layer,
whether another line follows), so a hold costs a couple of dozen forward passes instead of
the ~450 a full JSON schedule takes. The music's tempo is not written: it follows the beat
across the band (a beat at the band's top gets the band's top tempo), which keeps the two
coherent and saves two passes a line. The grammar is built per request from the intent's
`HoldBounds`: beats in 0.5 Hz steps inside the band, the allowed layers, minutes up to the
hold's length and no more lines than it has room for. Whatever the model, what it can say
is on-band.
"""

import math
import re
from collections.abc import Iterable

from backend.schedules.hold import HoldBounds, HoldSegment
from backend.schedules.schedule import Layer

_BEAT_STEP_HZ = 0.5
_LINE = re.compile(
    r"- (?P<beat>\d+(?:\.\d+)?) Hz, (?P<layer>binaural|isochronic|ambient), (?P<minutes>\d+) min"
)
_LAYERS: tuple[Layer, ...] = ("binaural", "isochronic", "ambient")


class HoldParseError(ValueError):
    """The text is not a hold in the compact format; the message says which line and why."""


def format_segment(segment: HoldSegment) -> str:
    return f"- {segment.beat_hz:g} Hz, {segment.layer}, {segment.minutes} min"


def tempo_for(beat_hz: float, bounds: HoldBounds) -> int:
    """The tempo at the same place in the BPM band as `beat_hz` in the beat band."""
    (low_hz, high_hz), (low_bpm, high_bpm) = bounds.beat_hz, bounds.bpm
    share = (beat_hz - low_hz) / (high_hz - low_hz) if high_hz > low_hz else 0.5
    return round(low_bpm + min(max(share, 0.0), 1.0) * (high_bpm - low_bpm))


def format_hold(segments: Iterable[HoldSegment]) -> str:
    return "".join(format_segment(segment) + "\n" for segment in segments)


def beat_choices(bounds: HoldBounds) -> list[float]:
    """The beats a line may name: the band in 0.5 Hz steps (the band's edges if it is narrower)."""
    low, high = bounds.beat_hz
    steps = range(math.ceil(low / _BEAT_STEP_HZ - 1e-9), math.floor(high / _BEAT_STEP_HZ + 1e-9) + 1)
    return [k * _BEAT_STEP_HZ for k in steps] or sorted({low, high})


def lark_grammar(bounds: HoldBounds) -> str:
    """A llguidance Lark grammar accepting exactly the holds `bounds` allows, one line each."""
    beats = _alternatives(f"{beat:g}" for beat in beat_choices(bounds))
    layers = _alternatives(bounds.layers)
    minutes = _alternatives(str(minute) for minute in range(1, max(bounds.hold_min, 1) + 1))
    return (
        f"start: seg{{1,{bounds.max_segments}}}\n"
        'seg: "- " BEAT " Hz, " LAYER ", " MINUTES " min\\n"\n'
        f"BEAT: {beats}\n"
        f"LAYER: {layers}\n"
        f"MINUTES: {minutes}\n"
    )


def parse_hold(text: str, bounds: HoldBounds, *, complete_only: bool = False) -> list[HoldSegment]:
    """The segments in `text`, tempos from `bounds`; with `complete_only`, an unfinished last
    line is ignored (streaming).

    Raises `HoldParseError` for any line that is not in the format: an unconstrained model's
    prose is refused here, and the engine falls back to the planner.
    """
    lines = text.split("\n")
    if complete_only:
        lines = lines[:-1]
    segments = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        match = _LINE.fullmatch(line.strip())
        if match is None:
            raise HoldParseError(f"line {number} is not '- <beat> Hz, <layer>, <minutes> min': {line[:80]!r}")
        layer = next(name for name in _LAYERS if name == match["layer"])
        segments.append(
            HoldSegment(
                beat_hz=float(match["beat"]),
                bpm=tempo_for(float(match["beat"]), bounds),
                layer=layer,
                minutes=int(match["minutes"]),
            )
        )
    if not segments and not complete_only:
        raise HoldParseError("no segment in the model's answer")
    return segments


def hold_is_filled(bounds: HoldBounds, text: str) -> bool:
    """True once the complete lines of `text` last the whole hold (more would be dropped)."""
    try:
        segments = parse_hold(text, bounds, complete_only=True)
    except HoldParseError:
        return False
    return sum(segment.minutes for segment in segments) >= bounds.hold_min


def _alternatives(values: Iterable[str]) -> str:
    return " | ".join(f'"{value}"' for value in values)
