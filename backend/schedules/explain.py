"""The plan in plain words: how the intent was read, the band and why, what shaped it.

`explain_plan` describes what the planner did for a brief; it is stored with the session and
shown beside the chart, so the page says what the server decided rather than guessing. The
parts the planner cannot know are added by their owners: what the listener's ratings taught
(`LearnedNote`, from insights) and what the model changed (`ModelNote`, when a refinement lands).
"""

from typing import Literal

from pydantic import BaseModel, Field

from backend.schedules.limits import (
    BPM_MAX,
    BPM_MIN,
    DURATION_MAX_SEC,
    DURATION_MIN_SEC,
    MAX_BEAT_RATE_HZ_PER_SEC,
    MAX_BPM_RATE_PER_SEC,
)
from backend.schedules.listener import Neurotype
from backend.schedules.plan import Arc, SessionBrief
from backend.schedules.schedule import ModulationSchedule
from backend.schedules.shaping import DEFAULT_SHAPING

FamilyName = Literal[
    "anxiety_relief",
    "power_nap",
    "sleep",
    "meditation",
    "relax",
    "reading",
    "focus",
    "creative",
    "energise",
    "general",
]
"""The intent families by name (schedules.intents.FAMILIES; a test keeps the two in step)."""

FAMILY_LABELS: dict[str, str] = {
    "anxiety_relief": "Anxiety relief",
    "power_nap": "Power nap",
    "sleep": "Sleep",
    "meditation": "Meditation",
    "relax": "Relax",
    "reading": "Reading",
    "focus": "Focus / study",
    "creative": "Creative work",
    "energise": "Energise",
    "general": "General calm focus",
}
"""How each intent family is named to the listener (and offered when they correct a reading)."""


class IntentReading(BaseModel):
    family: str = Field(description="The family planned for, e.g. focus.")
    label: str = Field(description='The family in words, e.g. "Focus / study".')
    words: list[str] = Field(description="The words of the intent that decided it (none: nothing matched).")
    chosen_by_listener: bool = Field(description="The listener corrected the reading to this family.")


class Band(BaseModel):
    beat_hz: tuple[float, float]
    bpm: tuple[int, int]


class LearnedNote(BaseModel):
    """What the listener's ratings taught for this kind of session (insights)."""

    beat_hz_offset: float
    bpm_offset: float
    confidence: float = Field(ge=0, le=1)
    source: str = Field(description="you, your neurotype, everyone, or default.")
    sessions: int = Field(description="Rated sessions of this kind behind it.")
    summary: str


class ModelNote(BaseModel):
    """What the local model changed against the planner's schedule."""

    summary: str
    hold: list[str] = Field(description="The steps it wrote, e.g. 'from 4:10: 15.5 Hz, isochronic, 104 BPM'.")


class PlanExplanation(BaseModel):
    reading: IntentReading
    band: Band = Field(description="Where the hold stays, after the neurotype's shaping.")
    shaping: list[str] = Field(description="How the neurotype shaped the plan, in plain words.")
    preferences: list[str] = Field(description="How the listener's preferences shaped it.")
    limits: list[str] = Field(description="The safety limits that shaped it.")
    learned: LearnedNote | None = None
    model: ModelNote | None = None


def explain_plan(brief: SessionBrief, schedule: ModulationSchedule) -> PlanExplanation:
    """The plan for `brief` (whose schedule is `schedule`) in plain words."""
    arc = Arc.build(brief, written=False)
    return PlanExplanation(
        reading=IntentReading(
            family=brief.family.name,
            label=FAMILY_LABELS[brief.family.name],
            words=[] if brief.chosen_family else list(brief.reading.words),
            chosen_by_listener=brief.chosen_family is not None,
        ),
        band=Band(
            beat_hz=(arc.band.low.beat_hz, arc.band.high.beat_hz), bpm=(arc.band.low.bpm, arc.band.high.bpm)
        ),
        shaping=_shaping_words(brief, arc),
        preferences=_preference_words(brief, arc),
        limits=_limit_words(brief, arc, schedule),
    )


def _shaping_words(brief: SessionBrief, arc: Arc) -> list[str]:
    words = []
    family_high = brief.family.beat_hz[1]
    if arc.band.high.beat_hz < family_high:
        words.append(
            f"Kept at or below {arc.band.high.beat_hz:g} Hz for anxiety (this kind of session would go "
            f"up to {family_high:g} Hz): higher beta can feel edgy."
        )
    if brief.neurotype == Neurotype.autism:
        words.append("Slower glides and half as many changes: predictable over novel.")
    if arc.shaping.stimulating:
        words.append(
            "More going on for ADHD: pulses (isochronic) in the hold, a noise bed, changes twice as often."
        )
    elif brief.neurotype == Neurotype.adhd and brief.family.sleeps:
        words.append("No extra stimulation for ADHD: this session is for falling asleep.")
    if arc.shaping.fall_aim < DEFAULT_SHAPING.fall_aim:
        words.append("Downward glides go at half the usual pace or less, so calming never drops suddenly.")
    return words


def _preference_words(brief: SessionBrief, arc: Arc) -> list[str]:
    preferences = brief.preferences
    words = []
    if preferences.preferred_layer == "isochronic":
        words.append("No headphones: pulses (isochronic) instead of binaural beats.")
    elif preferences.preferred_layer == "binaural":
        words.append("Headphones: binaural beats throughout.")
    if preferences.noise != "auto":
        words.append(
            "No noise bed, as you chose."
            if preferences.noise == "none"
            else f"{preferences.noise.capitalize()} noise, as you chose."
        )
    if brief.current_bpm is not None:
        words.append(f"Starts at your music's {arc.start.bpm} BPM and glides from there.")
    return words


def _limit_words(brief: SessionBrief, arc: Arc, schedule: ModulationSchedule) -> list[str]:
    words = [
        f"Beats glide no faster than {MAX_BEAT_RATE_HZ_PER_SEC:g} Hz per second and tempo no faster than "
        f"{MAX_BPM_RATE_PER_SEC:g} BPM per second: the way into the band takes {arc.phases.entry_ramp} s."
    ]
    asked_sec = brief.duration_min * 60
    if not DURATION_MIN_SEC <= asked_sec <= DURATION_MAX_SEC:
        words.append(
            f"Length set to {schedule.total_duration_sec // 60} min (sessions last 1 minute to 4 hours)."
        )
    if brief.current_bpm is not None and not BPM_MIN <= brief.current_bpm <= BPM_MAX:
        words.append(
            f"Your music's tempo is outside {BPM_MIN}-{BPM_MAX} BPM; the session starts at {arc.start.bpm}."
        )
    if arc.finale is not None:
        words.append("Ends by gliding back to an alert 11 Hz, so you come out of it awake.")
    return words


def describe_model_change(planned: ModulationSchedule, written: ModulationSchedule) -> ModelNote:
    """What a model's schedule changed against the planner's: the steps that differ, in words."""
    before = {(step.timestamp_sec, step.binaural_freq, step.layer) for step in planned.steps}
    changed = [
        step for step in written.steps if (step.timestamp_sec, step.binaural_freq, step.layer) not in before
    ]
    lines = [
        f"from {_clock(step.timestamp_sec)}: {step.binaural_freq:g} Hz, {step.layer}, {step.target_bpm} BPM"
        for step in changed
    ]
    if not lines:
        return ModelNote(summary="The local model kept the planner's schedule.", hold=[])
    return ModelNote(
        summary=f"The local model rewrote {len(lines)} step(s) of the middle part, inside the same band "
        "and limits.",
        hold=lines,
    )


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"
