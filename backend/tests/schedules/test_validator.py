"""The safety gate: an independent oracle, one-rule mutations, and the model-text parser."""

import functools
import itertools
import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from backend.schedules.intents import FAMILIES
from backend.schedules.limits import (
    BEAT_HZ_MIN,
    BINAURAL_HZ_MAX,
    BPM_MAX,
    BPM_MIN,
    DURATION_MAX_SEC,
    DURATION_MIN_SEC,
    FLOAT_SLACK,
    INTENT_MAX_CHARS,
    LLM_RESPONSE_MAX_BYTES,
    MAX_BEAT_RATE_HZ_PER_SEC,
    MAX_BPM_RATE_PER_SEC,
    MAX_STEPS,
    MODULATION_HZ_MAX,
)
from backend.schedules.listener import Neurotype, UserPreferences
from backend.schedules.plan import SessionBrief, plan_schedule
from backend.schedules.schedule import ModulationSchedule, ModulationStep
from backend.schedules.validator import (
    ScheduleRejected,
    ensure_safe,
    parse_llm_response,
    schedule_violations,
)

PROPERTY = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- the oracle: each rule written out again, independently of the validator ----------------


def broken_rules(schedule: ModulationSchedule) -> set[str]:
    """The names of the rules `schedule` breaks, computed without the validator."""
    broken: set[str] = set()
    steps, total = schedule.steps, schedule.total_duration_sec
    intent = schedule.intent
    if (
        intent.strip() == ""
        or len(intent) > INTENT_MAX_CHARS
        or any(ord(c) < 32 or ord(c) == 127 or 0xD800 <= ord(c) <= 0xDFFF for c in intent)
    ):
        broken.add("intent")
    if total < DURATION_MIN_SEC or total > DURATION_MAX_SEC:
        broken.add("duration")
    if len(steps) == 0 or len(steps) > MAX_STEPS:
        broken.add("count")
        return broken
    if steps[0].timestamp_sec != 0:
        broken.add("first_at_zero")
    starts = [step.timestamp_sec for step in steps]
    if any(later <= earlier for earlier, later in itertools.pairwise(starts)):
        broken.add("increasing")
    for position, step in enumerate(steps):
        if step.timestamp_sec >= total:
            broken.add("starts_before_end")
        if step.ramp_duration_sec < 0:
            broken.add("ramp_non_negative")
            continue
        if step.timestamp_sec + step.ramp_duration_sec > total + FLOAT_SLACK:
            broken.add("ramp_within_session")
        gap = (
            steps[position + 1].timestamp_sec - step.timestamp_sec if position + 1 < len(steps) else math.inf
        )
        if step.ramp_duration_sec > gap + FLOAT_SLACK:
            broken.add("ramp_fits_gap")
        if position > 0:
            before = steps[position - 1]
            if abs(step.binaural_freq - before.binaural_freq) > (
                MAX_BEAT_RATE_HZ_PER_SEC * step.ramp_duration_sec + FLOAT_SLACK
            ):
                broken.add("beat_rate")
            if (
                abs(step.target_bpm - before.target_bpm)
                > MAX_BPM_RATE_PER_SEC * step.ramp_duration_sec + FLOAT_SLACK
            ):
                broken.add("bpm_rate")
    for step in steps:
        ceiling = {"binaural": BINAURAL_HZ_MAX, "isochronic": MODULATION_HZ_MAX, "ambient": MODULATION_HZ_MAX}
        if step.binaural_freq < BEAT_HZ_MIN or step.binaural_freq > ceiling[step.layer]:
            broken.add("beat_range")
        if step.target_bpm < BPM_MIN or step.target_bpm > BPM_MAX:
            broken.add("bpm_range")
    return broken


# A phrase every reason for that rule contains, and no other rule's reason does.
RULE_PHRASES = {
    "intent": "intent:",
    "duration": "total_duration_sec:",
    "count": "steps:",
    "first_at_zero": "the first step must start at 0",
    "increasing": "strictly increasing",
    "starts_before_end": "is not before the session end",
    "ramp_non_negative": "is negative",
    "ramp_within_session": "after the session end",
    "ramp_fits_gap": "gap to steps[",
    "beat_range": "Hz allowed on the",
    "bpm_range": f"is outside {BPM_MIN}-{BPM_MAX} BPM",
    "beat_rate": "Hz/s",
    "bpm_rate": "BPM/s",
}


# --- random schedules, many of them on or just past a bound ---------------------------------
# Each schedule is drawn either "tame" (every choice legal, many exactly on a bound) or "wild"
# (choices may land just past a bound), so both sides of every boundary are exercised.

LAYERS = ("binaural", "isochronic", "ambient")
LAYER_MAX_HZ = {"binaural": BINAURAL_HZ_MAX, "isochronic": MODULATION_HZ_MAX, "ambient": MODULATION_HZ_MAX}


@functools.cache
def beats(layer: str, wild: bool) -> st.SearchStrategy[float]:
    top = LAYER_MAX_HZ[layer]
    edges = [BEAT_HZ_MIN, top, top - 1e-9, BEAT_HZ_MIN + 1e-9]
    if wild:
        edges += [BEAT_HZ_MIN - 0.01, top + 1e-6, BINAURAL_HZ_MAX + 0.01, MODULATION_HZ_MAX + 0.01]
    return st.one_of(st.sampled_from(edges), st.floats(BEAT_HZ_MIN, top))


@functools.cache
def bpms(wild: bool) -> st.SearchStrategy[int]:
    edges = [BPM_MIN, BPM_MAX] + ([BPM_MIN - 1, BPM_MAX + 1] if wild else [])
    return st.one_of(st.sampled_from(edges), st.integers(BPM_MIN, BPM_MAX))


@functools.cache
def ramp_factors(wild: bool) -> st.SearchStrategy[float]:
    """Multipliers on the shortest legal ramp."""
    legal = st.sampled_from([1.0, 1.0 + 1e-12, 1.5]) | st.floats(1.0, 3.0)
    return legal | st.sampled_from([0.999, 1.0 - 1e-6, 0.0]) if wild else legal


@functools.cache
def dwells(wild: bool) -> st.SearchStrategy[float]:
    """Pause between one glide's end and the next step."""
    legal = st.sampled_from([0.0, 1e-9, 1.0]) | st.floats(0.0, 120.0)
    return legal | st.sampled_from([-1e-6, -0.5]) if wild else legal


@functools.cache
def intents(wild: bool) -> st.SearchStrategy[str]:
    legal = st.sampled_from(["deep focus", "x" * INTENT_MAX_CHARS, " sleep "]) | st.text(
        st.characters(min_codepoint=32, blacklist_characters="\x7f"), min_size=1, max_size=INTENT_MAX_CHARS
    ).filter(str.strip)
    return legal | st.sampled_from(["", "   ", "x" * (INTENT_MAX_CHARS + 1), "a\x07b"]) if wild else legal


@st.composite
def random_schedules(draw: st.DrawFn) -> ModulationSchedule:
    wild = draw(st.booleans())
    count = draw(st.integers(1, 8) | st.sampled_from([MAX_STEPS] + ([0, MAX_STEPS + 1] if wild else [])))
    steps: list[ModulationStep] = []
    for _ in range(count):
        layer = draw(st.sampled_from(LAYERS))
        beat, bpm = draw(beats(layer, wild)), draw(bpms(wild))
        if steps:
            before = steps[-1]
            shortest = max(
                abs(beat - before.binaural_freq) / MAX_BEAT_RATE_HZ_PER_SEC,
                abs(bpm - before.target_bpm) / MAX_BPM_RATE_PER_SEC,
            )
            start = before.timestamp_sec + max(before.ramp_duration_sec + draw(dwells(wild)), 0.0)
            ramp = shortest * draw(ramp_factors(wild))
        else:
            start = draw(st.sampled_from([0.0, 0.5])) if wild else 0.0
            ramp = draw(st.sampled_from([0.0, 5.0, -1.0] if wild else [0.0, 5.0]))
        if steps and start == steps[-1].timestamp_sec and not wild:
            start = math.nextafter(start, math.inf)
        steps.append(
            ModulationStep(
                timestamp_sec=start,
                target_bpm=bpm,
                binaural_freq=beat,
                ramp_duration_sec=ramp,
                layer=layer,
                noise=draw(st.sampled_from(["none", "pink", "brown"])),
            )
        )
    edges = [DURATION_MIN_SEC, DURATION_MAX_SEC] + (
        [DURATION_MIN_SEC - 1, DURATION_MAX_SEC + 1] if wild else []
    )
    total = draw(st.sampled_from(edges) | st.integers(DURATION_MIN_SEC, DURATION_MAX_SEC))
    if steps and (not wild or draw(st.booleans())):
        # Just long enough for the last glide (or its start), so "ends exactly at the end" is common.
        last = steps[-1]
        end = last.timestamp_sec + max(last.ramp_duration_sec, 0.0)
        total = max(total, math.ceil(end) if last.ramp_duration_sec > 0 else math.floor(end) + 1)
    return ModulationSchedule(intent=draw(intents(wild)), total_duration_sec=total, steps=steps)


@PROPERTY
@given(random_schedules())
def test_validator_accepts_exactly_what_the_oracle_accepts(schedule: ModulationSchedule) -> None:
    reasons = schedule_violations(schedule)
    broken = broken_rules(schedule)
    event("accepted" if not reasons else "rejected")
    if not reasons:
        assert broken == set(), f"validator accepted a schedule breaking {broken}"
    else:
        assert broken, f"validator refused a schedule the oracle accepts: {reasons}"
        # Every reason belongs to a rule the oracle also saw broken.
        for reason in reasons:
            assert any(RULE_PHRASES[rule] in reason for rule in broken), reason


def test_the_random_schedules_include_accepted_ones() -> None:
    """Guards the property above against a generator that only ever makes broken schedules."""
    accepted = 0

    @settings(max_examples=100, deadline=None, database=None)
    @given(random_schedules())
    def count(schedule: ModulationSchedule) -> None:
        nonlocal accepted
        accepted += not schedule_violations(schedule)

    count()
    assert accepted >= 20


# --- exactly one broken rule in an otherwise valid schedule ---------------------------------


def _with(step: ModulationStep, **changes: Any) -> ModulationStep:
    return step.model_copy(update=changes)


def _mutate(schedule: ModulationSchedule, rule: str, choice: int) -> ModulationSchedule:
    """Break `rule` and nothing else (the test checks that with the oracle)."""
    steps = list(schedule.steps)
    total = schedule.total_duration_sec
    intent = schedule.intent
    last, before_last = steps[-1], steps[-2]
    if rule == "intent":
        intent = ["   ", "x" * (INTENT_MAX_CHARS + 1), "focus\x00", "focus \ud800"][choice % 4]
    elif rule == "duration":
        total = DURATION_MAX_SEC + 1
    elif rule == "count":
        steps = [] if choice % 2 else [_with(steps[0], timestamp_sec=float(i)) for i in range(MAX_STEPS + 1)]
    elif rule == "first_at_zero":
        steps = [_with(step, timestamp_sec=step.timestamp_sec + 1) for step in steps]
        total += 1
    elif rule == "increasing":
        steps[1] = _with(steps[1], timestamp_sec=0.0)
    elif rule == "starts_before_end":
        steps[-1] = _with(before_last, timestamp_sec=float(total), ramp_duration_sec=0.0)
    elif rule == "ramp_non_negative":
        steps[0] = _with(steps[0], ramp_duration_sec=-1.0)
    elif rule == "ramp_within_session":
        steps[-1] = _with(last, ramp_duration_sec=total - last.timestamp_sec + 1)
    elif rule == "ramp_fits_gap":
        index = choice % (len(steps) - 1)
        gap = steps[index + 1].timestamp_sec - steps[index].timestamp_sec
        steps[index] = _with(steps[index], ramp_duration_sec=gap + 1)
    elif rule == "beat_range":
        layer, beat = [("binaural", 30.5), ("isochronic", 40.5), ("ambient", 0.4)][choice % 3]
        steps = [_with(step, layer=layer, binaural_freq=beat) for step in steps]
    elif rule == "bpm_range":
        steps = [_with(step, target_bpm=[BPM_MIN - 1, BPM_MAX + 1][choice % 2]) for step in steps]
    elif rule == "beat_rate":
        steps[-1] = _with(
            last,
            target_bpm=before_last.target_bpm,
            binaural_freq=before_last.binaural_freq + 0.5,
            ramp_duration_sec=1.0,
        )
    elif rule == "bpm_rate":
        direction = 1 if before_last.target_bpm < 120 else -1
        steps[-1] = _with(
            last,
            target_bpm=before_last.target_bpm + 5 * direction,
            binaural_freq=before_last.binaural_freq,
            ramp_duration_sec=1.0,
        )
    return ModulationSchedule.model_construct(intent=intent, total_duration_sec=total, steps=steps)


family_words = [family.keywords[0].rstrip("*") for family in FAMILIES if family.keywords]


@PROPERTY
@given(
    intent=st.sampled_from(family_words),
    duration_min=st.floats(5, 239),
    neurotype=st.sampled_from(Neurotype),
    layer=st.sampled_from(["auto", "binaural", "isochronic"]),
    current_bpm=st.none() | st.integers(BPM_MIN, BPM_MAX),
    rule=st.sampled_from(sorted(RULE_PHRASES)),
    choice=st.integers(0, 5),
)
def test_breaking_one_rule_is_rejected_with_a_reason_naming_it(
    intent, duration_min, neurotype, layer, current_bpm, rule, choice
) -> None:
    base = plan_schedule(
        SessionBrief(
            intent, duration_min, neurotype, UserPreferences(preferred_layer=layer), current_bpm=current_bpm
        )
    )
    assume(len(base.steps) >= 2)
    assert schedule_violations(base) == []
    mutated = _mutate(base, rule, choice)
    assert broken_rules(mutated) == {rule}, "the mutation should break exactly one rule"
    reasons = schedule_violations(mutated)
    assert reasons, f"{rule} broken but accepted"
    assert all(RULE_PHRASES[rule] in reason for reason in reasons), reasons
    with pytest.raises(ScheduleRejected) as caught:
        ensure_safe(mutated)
    assert caught.value.reasons == reasons


# --- reasons say which step, which value, which bound ---------------------------------------


def _step(
    at: float, beat: float, bpm: int = 80, ramp: float = 0.0, layer: str = "binaural"
) -> ModulationStep:
    return ModulationStep.model_validate(
        {
            "timestamp_sec": at,
            "binaural_freq": beat,
            "target_bpm": bpm,
            "ramp_duration_sec": ramp,
            "layer": layer,
        }
    )


def _schedule(*steps: ModulationStep, total: int = 600, intent: str = "focus") -> ModulationSchedule:
    return ModulationSchedule(intent=intent, total_duration_sec=total, steps=list(steps))


def test_a_safe_schedule_is_returned_unchanged() -> None:
    schedule = _schedule(_step(0, 10.0), _step(100, 14.0, bpm=100, ramp=20.0))
    assert schedule_violations(schedule) == []
    assert ensure_safe(schedule) is schedule


def test_reasons_name_step_value_and_bound() -> None:
    schedule = _schedule(_step(0, 10.0), _step(100, 35.0, ramp=200.0), _step(400, 20.0, bpm=250, ramp=100.0))
    reasons = schedule_violations(schedule)
    assert "steps[1].binaural_freq: 35 Hz is outside 0.5-30 Hz allowed on the binaural layer" in reasons
    assert "steps[2].target_bpm: 250 is outside 40-200 BPM" in reasons
    assert any(
        reason.startswith("steps[2].target_bpm: changes by 170 BPM over a 100 s ramp") for reason in reasons
    )


def test_the_same_beat_is_fine_on_isochronic_but_not_binaural() -> None:
    assert schedule_violations(_schedule(_step(0, 35.0, layer="isochronic"))) == []
    assert schedule_violations(_schedule(_step(0, 35.0, layer="binaural")))


def test_rate_limit_boundary_is_inclusive() -> None:
    """1 Hz over exactly 5 s is the limit itself: allowed. A hair faster is not."""
    assert schedule_violations(_schedule(_step(0, 10.0), _step(10, 11.0, ramp=5.0))) == []
    assert schedule_violations(_schedule(_step(0, 10.0), _step(10, 11.0, ramp=4.99)))


def test_a_zero_ramp_allows_no_change() -> None:
    assert schedule_violations(_schedule(_step(0, 10.0), _step(10, 10.0))) == []
    reasons = schedule_violations(_schedule(_step(0, 10.0), _step(10, 10.01)))
    assert reasons == [
        "steps[1].binaural_freq: changes by 0.01 Hz over a 0 s ramp; at most 0.2 Hz/s, "
        "so it needs a ramp of at least 0.05 s"
    ]


def test_float_rounding_in_times_is_not_a_violation() -> None:
    """10.1 + 9.9 is 20.000000000000004 in binary; a glide ending exactly at the next step is fine."""
    schedule = _schedule(_step(0, 10.0), _step(10.1, 10.0, ramp=9.9), _step(20.0, 10.0), total=60)
    assert schedule_violations(schedule) == []


def test_non_finite_numbers_that_bypassed_validation_are_reported() -> None:
    step = ModulationStep.model_construct(
        timestamp_sec=0.0, target_bpm=80, binaural_freq=math.nan, ramp_duration_sec=0.0, layer="binaural"
    )
    reasons = schedule_violations(_schedule(step))
    assert reasons == ["steps[0].binaural_freq: nan is not a finite number"]


def test_schedule_rejected_is_a_value_error_carrying_reasons() -> None:
    error = ScheduleRejected(["a", "b"])
    assert isinstance(error, ValueError)
    assert error.reasons == ["a", "b"]
    assert "a; b" in str(error)


# --- parse_llm_response ---------------------------------------------------------------------

GOOD = {
    "intent": "deep focus",
    "total_duration_sec": 600,
    "steps": [
        {
            "timestamp_sec": 0,
            "target_bpm": 80,
            "binaural_freq": 10.0,
            "ramp_duration_sec": 0,
            "layer": "binaural",
        },
        {
            "timestamp_sec": 60,
            "target_bpm": 100,
            "binaural_freq": 15.0,
            "ramp_duration_sec": 50,
            "layer": "binaural",
            "noise": "pink",
        },
    ],
}
GOOD_TEXT = json.dumps(GOOD)


def _rejection(raw: str) -> list[str]:
    with pytest.raises(ScheduleRejected) as caught:
        parse_llm_response(raw)
    assert type(caught.value) is ScheduleRejected
    return caught.value.reasons


def test_plain_json_is_parsed() -> None:
    schedule = parse_llm_response(GOOD_TEXT)
    assert schedule == ModulationSchedule.model_validate(GOOD)


@pytest.mark.parametrize(
    "raw",
    [
        f"```json\n{GOOD_TEXT}\n```",
        f"```\n{json.dumps(GOOD, indent=2)}\n```",
        f"Sure! Here is your schedule:\n{GOOD_TEXT}\nEnjoy your session :-}}",
        f"Plan {{draft}} below, final one after it: {GOOD_TEXT}",
        f'{GOOD_TEXT}\n\nAlternative: {{"intent": "other"}}',
    ],
    ids=["json-fence", "bare-fence", "prose", "prose-with-decoy-braces", "first-of-two-objects"],
)
def test_wrapped_json_is_extracted(raw: str) -> None:
    assert parse_llm_response(raw) == ModulationSchedule.model_validate(GOOD)


def test_braces_inside_strings_do_not_end_the_object() -> None:
    data = dict(GOOD, intent="focus {deep} }")
    assert parse_llm_response(f"Here: {json.dumps(data)} done").intent == "focus {deep} }"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", "no JSON object"),
        ("I cannot help with that.", "no JSON object"),
        ("{not json at all}", "invalid JSON"),
        ("[1, 2, 3]", "JSON list, not an object"),
        ('"a schedule"', "JSON str, not an object"),
        (GOOD_TEXT[:-5], "no JSON object"),
        (GOOD_TEXT.replace("10.0", "NaN"), "NaN is not a number"),
        (GOOD_TEXT.replace("10.0", "Infinity"), "Infinity is not a number"),
        (GOOD_TEXT.replace('"intent"', '"volume": 1, "intent"'), "volume: Extra inputs are not permitted"),
        (GOOD_TEXT.replace('"intent": "deep focus"', '"intent": "a", "intent": "b"'), "appears twice"),
        (GOOD_TEXT.replace('"target_bpm": 80', '"target_bpm": "80"'), "steps.0.target_bpm"),
        (GOOD_TEXT.replace('"target_bpm": 80', '"target_bpm": 80.5'), "steps.0.target_bpm"),
        (GOOD_TEXT.replace('"target_bpm": 80', '"target_bpm": true'), "steps.0.target_bpm"),
        (GOOD_TEXT.replace('"binaural"', '"gamma"', 1), "steps.0.layer"),
        (json.dumps(dict(GOOD, steps={"a": 1})), "steps: Input should be a valid list"),
        (GOOD_TEXT.replace("15.0", "35.0"), "steps[1].binaural_freq: 35 Hz is outside"),
        (GOOD_TEXT.replace('"ramp_duration_sec": 50', '"ramp_duration_sec": 5'), "Hz/s"),
        ('{"a":' * 5000 + "1" + "}" * 5000, "nested too deeply"),
    ],
    ids=[
        "empty",
        "prose-only",
        "broken-json",
        "list",
        "string",
        "truncated",
        "nan",
        "infinity",
        "unknown-key",
        "duplicate-key",
        "bpm-as-string",
        "bpm-as-fraction",
        "bpm-as-bool",
        "unknown-layer",
        "steps-not-a-list",
        "beat-too-high",
        "glide-too-fast",
        "deeply-nested",
    ],
)
def test_bad_responses_are_rejected_with_a_reason(raw: str, expected: str) -> None:
    reasons = _rejection(raw)
    assert any(expected in reason for reason in reasons), reasons


def test_oversize_input_is_rejected_before_parsing() -> None:
    raw = GOOD_TEXT + " " * LLM_RESPONSE_MAX_BYTES
    assert _rejection(raw) == [f"response is {len(raw)} bytes; at most {LLM_RESPONSE_MAX_BYTES} are accepted"]


def test_size_limit_counts_bytes_not_characters() -> None:
    padding = "é" * (LLM_RESPONSE_MAX_BYTES // 2)  # two bytes each in UTF-8
    assert "bytes" in _rejection(GOOD_TEXT + padding)[0]
    assert parse_llm_response(GOOD_TEXT + " " * (LLM_RESPONSE_MAX_BYTES - len(GOOD_TEXT)))


def test_a_wall_of_brace_groups_is_given_up_on_quickly() -> None:
    reasons = _rejection("{a}" * 20_000 + GOOD_TEXT)
    assert len(reasons) == 10
    assert all("invalid JSON" in reason for reason in reasons)


def test_many_pydantic_errors_are_summarised() -> None:
    bad_steps = [{"timestamp_sec": "x"} for _ in range(20)]
    reasons = _rejection(json.dumps({"intent": "x", "total_duration_sec": 600, "steps": bad_steps}))
    assert len(reasons) == 11
    assert reasons[-1].startswith("... and ")


@PROPERTY
@given(st.one_of(st.text(), st.text(alphabet='{}[]":,0123456789.eE-+ntruefalsNI\\ ')))
def test_any_text_either_parses_to_a_safe_schedule_or_is_rejected(raw: str) -> None:
    reasons: list[str] = []
    try:
        schedule = parse_llm_response(raw)
    except ScheduleRejected as error:
        reasons = error.reasons
    else:
        assert schedule_violations(schedule) == []
        return
    assert reasons
    assert all(isinstance(reason, str) and reason for reason in reasons)


@PROPERTY
@given(random_schedules())
def test_a_serialised_schedule_round_trips_through_the_parser(schedule: ModulationSchedule) -> None:
    raw = f"```json\n{json.dumps(schedule.model_dump())}\n```"
    if schedule_violations(schedule):
        with pytest.raises(ScheduleRejected):
            parse_llm_response(raw)
    else:
        assert parse_llm_response(raw) == schedule
