"""The one safety gate: every schedule, from any source, passes here before it reaches a speaker.

`schedule_violations` says why a schedule is unsafe (an empty list means it is safe);
`ensure_safe` turns that into an exception; `parse_llm_response` takes a language model's raw
text all the way to a safe `ModulationSchedule` or a `ScheduleRejected` with reasons (spec §5.3).
"""

import itertools
import json
import math
from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError

from backend.schedules.limits import (
    BEAT_HZ_MIN,
    BINAURAL_HZ_MAX,
    BPM_MAX,
    BPM_MIN,
    DURATION_MAX_SEC,
    DURATION_MIN_SEC,
    FLOAT_SLACK,
    INTENT_FORBIDDEN_CHARS,
    INTENT_MAX_CHARS,
    LLM_RESPONSE_MAX_BYTES,
    MAX_BEAT_RATE_HZ_PER_SEC,
    MAX_BPM_RATE_PER_SEC,
    MAX_CARRIER_RATE_HZ_PER_SEC,
    MAX_STEPS,
    MODULATION_HZ_MAX,
    STEP_CARRIER_HZ_MAX,
    STEP_CARRIER_HZ_MIN,
)
from backend.schedules.schedule import ModulationSchedule, ModulationStep

_MAX_REPORTED_PARSE_ERRORS = 10
"""A malformed response can produce hundreds of pydantic errors; the first few say enough."""

_MAX_EMBEDDED_OBJECTS_TRIED = 10
"""Prose rarely holds more than a brace group or two before the JSON; a wall of braces is junk."""


class ScheduleRejected(ValueError):
    """A schedule (or a model's response) was refused; `reasons` says exactly why."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = list(reasons) or ["schedule rejected"]
        super().__init__("schedule rejected: " + "; ".join(self.reasons))


def schedule_violations(schedule: ModulationSchedule) -> list[str]:
    """Every reason `schedule` is unsafe, each naming the step, the value and the bound.

    An empty list means the schedule is safe to play. The checks do not trust that the model
    was built through validation (`model_construct` skips it), so non-finite numbers are
    reported rather than compared.
    """
    reasons = _intent_violations(schedule.intent)
    total_sec = schedule.total_duration_sec
    if not DURATION_MIN_SEC <= total_sec <= DURATION_MAX_SEC:
        reasons.append(
            f"total_duration_sec: {total_sec} s is outside {DURATION_MIN_SEC}-{DURATION_MAX_SEC} s"
        )
    steps = schedule.steps
    if not 1 <= len(steps) <= MAX_STEPS:
        reasons.append(f"steps: {len(steps)} steps; need at least 1 and at most {MAX_STEPS}")
        return reasons
    non_finite = _non_finite_fields(steps)
    if non_finite:
        return reasons + non_finite

    reasons += _carrier_presence_violations(steps)
    if steps[0].timestamp_sec != 0:
        reasons.append(
            f"steps[0].timestamp_sec: {steps[0].timestamp_sec:.10g} s; the first step must start at 0"
        )
    for index, step in enumerate(steps):
        reasons += _timing_violations(index, step, steps, total_sec)
        reasons += _level_violations(index, step)
        if index > 0 and step.ramp_duration_sec >= 0:
            reasons += _rate_violations(index, steps[index - 1], step)
    return reasons


def ensure_safe(schedule: ModulationSchedule) -> ModulationSchedule:
    """Return `schedule` unchanged if it is safe; otherwise raise `ScheduleRejected` with reasons."""
    reasons = schedule_violations(schedule)
    if reasons:
        raise ScheduleRejected(reasons)
    return schedule


def parse_llm_response(raw: str) -> ModulationSchedule:
    """Turn a language model's raw text into a safe schedule, or raise `ScheduleRejected`.

    Models often wrap their JSON in prose or a ```json fence, so when the whole text is not
    JSON the first balanced `{...}` that parses is used. The parse is strict: unknown keys,
    duplicate keys, NaN/Infinity and wrong types (`"90"` or `90.5` for an integer) are refused,
    never coerced, and every failure surfaces as `ScheduleRejected`, not a parser exception.
    """
    size_bytes = len(raw.encode("utf-8", errors="replace"))
    if size_bytes > LLM_RESPONSE_MAX_BYTES:
        raise ScheduleRejected(
            [f"response is {size_bytes} bytes; at most {LLM_RESPONSE_MAX_BYTES} are accepted"]
        )
    data = _load_json_object(raw)
    try:
        schedule = ModulationSchedule.model_validate(data, strict=True)
    except ValidationError as error:
        raise ScheduleRejected(_describe_validation_error(error)) from None
    return ensure_safe(schedule)


# --- schedule rules -------------------------------------------------------------------------


def _intent_violations(intent: str) -> list[str]:
    if not intent.strip():
        return ["intent: empty; a session needs a purpose"]
    reasons = []
    if len(intent) > INTENT_MAX_CHARS:
        reasons.append(f"intent: {len(intent)} characters; at most {INTENT_MAX_CHARS} allowed")
    if INTENT_FORBIDDEN_CHARS.search(intent):
        reasons.append("intent: contains control characters or unpaired surrogates")
    return reasons


_NUMBER_FIELDS = (
    "timestamp_sec",
    "binaural_freq",
    "ramp_duration_sec",
    "carrier_hz",
    "tone_level",
    "noise_level",
)


def _carrier_presence_violations(steps: list[ModulationStep]) -> list[str]:
    """A step's own carrier glides from the previous step's, so it is given on every step or none."""
    missing = [index for index, step in enumerate(steps) if step.carrier_hz is None]
    if not missing or len(missing) == len(steps):
        return []
    return [f"steps[{missing[0]}].carrier_hz: missing; a carrier must be given on every step or on none"]


def _non_finite_fields(steps: list[ModulationStep]) -> list[str]:
    reasons = []
    for index, step in enumerate(steps):
        for field in _NUMBER_FIELDS:
            value = getattr(step, field)
            if value is not None and not math.isfinite(value):
                reasons.append(f"steps[{index}].{field}: {value} is not a finite number")
    return reasons


def _timing_violations(
    index: int, step: ModulationStep, steps: list[ModulationStep], total_sec: int
) -> list[str]:
    """Where a step sits in time: ordered, inside the session, its glide done before the next."""
    reasons = []
    start_sec, ramp_sec = step.timestamp_sec, step.ramp_duration_sec
    where = f"steps[{index}]"
    if index > 0 and start_sec <= steps[index - 1].timestamp_sec:
        reasons.append(
            f"{where}.timestamp_sec: {start_sec:.10g} s is not after steps[{index - 1}] at "
            f"{steps[index - 1].timestamp_sec:.10g} s; timestamps must be strictly increasing"
        )
    if start_sec >= total_sec:
        reasons.append(
            f"{where}.timestamp_sec: {start_sec:.10g} s is not before the session end at {total_sec} s"
        )
    if ramp_sec < 0:
        reasons.append(f"{where}.ramp_duration_sec: {ramp_sec:.10g} s is negative")
        return reasons
    if start_sec + ramp_sec > total_sec + FLOAT_SLACK:
        reasons.append(
            f"{where}.ramp_duration_sec: the glide ends at {start_sec + ramp_sec:.10g} s, "
            f"after the session end at {total_sec} s"
        )
    if index + 1 < len(steps):
        gap_sec = steps[index + 1].timestamp_sec - start_sec
        if ramp_sec > gap_sec + FLOAT_SLACK:
            reasons.append(
                f"{where}.ramp_duration_sec: {ramp_sec:.10g} s is longer than the {gap_sec:.10g} s gap "
                f"to steps[{index + 1}]"
            )
    return reasons


def _level_violations(index: int, step: ModulationStep) -> list[str]:
    """The values themselves: a perceivable beat for the layer, a playable tempo."""
    reasons = []
    hz_max = BINAURAL_HZ_MAX if step.layer == "binaural" else MODULATION_HZ_MAX
    if not BEAT_HZ_MIN <= step.binaural_freq <= hz_max:
        reasons.append(
            f"steps[{index}].binaural_freq: {step.binaural_freq:.10g} Hz is outside "
            f"{BEAT_HZ_MIN:.10g}-{hz_max:.10g} Hz allowed on the {step.layer} layer"
        )
    if not BPM_MIN <= step.target_bpm <= BPM_MAX:
        reasons.append(f"steps[{index}].target_bpm: {step.target_bpm} is outside {BPM_MIN}-{BPM_MAX} BPM")
    carrier_hz = step.carrier_hz
    if carrier_hz is not None and not STEP_CARRIER_HZ_MIN <= carrier_hz <= STEP_CARRIER_HZ_MAX:
        reasons.append(
            f"steps[{index}].carrier_hz: {carrier_hz:.10g} Hz is outside "
            f"{STEP_CARRIER_HZ_MIN:.10g}-{STEP_CARRIER_HZ_MAX:.10g} Hz"
        )
    for field in ("tone_level", "noise_level"):
        level = getattr(step, field)
        if level is not None and not 0 <= level <= 1:
            reasons.append(f"steps[{index}].{field}: {level:.10g} is outside 0-1")
    return reasons


def _rate_violations(index: int, previous: ModulationStep, step: ModulationStep) -> list[str]:
    """How fast the glide from the previous step moves; a zero ramp allows no change at all."""
    checks = [
        ("binaural_freq", abs(step.binaural_freq - previous.binaural_freq), "Hz", MAX_BEAT_RATE_HZ_PER_SEC),
        ("target_bpm", abs(step.target_bpm - previous.target_bpm), "BPM", MAX_BPM_RATE_PER_SEC),
    ]
    if step.carrier_hz is not None and previous.carrier_hz is not None:
        change_hz = abs(step.carrier_hz - previous.carrier_hz)
        checks.append(("carrier_hz", change_hz, "Hz", MAX_CARRIER_RATE_HZ_PER_SEC))
    ramp_sec = step.ramp_duration_sec
    return [
        f"steps[{index}].{field}: changes by {change:.6g} {unit} over a {ramp_sec:.10g} s ramp; at most "
        f"{limit_per_sec:.10g} {unit}/s, so it needs a ramp of at least {change / limit_per_sec:.6g} s"
        for field, change, unit, limit_per_sec in checks
        if change > limit_per_sec * ramp_sec + FLOAT_SLACK
    ]


# --- reading a model's text -----------------------------------------------------------------


class _JsonRefused(ValueError):
    """A JSON construct we refuse even though Python's parser would accept it."""


def _refuse_constant(name: str) -> Any:
    raise _JsonRefused(f"{name} is not a number a schedule may contain")


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A repeated key is ambiguous (which value did the model mean?), so it is refused."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _JsonRefused(f"key {key!r} appears twice")
        result[key] = value
    return result


def _loads(text: str) -> Any:
    """json.loads with the refusals above; raises ValueError (or RecursionError) on any problem."""
    return json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_refuse_duplicate_keys)


def _load_json_object(raw: str) -> dict[str, Any]:
    """The schedule object in `raw`: the whole text if it is JSON, else the first `{...}` that is."""
    try:
        whole = _loads(raw)
    except (ValueError, RecursionError) as error:
        whole_error = _json_error_text(error)
    else:
        if isinstance(whole, dict):
            return whole
        raise ScheduleRejected([f"response is a JSON {type(whole).__name__}, not an object"])

    reasons = []
    for start, candidate in itertools.islice(_balanced_objects(raw), _MAX_EMBEDDED_OBJECTS_TRIED):
        try:
            found = _loads(candidate)
        except (ValueError, RecursionError) as error:
            reasons.append(f"object at character {start}: {_json_error_text(error)}")
            continue
        if isinstance(found, dict):
            return found
    if not reasons:
        reasons.append(f"response contains no JSON object ({whole_error})")
    raise ScheduleRejected(reasons)


def _json_error_text(error: ValueError | RecursionError) -> str:
    if isinstance(error, RecursionError):
        return "JSON is nested too deeply"
    if isinstance(error, json.JSONDecodeError):
        return f"invalid JSON: {error.msg} at line {error.lineno} column {error.colno}"
    return f"invalid JSON: {error}"


def _balanced_objects(text: str) -> Iterator[tuple[int, str]]:
    """Each top-level `{...}` span of `text` with its start, in order; braces in strings don't count."""
    depth = 0
    start = 0
    in_string = False
    escaped = False
    for position, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"' and depth > 0:
            in_string = True
        elif char == "{":
            if depth == 0:
                start = position
            depth += 1
        elif char == "}" and depth > 0:
            depth -= 1
            if depth == 0:
                yield start, text[start : position + 1]


def _describe_validation_error(error: ValidationError) -> list[str]:
    """Pydantic's errors as `path: message` lines, e.g. `steps.2.target_bpm: Input should be ...`."""
    details = error.errors(include_url=False, include_input=False)
    reasons = [
        f"{'.'.join(str(part) for part in detail['loc']) or 'response'}: {detail['msg']}"
        for detail in details[:_MAX_REPORTED_PARSE_ERRORS]
    ]
    if len(details) > _MAX_REPORTED_PARSE_ERRORS:
        reasons.append(f"... and {len(details) - _MAX_REPORTED_PARSE_ERRORS} more problems")
    return reasons
