"""The compact hold a model writes: grammar, parser, and the planner's framing of any hold."""

import llguidance
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.llm_engine.hold_format import (
    HoldParseError,
    beat_choices,
    format_hold,
    lark_grammar,
    parse_hold,
    tempo_for,
)
from backend.schedules.hold import HoldSegment
from backend.schedules.intents import classify_intent
from backend.schedules.listener import Neurotype, UserPreferences
from backend.schedules.plan import SessionBrief, hold_bounds, plan_schedule
from backend.schedules.validator import schedule_violations
from backend.tests.schedules.test_plan import INTENT_FOR, PROPERTY, any_intent, any_preferences

any_segment = st.builds(
    HoldSegment,
    beat_hz=st.floats(-100, 100, allow_nan=False),
    bpm=st.integers(-1000, 1000),
    layer=st.sampled_from(["binaural", "isochronic", "ambient"]),
    minutes=st.integers(-5, 500),
)


MEDITATION = hold_bounds(SessionBrief(INTENT_FOR["meditation"]))  # beat 5-7 Hz, tempo 55-65 bpm


def test_lines_round_trip_with_the_tempo_following_the_beat() -> None:
    hold = [HoldSegment(5.5, 58, "isochronic", 8), HoldSegment(7, 65, "binaural", 12)]
    text = format_hold(hold)
    assert text == "- 5.5 Hz, isochronic, 8 min\n- 7 Hz, binaural, 12 min\n"
    assert parse_hold(text, MEDITATION) == hold


def test_the_tempo_sits_where_the_beat_sits_in_its_band() -> None:
    assert MEDITATION.beat_hz == (5.0, 7.0)
    assert MEDITATION.bpm == (55, 65)
    assert [tempo_for(beat, MEDITATION) for beat in (5.0, 6.0, 7.0, 2.0, 30.0)] == [55, 60, 65, 55, 65]


@pytest.mark.parametrize(
    "text",
    ["", "Sure! Here is your schedule:", "- 5.5 Hz, lasers, 8 min", '{"steps": []}', "- 5 Hz"],
)
def test_anything_else_is_refused_with_the_line(text: str) -> None:
    with pytest.raises(HoldParseError):
        parse_hold(text, MEDITATION)


def test_streaming_ignores_an_unfinished_line() -> None:
    text = "- 5.5 Hz, isochronic, 8 min\n- 6 Hz, bin"
    assert parse_hold(text, MEDITATION, complete_only=True) == [HoldSegment(5.5, 58, "isochronic", 8)]


def test_beat_choices_cover_the_band_in_half_hertz() -> None:
    bounds = hold_bounds(SessionBrief(INTENT_FOR["sleep"]))
    assert bounds.beat_hz == (1.5, 3.0)
    assert beat_choices(bounds) == [1.5, 2.0, 2.5, 3.0]


def _matcher(lark: str) -> llguidance.LLMatcher:
    # A byte-level tokenizer is enough to check which texts a grammar accepts.
    tokenizer = llguidance.LLTokenizer("byte")
    return llguidance.LLMatcher(tokenizer, llguidance.LLMatcher.grammar_from_lark(lark), log_level=0)


def _accepts(lark: str, text: str) -> bool:
    matcher = _matcher(lark)
    tokenizer = llguidance.LLTokenizer("byte")
    return matcher.consume_tokens(tokenizer.tokenize_str(text)) and matcher.is_accepting()


@pytest.mark.parametrize("family", list(INTENT_FOR))
def test_the_grammar_accepts_exactly_on_band_lines(family: str) -> None:
    bounds = hold_bounds(SessionBrief(INTENT_FOR[family], 30, Neurotype.adhd))
    lark = lark_grammar(bounds)
    low_hz, high_hz = bounds.beat_hz
    low_bpm = bounds.bpm[0]
    layer = bounds.layers[0]
    on_band = HoldSegment(beat_choices(bounds)[0], low_bpm, layer, 1)
    assert _accepts(lark, format_hold([on_band]))
    assert _accepts(lark, format_hold([on_band] * bounds.max_segments))
    assert not _accepts(lark, format_hold([on_band] * (bounds.max_segments + 1)))
    for off_band in (
        HoldSegment(high_hz + 0.5, low_bpm, layer, 1),
        HoldSegment(low_hz - 0.5, low_bpm, layer, 1),
        HoldSegment(low_hz, low_bpm, layer, bounds.hold_min + 1),
    ):
        assert not _accepts(lark, format_hold([off_band])), off_band
    # ADHD: the hold is never binaural (pulses keep attention engaged), except when falling asleep.
    binaural = _accepts(lark, format_hold([HoldSegment(low_hz, low_bpm, "binaural", 1)]))
    assert binaural == classify_intent(INTENT_FOR[family]).sleeps


@PROPERTY
@given(
    intent=any_intent,
    duration_min=st.floats(5, 240),
    neurotype=st.sampled_from(Neurotype),
    preferences=st.just(UserPreferences()) | any_preferences,
    hold=st.lists(any_segment, min_size=1, max_size=8),
)
def test_any_written_hold_is_framed_into_a_safe_schedule(intent, duration_min, neurotype, preferences, hold):
    """Whatever a model writes, the framed schedule passes the validator and stays on-band."""
    schedule = plan_schedule(SessionBrief(intent, duration_min, neurotype, preferences), hold=hold)
    assert schedule_violations(schedule) == []
    bounds = hold_bounds(SessionBrief(intent, duration_min, neurotype, preferences))
    for step in schedule.steps:
        if bounds.hold_start_sec <= step.timestamp_sec < bounds.hold_end_sec:
            assert bounds.beat_hz[0] <= step.binaural_freq <= bounds.beat_hz[1]
            assert bounds.bpm[0] <= step.target_bpm <= bounds.bpm[1]
            assert step.layer in bounds.layers


def test_written_segments_start_when_the_earlier_minutes_have_passed() -> None:
    intent = INTENT_FOR["focus"]
    bounds = hold_bounds(SessionBrief(intent, 60))
    low, high = bounds.beat_hz
    hold = [
        HoldSegment(low, bounds.bpm[0], "binaural", 10),
        HoldSegment(high, bounds.bpm[1], "isochronic", 15),
        HoldSegment(low, bounds.bpm[0], "ambient", 10),
    ]
    steps = plan_schedule(SessionBrief(intent, 60), hold=hold).steps
    starts = {step.timestamp_sec: step for step in steps}
    second = starts[bounds.hold_start_sec + 600]
    assert (second.binaural_freq, second.target_bpm, second.layer) == (high, bounds.bpm[1], "isochronic")
    third = starts[bounds.hold_start_sec + 1500]
    assert (third.binaural_freq, third.layer) == (low, "ambient")


def test_preferences_decide_the_layers_a_hold_may_use() -> None:
    speakers = UserPreferences(preferred_layer="isochronic")
    assert "binaural" not in hold_bounds(SessionBrief("reading", preferences=speakers)).layers
    assert hold_bounds(
        SessionBrief("reading", preferences=UserPreferences(preferred_layer="binaural"))
    ).layers == ("binaural",)
    assert classify_intent("reading").name == hold_bounds(SessionBrief("reading")).family
