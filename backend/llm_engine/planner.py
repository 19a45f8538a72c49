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

import dataclasses
import itertools
import math
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

from backend.llm_engine.safety_limits import (
    BEAT_HZ_MIN,
    BINAURAL_HZ_MAX,
    BPM_MAX,
    BPM_MIN,
    DURATION_MAX_SEC,
    DURATION_MIN_SEC,
    INTENT_FORBIDDEN_CHARS,
    INTENT_MAX_CHARS,
    MAX_BEAT_RATE_HZ_PER_SEC,
    MAX_BPM_RATE_PER_SEC,
    MAX_STEPS,
)
from backend.models.enums import Neurotype
from backend.models.schedule import Layer, ModulationSchedule, ModulationStep, NoiseColour
from backend.models.schemas import UserPreferences

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

ANXIETY_BEAT_CAP_HZ = 15.0
"""For anxious listeners nothing above low beta, whatever the intent: higher beta can feel edgy."""

_INTENT_SCAN_CHARS = 1000
"""Intents are at most 100 characters in the API; reading further only costs time."""

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


@dataclass(frozen=True)
class IntentFamily:
    """A kind of session: the bands its hold stays in, how it sounds, and how it ends.

    Keywords are matched against normalised text (lowercase, accents removed, punctuation
    as spaces) at word starts: `"nap"` matches "nap" and "naps" but not "snap"; a trailing
    `*` makes a stem (`"concentr*"` matches "concentrate" and "concentración").
    """

    name: str
    beat_hz: tuple[float, float]
    bpm: tuple[int, int]
    wakes_at_end: bool
    keywords: tuple[str, ...]
    waypoint_hz: float | None = None
    """A level passed through on the way in (sleep pauses at theta before delta)."""
    layer: Layer = "binaural"
    noise: NoiseColour = "none"
    sleeps: bool = False
    """The listener is meant to fall asleep, so no extra stimulation is added for ADHD."""
    gentle_descent: bool = False
    """Glides downward at half the usual pace."""

    def __post_init__(self) -> None:
        low_hz, high_hz = self.beat_hz
        low_bpm, high_bpm = self.bpm
        if not BEAT_HZ_MIN <= low_hz <= high_hz <= BINAURAL_HZ_MAX:
            raise ValueError(f"{self.name}: beat band {self.beat_hz} is not inside the safety limits")
        if not BPM_MIN <= low_bpm <= high_bpm <= BPM_MAX:
            raise ValueError(f"{self.name}: BPM band {self.bpm} is not inside the safety limits")


def _keywords(listing: str) -> tuple[str, ...]:
    """Keywords written as one comma-separated line, so the table below stays readable."""
    return tuple(keyword.strip() for keyword in listing.split(","))


FAMILIES: tuple[IntentFamily, ...] = (
    # Anxiety words come first: someone who says "panic" gets calming, whatever else they say.
    IntentFamily(
        name="anxiety_relief",
        beat_hz=(6.0, 9.0),
        bpm=(55, 70),
        wakes_at_end=False,
        gentle_descent=True,
        keywords=_keywords(
            "anxi*, panic*, stress*, overwhelm*, worr*, nervous*, tense, tension, angst*, calm down,"
            "racing thoughts, on edge, ansie*, ansios*, estres*"
        ),
    ),
    # Before sleep, so "nap" in "power nap before sleep" decides.
    IntentFamily(
        name="power_nap",
        beat_hz=(4.0, 6.0),
        bpm=(55, 65),
        wakes_at_end=True,
        noise="brown",
        sleeps=True,
        keywords=_keywords("power nap, nap, napping, catnap, siesta, snooze, sieste, nickerchen"),
    ),
    IntentFamily(
        name="sleep",
        beat_hz=(1.5, 3.0),
        bpm=(50, 60),
        wakes_at_end=False,
        waypoint_hz=6.0,
        layer="ambient",
        noise="brown",
        sleeps=True,
        keywords=_keywords(
            "sleep*, asleep, insomn*, bedtime, schlaf*, einschlaf*, dormir, dormire, endormir, sommeil, sueno"
        ),
    ),
    # Meditation ends awake: the listener gets up and carries on with the day.
    IntentFamily(
        name="meditation",
        beat_hz=(5.0, 7.0),
        bpm=(55, 65),
        wakes_at_end=True,
        keywords=_keywords("medit*, mindful*, breath*, yoga, zen, pray*, contemplat*, body scan, achtsam*"),
    ),
    IntentFamily(
        name="relax",
        beat_hz=(8.0, 10.0),
        bpm=(60, 70),
        wakes_at_end=False,
        keywords=_keywords(
            "relax*, calm*, unwind*, chill*, wind down, decompress*, rest, resting, sooth*, tranquil*,"
            "peace*, entspann*, relaj*, detente"
        ),
    ),
    # Activities before the generic "focus" words: "deep focus: reading" is a reading session.
    IntentFamily(
        name="reading",
        beat_hz=(10.0, 14.0),
        bpm=(70, 90),
        wakes_at_end=False,
        keywords=_keywords(
            "read, reading, reader, reread*, book*, novel*, lesen, leer, lectura, lire, leggere"
        ),
    ),
    IntentFamily(
        name="focus",
        beat_hz=(14.0, 18.0),
        bpm=(90, 120),
        wakes_at_end=False,
        keywords=_keywords(
            "focus*, concentr*, konzentr*, enfoque, enfoc*, code, coding, coder, program*, develop*,"
            "debug*, study, studying, studies, estudi*, etudi*, learn*, lern*, work, working, homework,"
            "exam, examen, productiv*, deadline*, math*, research*, essay*, flow state, trabaj*,"
            "travail*, arbeit*"
        ),
    ),
    IntentFamily(
        name="creative",
        beat_hz=(7.0, 10.0),
        bpm=(80, 100),
        wakes_at_end=False,
        keywords=_keywords(
            "creativ*, kreativ*, brainstorm*, idea*, ideat*, imagin*, invent*, write, writing, writer,"
            "art, artwork, draw*, paint*, sketch*, design*, compos*, poem*, poetry, craft*, escribir,"
            "ecrire, schreib*"
        ),
    ),
    # Energise needs no return phase: it already ends in beta.
    IntentFamily(
        name="energise",
        beat_hz=(16.0, 20.0),
        bpm=(110, 130),
        wakes_at_end=False,
        layer="isochronic",
        keywords=_keywords(
            "energ*, wake up, waking up, awake, morning*, workout*, work out, exercis*, gym, cardio,"
            "jog*, sport*, motivat*, pump*, boost*, get going, despert*, aufwach*, reveil*"
        ),
    ),
    IntentFamily(name="general", beat_hz=(9.0, 11.0), bpm=(70, 80), wakes_at_end=False, keywords=()),
)
"""In priority order: the first family with a matching keyword wins; `general` catches the rest."""

_GENERAL = FAMILIES[-1]


def _keyword_pattern(keyword: str) -> str:
    if keyword.endswith("*"):
        return re.escape(keyword[:-1]) + r"\w*"
    return re.escape(keyword) + r"(?:e?s)?(?!\w)"


_FAMILY_PATTERNS: tuple[tuple[IntentFamily, re.Pattern[str]], ...] = tuple(
    (family, re.compile(r"(?<!\w)(?:" + "|".join(map(_keyword_pattern, family.keywords)) + ")"))
    for family in FAMILIES
    if family.keywords
)


def _normalise_for_matching(intent: str) -> str:
    """Lowercase, accents stripped ("concentración" -> "concentracion"), punctuation as spaces."""
    decomposed = unicodedata.normalize("NFKD", intent[:_INTENT_SCAN_CHARS])
    bare = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    return " ".join(re.sub(r"[\W_]+", " ", bare).split())


def classify_intent(intent: str) -> IntentFamily:
    """The family whose keywords `intent` mentions first in priority order, else `general`."""
    text = _normalise_for_matching(intent)
    for family, pattern in _FAMILY_PATTERNS:
        if pattern.search(text):
            return family
    return _GENERAL


@dataclass(frozen=True)
class PlannerOffsets:
    """Per-user nudges learned from ratings, applied to the hold and clamped to the family band."""

    beat_hz: float = 0.0
    bpm: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.beat_hz) and math.isfinite(self.bpm)):
            raise ValueError(f"offsets must be finite numbers, got {self}")


@dataclass(frozen=True)
class _Shaping:
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


_DEFAULT_SHAPING = _Shaping()
_SHAPINGS: dict[Neurotype, _Shaping] = {
    # Predictability over novelty: slower glides, a longer minimum glide, half as many changes.
    Neurotype.autism: _Shaping(rise_aim=0.25, fall_aim=0.25, min_ramp_sec=30, variation_period_sec=480),
    # More stimulation: changes twice as often, isochronic hold, noise on.
    Neurotype.adhd: _Shaping(variation_period_sec=120, stimulating=True),
    # Never above low beta; downward glides at a quarter of the limit, never past half of it.
    Neurotype.anxiety: _Shaping(fall_aim=0.25, fall_ceiling=0.5, beat_cap_hz=ANXIETY_BEAT_CAP_HZ),
}


def _shaping_for(neurotype: Neurotype, family: IntentFamily) -> _Shaping:
    shaping = _SHAPINGS.get(neurotype, _DEFAULT_SHAPING)
    if family.sleeps and shaping.stimulating:
        shaping = dataclasses.replace(
            shaping,
            stimulating=False,
            variation_period_sec=max(shaping.variation_period_sec, _DEFAULT_SHAPING.variation_period_sec),
        )
    if family.gentle_descent:
        shaping = dataclasses.replace(shaping, fall_aim=shaping.fall_aim / 2)
    return shaping


class _Level(NamedTuple):
    beat_hz: float
    bpm: int


class _Hold(NamedTuple):
    centre: _Level
    up: _Level
    down: _Level


class _Band(NamedTuple):
    """The family's band after the neurotype's cap: where every hold level lies."""

    low: _Level
    high: _Level

    def corners(self) -> tuple[_Level, ...]:
        return (
            self.low,
            self.high,
            _Level(self.low.beat_hz, self.high.bpm),
            _Level(self.high.beat_hz, self.low.bpm),
        )


def _band(family: IntentFamily, shaping: _Shaping) -> _Band:
    high_hz = min(family.beat_hz[1], shaping.beat_cap_hz)
    low_hz = min(family.beat_hz[0], high_hz - 1.0)
    low_bpm, high_bpm = family.bpm
    return _Band(_Level(low_hz, low_bpm), _Level(high_hz, high_bpm))


def _hold_levels(band: _Band, offsets: PlannerOffsets) -> _Hold:
    """The hold's centre (band midpoint plus offsets) and the two levels it alternates between."""
    low_hz, high_hz = band.low.beat_hz, band.high.beat_hz
    low_bpm, high_bpm = band.low.bpm, band.high.bpm
    centre_hz = _clamp((low_hz + high_hz) / 2 + offsets.beat_hz, low_hz, high_hz)
    centre_bpm = round(_clamp((low_bpm + high_bpm) / 2 + offsets.bpm, low_bpm, high_bpm))
    swing_hz = _HOLD_SWING * (high_hz - low_hz)
    swing_bpm = round(_HOLD_SWING * (high_bpm - low_bpm))
    return _Hold(
        centre=_Level(round(centre_hz, 2), centre_bpm),
        up=_Level(round(min(centre_hz + swing_hz, high_hz), 2), min(centre_bpm + swing_bpm, high_bpm)),
        down=_Level(round(max(centre_hz - swing_hz, low_hz), 2), max(centre_bpm - swing_bpm, low_bpm)),
    )


def _ramp_sec(source: _Level, target: _Level, shaping: _Shaping) -> int:
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


def _reachable(source: _Level, target: _Level, ramp_sec: int, shaping: _Shaping) -> _Level:
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
    hz_step = math.trunc(_clamp(hz_change, -hz_room, hz_room) * 100) / 100
    bpm_step = math.trunc(_clamp(bpm_change, -bpm_room, bpm_room))
    return _Level(round(source.beat_hz + hz_step, 2), source.bpm + bpm_step)


class _Timeline:
    """Steps in time order; each glide is sized from its change and the time it is given."""

    def __init__(self, start: _Level, layer: Layer, noise: NoiseColour, shaping: _Shaping) -> None:
        self._shaping = shaping
        self._noise: NoiseColour = noise
        self.level = start
        self.layer: Layer = layer
        self.steps = [self._step(0, start, 0, layer)]

    def glide(self, at_sec: int, target: _Level, window_sec: int, layer: Layer) -> int:
        """Add a step at `at_sec` heading for `target`, its ramp at most `window_sec`.

        Returns the ramp used; 0 if nothing would change (no step is added then).
        """
        planned_sec = _ramp_sec(self.level, target, self._shaping)
        ramp_sec = min(planned_sec, window_sec)
        reached = (
            target if ramp_sec == planned_sec else _reachable(self.level, target, ramp_sec, self._shaping)
        )
        if reached == self.level and layer == self.layer:
            return 0
        self.steps.append(self._step(at_sec, reached, ramp_sec, layer))
        self.level, self.layer = reached, layer
        return ramp_sec

    def _step(self, at_sec: int, level: _Level, ramp_sec: int, layer: Layer) -> ModulationStep:
        return ModulationStep(
            timestamp_sec=at_sec,
            target_bpm=level.bpm,
            binaural_freq=level.beat_hz,
            ramp_duration_sec=ramp_sec,
            layer=layer,
            noise=self._noise,
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
) -> Iterator[tuple[int, int, _Level]]:
    """Hold changes spread evenly over [start, end), at least a period apart: (at, window, level)."""
    span_sec = end_sec - start_sec
    count = min(max(span_sec // period_sec - 1, 0), _MAX_HOLD_VARIATIONS)
    times = [start_sec + round(k * span_sec / (count + 1)) for k in range(1, count + 1)]
    for index, at_sec in enumerate(times):
        next_sec = times[index + 1] if index + 1 < len(times) else end_sec
        yield at_sec, next_sec - at_sec, hold.up if index % 2 == 0 else hold.down


@dataclass(frozen=True)
class HoldSegment:
    """One part of a hold written by someone else (the language model): a level kept for a while."""

    beat_hz: float
    bpm: int
    layer: Layer
    minutes: int


@dataclass(frozen=True)
class HoldBounds:
    """What a written hold may contain for one request: the band after neurotype, layers, length.

    The model engine turns these into a grammar, so that a model can only write on-band holds.
    """

    family: str
    beat_hz: tuple[float, float]
    bpm: tuple[int, int]
    layers: tuple[Layer, ...]
    hold_start_sec: int
    hold_end_sec: int
    max_segments: int

    @property
    def hold_min(self) -> int:
        return max(self.hold_end_sec - self.hold_start_sec, 60) // 60

    def admits(self, segment: HoldSegment) -> bool:
        """True if `segment` lies in the band and uses an allowed layer (the grammar's promise)."""
        return (
            self.beat_hz[0] <= segment.beat_hz <= self.beat_hz[1]
            and self.bpm[0] <= segment.bpm <= self.bpm[1]
            and segment.layer in self.layers
            and 1 <= segment.minutes <= self.hold_min
        )


def hold_bounds(
    intent: str,
    duration_min: float = 30,
    neurotype: Neurotype = Neurotype.neurotypical,
    preferences: UserPreferences | None = None,
    current_bpm: int | None = None,
) -> HoldBounds:
    """The band and length of the hold that `plan_schedule(..., hold=...)` frames."""
    arc = _Arc.build(intent, duration_min, neurotype, preferences, current_bpm, None, written=True)
    hold_sec = max(arc.hold_end_sec - arc.hold_start_sec, 60)
    return HoldBounds(
        family=arc.family.name,
        beat_hz=(arc.band.low.beat_hz, arc.band.high.beat_hz),
        bpm=(arc.band.low.bpm, arc.band.high.bpm),
        layers=arc.written_layers,
        hold_start_sec=arc.hold_start_sec,
        hold_end_sec=arc.hold_end_sec,
        max_segments=min(max(hold_sec // arc.shaping.variation_period_sec, 1), _MAX_WRITTEN_SEGMENTS),
    )


def plan_schedule(
    intent: str,
    duration_min: float = 30,
    neurotype: Neurotype = Neurotype.neurotypical,
    preferences: UserPreferences | None = None,
    current_bpm: int | None = None,
    offsets: PlannerOffsets | None = None,
    hold: Sequence[HoldSegment] | None = None,
) -> ModulationSchedule:
    """A safe schedule for `intent`; never raises for odd text, durations are clamped to the limits.

    `current_bpm` is the tempo of music already playing: the session starts there (clamped to
    the BPM limits) and glides to the family's tempo.

    `hold`, when given (non-empty), replaces the planner's own alternating hold: the first
    segment is where the entry glide goes, segment k starts once the earlier ones' minutes have
    passed, segments past the hold's end are dropped and the last one lasts until the end.
    Levels are clamped into the band of `hold_bounds` and layers outside its set replaced; every
    glide is still sized here, so the result is safe whatever the segments say. The arrival, the
    sleep waypoint and the return stay the planner's.
    """
    arc = _Arc.build(intent, duration_min, neurotype, preferences, current_bpm, offsets, written=bool(hold))
    written = [arc.clamp(segment) for segment in hold or ()]
    first_level, first_layer = (
        (written[0][0], written[0][1]) if written else (arc.hold.centre, arc.hold_layer)
    )
    timeline = _Timeline(arc.start, arc.outer_layer, arc.noise, arc.shaping)

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

    return ModulationSchedule(intent=_label(intent), total_duration_sec=arc.total_sec, steps=timeline.steps)


_MAX_WRITTEN_SEGMENTS = 5
"""A written hold has at most this many parts: each costs model time, and more add little."""


@dataclass(frozen=True)
class _Arc:
    """Everything about a schedule but its hold's contents: levels, layers and phase lengths."""

    family: IntentFamily
    shaping: _Shaping
    total_sec: int
    band: _Band
    hold: _Hold
    start: _Level
    waypoint: _Level | None
    finale: _Level | None
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
    def build(
        cls,
        intent: str,
        duration_min: float,
        neurotype: Neurotype,
        preferences: UserPreferences | None,
        current_bpm: int | None,
        offsets: PlannerOffsets | None,
        *,
        written: bool,
    ) -> "_Arc":
        preferences = preferences or UserPreferences()
        family = classify_intent(intent)
        shaping = _shaping_for(neurotype, family)
        total_sec = _total_sec(duration_min)
        band = _band(family, shaping)
        hold = _hold_levels(band, offsets or PlannerOffsets())
        start_bpm = ARRIVAL_BPM if current_bpm is None else round(_clamp(current_bpm, BPM_MIN, BPM_MAX))
        start = _Level(ARRIVAL_HZ, start_bpm)
        outer_layer, hold_layer = _layers(family, shaping, preferences.preferred_layer)
        waypoint = None if family.waypoint_hz is None else _Level(family.waypoint_hz, hold.centre.bpm)
        finale = _Level(RETURN_HZ, RETURN_BPM) if family.wakes_at_end else None
        # A written hold may start anywhere in the band, so its entry glide is sized for the
        # farthest corner: the phases (and every time a written hold depends on) are then known
        # before the hold is written, which lets a model's steps stream as they are decoded.
        targets = band.corners() if written else (hold.centre,)
        endings = band.corners() if written else tuple(hold)
        phase_sec = min(max(round(_PHASE_FRACTION * total_sec), _PHASE_MIN_SEC), _PHASE_MAX_SEC)
        phases = _fit(
            _Phases(
                arrival=phase_sec,
                entry_ramp=_ramp_sec(start, waypoint, shaping)
                if waypoint is not None
                else max(_ramp_sec(start, level, shaping) for level in targets),
                waypoint_dwell=phase_sec if waypoint is not None else 0,
                waypoint_ramp=max(_ramp_sec(waypoint, level, shaping) for level in targets)
                if waypoint is not None
                else 0,
                # Sized for the farthest level the hold may end on: one of the alternating levels,
                # or, written, anywhere in the band.
                return_ramp=max(_ramp_sec(level, finale, shaping) for level in endings)
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

    def clamp(self, segment: HoldSegment) -> tuple[_Level, Layer, int]:
        """A written segment forced into the band and the allowed layers, at least a minute long."""
        beat_hz = segment.beat_hz if math.isfinite(segment.beat_hz) else self.hold.centre.beat_hz
        level = _Level(
            round(_clamp(beat_hz, self.band.low.beat_hz, self.band.high.beat_hz), 2),
            round(_clamp(segment.bpm, self.band.low.bpm, self.band.high.bpm)),
        )
        layer = segment.layer if segment.layer in self.written_layers else self.hold_layer
        return level, layer, max(segment.minutes, 1)


def _written_layers(
    shaping: _Shaping, preferred: Literal["auto", "binaural", "isochronic"]
) -> tuple[Layer, ...]:
    """Layers a written hold may use: no binaural without headphones, no binaural hold for ADHD."""
    if preferred == "binaural":
        return ("binaural",)
    if preferred == "isochronic" or shaping.stimulating:
        return ("isochronic", "ambient")
    return ("binaural", "isochronic", "ambient")


def _layers(
    family: IntentFamily, shaping: _Shaping, preferred: Literal["auto", "binaural", "isochronic"]
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


def _noise(family: IntentFamily, shaping: _Shaping, preferred: NoiseColour | Literal["auto"]) -> NoiseColour:
    """A chosen colour is honoured; on "auto" the family's, with pink added for ADHD."""
    if preferred != "auto":
        return preferred
    if shaping.stimulating and family.noise == "none":
        return "pink"
    return family.noise


def _total_sec(duration_min: float) -> int:
    if math.isnan(duration_min):
        duration_min = DEFAULT_DURATION_MIN
    return round(_clamp(duration_min * 60, DURATION_MIN_SEC, DURATION_MAX_SEC))


def _label(intent: str) -> str:
    """The intent as stored: forbidden characters and runs of whitespace as single spaces, ≤100 chars."""
    text = " ".join(INTENT_FORBIDDEN_CHARS.sub(" ", intent[:_INTENT_SCAN_CHARS]).split())
    return text[:INTENT_MAX_CHARS].rstrip() or DEFAULT_INTENT


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)
