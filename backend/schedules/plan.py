"""The rule-based planner: intent, duration, neurotype and preferences to a safe schedule.

Deterministic and quick (well under 5 ms), so it can answer every request on its own and
serve as the reference a language model's schedules are judged against.

Every schedule has the same arc: an arrival near alpha (10 Hz, where a listener at rest
already is), a glide into the intent family's band, a hold that alternates gently inside the
band, and for families that should end awake a return to alpha. Its output passes
`validator.schedule_violations` by construction: each glide's length is computed from the
change it makes at a fraction of the rate limits (the *aim*), and when a short session leaves
too little time the change is cut short rather than the rate raised past a *ceiling* that is
itself below the limit. Callers still pass the result through `validator.ensure_safe`, as
every source must.
"""

import copy
import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from backend.schedules.glides import Level, Timeline, clamp, glide_sec
from backend.schedules.hold import MAX_WRITTEN_SEGMENTS, HoldBounds, HoldSegment, PlannerOffsets
from backend.schedules.intents import INTENT_SCAN_CHARS, IntentFamily, IntentMatch, family_named, match_intent
from backend.schedules.limits import (
    BPM_MAX,
    BPM_MIN,
    DURATION_MAX_SEC,
    DURATION_MIN_SEC,
    INTENT_FORBIDDEN_CHARS,
    INTENT_MAX_CHARS,
    MAX_STEPS,
)
from backend.schedules.listener import Neurotype, UserPreferences
from backend.schedules.schedule import Layer, ModulationSchedule, NoiseColour
from backend.schedules.shaping import Shaping, shaping_for

ARRIVAL_HZ = 10.0
"""Alpha: sessions start where a relaxed, awake listener already is."""

ARRIVAL_BPM = 75
"""A resting-heart-rate tempo, used when no music is playing yet."""

RETURN_HZ = 11.0
"""Families that should end awake glide back to alert alpha before the end."""

RETURN_BPM = 80
"""The tempo that goes with the return: up from the hold, not yet brisk."""

DEFAULT_INTENT = "session"
"""The schedule's label when the user's intent is blank."""

DEFAULT_DURATION_MIN = 30.0
"""Used when a caller passes NaN for the duration."""

_HOLD_SWING = 0.25
"""Each hold variation moves this fraction of the band's width away from the centre."""

_HOLD_MIN_FRACTION = 0.3
"""Short sessions squeeze arrival, glides and return so at least this much is hold."""

_PHASE_FRACTION = 0.05
_PHASE_MIN_SEC = 15
_PHASE_MAX_SEC = 120
"""Arrival, sleep's theta pause and the final settle each last 5% of the session, 15-120 s."""

_MAX_HOLD_VARIATIONS = MAX_STEPS - 4
"""Room left after arrival, theta waypoint, entry and return steps."""


class _Hold(NamedTuple):
    centre: Level
    up: Level
    down: Level


class _Band(NamedTuple):
    """The family's band after the neurotype's cap: where every hold level lies."""

    low: Level
    high: Level

    def corners(self) -> tuple[Level, ...]:
        return (
            self.low,
            self.high,
            Level(self.low.beat_hz, self.high.bpm),
            Level(self.high.beat_hz, self.low.bpm),
        )


def _band(family: IntentFamily, shaping: Shaping) -> _Band:
    high_hz = min(family.beat_hz[1], shaping.beat_cap_hz)
    low_hz = min(family.beat_hz[0], high_hz - 1.0)
    low_bpm, high_bpm = family.bpm
    return _Band(Level(low_hz, low_bpm), Level(high_hz, high_bpm))


def _hold_levels(band: _Band, offsets: PlannerOffsets) -> _Hold:
    """The hold's centre (band midpoint plus offsets) and the two levels it alternates between."""
    low_hz, high_hz = band.low.beat_hz, band.high.beat_hz
    low_bpm, high_bpm = band.low.bpm, band.high.bpm
    centre_hz = clamp((low_hz + high_hz) / 2 + offsets.beat_hz, low_hz, high_hz)
    centre_bpm = round(clamp((low_bpm + high_bpm) / 2 + offsets.bpm, low_bpm, high_bpm))
    swing_hz = _HOLD_SWING * (high_hz - low_hz)
    swing_bpm = round(_HOLD_SWING * (high_bpm - low_bpm))
    return _Hold(
        centre=Level(round(centre_hz, 2), centre_bpm),
        up=Level(round(min(centre_hz + swing_hz, high_hz), 2), min(centre_bpm + swing_bpm, high_bpm)),
        down=Level(round(max(centre_hz - swing_hz, low_hz), 2), max(centre_bpm - swing_bpm, low_bpm)),
    )


class _Phases(NamedTuple):
    """Seconds given to everything but the hold, in session order."""

    arrival: int
    entry_ramp: int
    waypoint_dwell: int
    waypoint_ramp: int
    return_ramp: int
    final_dwell: int


def _fit(phases: _Phases, budget_sec: int) -> _Phases:
    """Scale the phases down proportionally if they would leave the hold too little time."""
    total_sec = sum(phases)
    if total_sec <= budget_sec:
        return phases
    scale = budget_sec / total_sec
    return _Phases(*(max(1, math.floor(sec * scale)) if sec else 0 for sec in phases))


def _variations(
    start_sec: int, end_sec: int, hold: _Hold, period_sec: int
) -> Iterator[tuple[int, int, Level]]:
    """Hold changes spread evenly over [start, end), at least a period apart: (at, window, level)."""
    span_sec = end_sec - start_sec
    count = min(max(span_sec // period_sec - 1, 0), _MAX_HOLD_VARIATIONS)
    times = [start_sec + round(k * span_sec / (count + 1)) for k in range(1, count + 1)]
    for index, at_sec in enumerate(times):
        next_sec = times[index + 1] if index + 1 < len(times) else end_sec
        yield at_sec, next_sec - at_sec, hold.up if index % 2 == 0 else hold.down


@dataclass(frozen=True)
class SessionBrief:
    """What a schedule is planned from: the intent (read once, here), length, listener, music.

    `offsets` are what the listener's ratings taught (insights); they move the planner's own hold.
    `chosen_family` is the listener's correction of how the intent was read ("Not anxiety? Study").
    """

    intent: str
    duration_min: float = DEFAULT_DURATION_MIN
    neurotype: Neurotype = Neurotype.neurotypical
    preferences: UserPreferences = field(default_factory=UserPreferences)
    current_bpm: int | None = None
    offsets: PlannerOffsets | None = None
    chosen_family: str | None = None
    reading: IntentMatch = field(init=False, compare=False)
    """How the intent text was read (its family and the words that decided it)."""
    family: IntentFamily = field(init=False, compare=False)
    """The family planned for: the listener's choice if they made one, else the reading's."""

    def __post_init__(self) -> None:
        reading = match_intent(self.intent)
        chosen = family_named(self.chosen_family) if self.chosen_family is not None else None
        if self.chosen_family is not None and chosen is None:
            raise ValueError(f"no intent family called {self.chosen_family!r}")
        object.__setattr__(self, "reading", reading)
        object.__setattr__(self, "family", chosen or reading.family)

    def with_offsets(self, offsets: PlannerOffsets | None) -> "SessionBrief":
        """The same brief with learned offsets (the intent is not read again)."""
        brief = copy.copy(self)
        object.__setattr__(brief, "offsets", offsets)
        return brief


def hold_bounds(brief: "SessionBrief") -> HoldBounds:
    """The band and length of the hold that `plan_schedule(brief, hold=...)` frames (offsets play no part)."""
    arc = Arc.build(brief, written=True)
    hold_sec = max(arc.hold_end_sec - arc.hold_start_sec, 60)
    return HoldBounds(
        family=arc.family.name,
        beat_hz=(arc.band.low.beat_hz, arc.band.high.beat_hz),
        bpm=(arc.band.low.bpm, arc.band.high.bpm),
        layers=arc.written_layers,
        hold_start_sec=arc.hold_start_sec,
        hold_end_sec=arc.hold_end_sec,
        max_segments=min(max(hold_sec // arc.shaping.variation_period_sec, 1), MAX_WRITTEN_SEGMENTS),
    )


def plan_schedule(brief: "SessionBrief", hold: Sequence[HoldSegment] | None = None) -> ModulationSchedule:
    """A safe schedule for `brief`; never raises for odd text, durations are clamped to the limits.

    The brief's `current_bpm` is the tempo of music already playing: the session starts there
    (clamped to the BPM limits) and glides to the family's tempo.

    `hold`, when given (non-empty), replaces the planner's own alternating hold: the first
    segment is where the entry glide goes, segment k starts once the earlier ones' minutes have
    passed, segments past the hold's end are dropped and the last one lasts until the end.
    Levels are clamped into the band of `hold_bounds` and layers outside its set replaced; every
    glide is still sized here, so the result is safe whatever the segments say. The arrival, the
    sleep waypoint and the return stay the planner's.
    """
    arc = Arc.build(brief, written=bool(hold))
    written = [arc.clamp(segment) for segment in hold or ()]
    first_level, first_layer = (
        (written[0][0], written[0][1]) if written else (arc.hold.centre, arc.hold_layer)
    )
    timeline = Timeline(arc.start, arc.outer_layer, arc.noise, arc.shaping)

    if arc.waypoint is not None:
        timeline.glide(arc.phases.arrival, arc.waypoint, arc.phases.entry_ramp, arc.outer_layer)
        entry_sec = arc.hold_start_sec - arc.phases.waypoint_ramp
        timeline.glide(entry_sec, first_level, arc.phases.waypoint_ramp, first_layer)
    else:
        timeline.glide(arc.phases.arrival, first_level, arc.phases.entry_ramp, first_layer)
    if written:
        start_sec = arc.hold_start_sec
        for (_, _, minutes), (level, layer, next_minutes) in itertools.pairwise(written):
            start_sec += minutes * 60
            if start_sec >= arc.hold_end_sec:
                break
            timeline.glide(start_sec, level, min(next_minutes * 60, arc.hold_end_sec - start_sec), layer)
    else:
        for variation_sec, window_sec, level in _variations(
            arc.hold_start_sec, arc.hold_end_sec, arc.hold, arc.shaping.variation_period_sec
        ):
            timeline.glide(variation_sec, level, window_sec, arc.hold_layer)
    if arc.finale is not None:
        timeline.glide(arc.hold_end_sec, arc.finale, arc.phases.return_ramp, arc.outer_layer)

    return ModulationSchedule(
        intent=_label(brief.intent), total_duration_sec=arc.total_sec, steps=timeline.steps
    )


@dataclass(frozen=True)
class Arc:
    """Everything about a schedule but its hold's contents: levels, layers and phase lengths."""

    family: IntentFamily
    shaping: Shaping
    total_sec: int
    band: _Band
    hold: _Hold
    start: Level
    waypoint: Level | None
    finale: Level | None
    outer_layer: Layer
    hold_layer: Layer
    written_layers: tuple[Layer, ...]
    noise: NoiseColour
    phases: _Phases

    @property
    def hold_start_sec(self) -> int:
        return sum(self.phases[:4])

    @property
    def hold_end_sec(self) -> int:
        return self.total_sec - self.phases.final_dwell - self.phases.return_ramp

    @classmethod
    def build(cls, brief: "SessionBrief", *, written: bool) -> "Arc":
        family, preferences, current_bpm = brief.family, brief.preferences, brief.current_bpm
        shaping = shaping_for(brief.neurotype, family)
        total_sec = _total_sec(brief.duration_min)
        band = _band(family, shaping)
        hold = _hold_levels(band, brief.offsets or PlannerOffsets())
        start_bpm = ARRIVAL_BPM if current_bpm is None else round(clamp(current_bpm, BPM_MIN, BPM_MAX))
        start = Level(ARRIVAL_HZ, start_bpm)
        outer_layer, hold_layer = _layers(family, shaping, preferences.preferred_layer)
        waypoint = None if family.waypoint_hz is None else Level(family.waypoint_hz, hold.centre.bpm)
        finale = Level(RETURN_HZ, RETURN_BPM) if family.wakes_at_end else None
        # A written hold may start anywhere in the band, so its entry glide is sized for the
        # farthest corner: the phases (and every time a written hold depends on) are then known
        # before the hold is written, which lets a model's steps stream as they are decoded.
        targets = band.corners() if written else (hold.centre,)
        endings = band.corners() if written else tuple(hold)
        phase_sec = min(max(round(_PHASE_FRACTION * total_sec), _PHASE_MIN_SEC), _PHASE_MAX_SEC)
        phases = _fit(
            _Phases(
                arrival=phase_sec,
                entry_ramp=glide_sec(start, waypoint, shaping)
                if waypoint is not None
                else max(glide_sec(start, level, shaping) for level in targets),
                waypoint_dwell=phase_sec if waypoint is not None else 0,
                waypoint_ramp=max(glide_sec(waypoint, level, shaping) for level in targets)
                if waypoint is not None
                else 0,
                # Sized for the farthest level the hold may end on: one of the alternating levels,
                # or, written, anywhere in the band.
                return_ramp=max(glide_sec(level, finale, shaping) for level in endings)
                if finale is not None
                else 0,
                final_dwell=phase_sec if finale is not None else 0,
            ),
            budget_sec=total_sec - round(_HOLD_MIN_FRACTION * total_sec),
        )
        return cls(
            family=family,
            shaping=shaping,
            total_sec=total_sec,
            band=band,
            hold=hold,
            start=start,
            waypoint=waypoint,
            finale=finale,
            outer_layer=outer_layer,
            hold_layer=hold_layer,
            written_layers=_written_layers(shaping, preferences.preferred_layer),
            noise=_noise(family, shaping, preferences.noise),
            phases=phases,
        )

    def clamp(self, segment: HoldSegment) -> tuple[Level, Layer, int]:
        """A written segment forced into the band and the allowed layers, at least a minute long."""
        beat_hz = segment.beat_hz if math.isfinite(segment.beat_hz) else self.hold.centre.beat_hz
        level = Level(
            round(clamp(beat_hz, self.band.low.beat_hz, self.band.high.beat_hz), 2),
            round(clamp(segment.bpm, self.band.low.bpm, self.band.high.bpm)),
        )
        layer = segment.layer if segment.layer in self.written_layers else self.hold_layer
        return level, layer, max(segment.minutes, 1)


def _written_layers(
    shaping: Shaping, preferred: Literal["auto", "binaural", "isochronic"]
) -> tuple[Layer, ...]:
    """Layers a written hold may use: no binaural without headphones, no binaural hold for ADHD."""
    if preferred == "binaural":
        return ("binaural",)
    if preferred == "isochronic" or shaping.stimulating:
        return ("isochronic", "ambient")
    return ("binaural", "isochronic", "ambient")


def _layers(
    family: IntentFamily, shaping: Shaping, preferred: Literal["auto", "binaural", "isochronic"]
) -> tuple[Layer, Layer]:
    """(layer outside the hold, layer during the hold) after neurotype and preference.

    "isochronic" means no headphones, so binaural becomes isochronic (ambient needs none
    either and stays); "binaural" is honoured everywhere.
    """
    outer: Layer = family.layer
    hold: Layer = "isochronic" if shaping.stimulating and family.layer == "binaural" else family.layer
    if preferred == "binaural":
        return "binaural", "binaural"
    if preferred == "isochronic":
        return (
            "isochronic" if outer == "binaural" else outer,
            "isochronic" if hold == "binaural" else hold,
        )
    return outer, hold


def _noise(family: IntentFamily, shaping: Shaping, preferred: NoiseColour | Literal["auto"]) -> NoiseColour:
    """A chosen colour is honoured; on "auto" the family's, with pink added for ADHD."""
    if preferred != "auto":
        return preferred
    if shaping.stimulating and family.noise == "none":
        return "pink"
    return family.noise


def _total_sec(duration_min: float) -> int:
    if math.isnan(duration_min):
        duration_min = DEFAULT_DURATION_MIN
    return round(clamp(duration_min * 60, DURATION_MIN_SEC, DURATION_MAX_SEC))


def _label(intent: str) -> str:
    """The intent as stored: forbidden characters and runs of whitespace as single spaces, ≤100 chars."""
    text = " ".join(INTENT_FORBIDDEN_CHARS.sub(" ", intent[:INTENT_SCAN_CHARS]).split())
    return text[:INTENT_MAX_CHARS].rstrip() or DEFAULT_INTENT
