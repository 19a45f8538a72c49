"""The plan in plain words: what it says follows what the planner actually did."""

from typing import get_args

import pytest

from backend.schedules.explain import FAMILY_LABELS, FamilyName, PlanExplanation, explain_plan
from backend.schedules.intents import FAMILIES, match_intent
from backend.schedules.listener import Neurotype, UserPreferences
from backend.schedules.plan import SessionBrief, plan_schedule
from backend.schedules.shaping import ANXIETY_BEAT_CAP_HZ


def _explain(brief: SessionBrief) -> PlanExplanation:
    return explain_plan(brief, plan_schedule(brief))


def test_the_reading_names_the_words_that_decided_it() -> None:
    reading = _explain(SessionBrief("studying for my exam tomorrow, a bit anxious")).reading
    assert (reading.family, reading.words, reading.chosen_by_listener) == (
        "anxiety_relief",
        ["anxious"],
        False,
    )
    assert match_intent("hello there").words == ()


def test_a_corrected_reading_plans_the_chosen_family() -> None:
    brief = SessionBrief("studying for my exam tomorrow, a bit anxious", chosen_family="focus")
    explanation = _explain(brief)
    assert explanation.reading.family == "focus"
    assert explanation.reading.chosen_by_listener
    assert explanation.band.beat_hz == (14.0, 18.0)
    assert all(14.0 <= step.binaural_freq <= 18.0 for step in plan_schedule(brief).steps[2:-1])
    with pytest.raises(ValueError, match="no intent family"):
        SessionBrief("reading", chosen_family="flying")


def test_every_family_has_a_label_and_a_name_in_the_api() -> None:
    assert set(FAMILY_LABELS) == {family.name for family in FAMILIES}
    assert set(get_args(FamilyName)) == {family.name for family in FAMILIES}


def test_the_band_is_the_one_after_shaping_and_says_why() -> None:
    capped = _explain(SessionBrief("deep focus", neurotype=Neurotype.anxiety))
    assert capped.band.beat_hz[1] == ANXIETY_BEAT_CAP_HZ
    assert any(f"{ANXIETY_BEAT_CAP_HZ:g} Hz for anxiety" in words for words in capped.shaping)
    plain = _explain(SessionBrief("deep focus"))
    assert plain.band.beat_hz == (14.0, 18.0)
    assert plain.shaping == []
    adhd = _explain(SessionBrief("deep focus", neurotype=Neurotype.adhd))
    assert any("ADHD" in words for words in adhd.shaping)
    adhd_sleep = _explain(SessionBrief("sleep", neurotype=Neurotype.adhd))
    assert any("falling asleep" in words for words in adhd_sleep.shaping)


def test_preferences_and_limits_are_named_when_they_shaped_the_plan() -> None:
    speakers = UserPreferences(preferred_layer="isochronic", noise="brown")
    explanation = _explain(SessionBrief("reading", 0.5, preferences=speakers, current_bpm=128))
    assert any("No headphones" in words for words in explanation.preferences)
    assert any("Brown noise" in words for words in explanation.preferences)
    assert any("128 BPM" in words for words in explanation.preferences)
    assert any("Length set to 1 min" in words for words in explanation.limits)
    assert any("0.2 Hz per second" in words for words in explanation.limits)
    assert any("awake" in words for words in _explain(SessionBrief("power nap", 20)).limits)
