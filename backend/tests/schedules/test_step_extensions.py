"""The step's optional fields (imported sessions): left out of the JSON when unset, and bounded."""

import pytest

from backend.schedules.schedule import ModulationSchedule, ModulationStep
from backend.schedules.validator import schedule_violations


def step(at: float, beat: float, ramp: float = 0.0, **extra: float) -> ModulationStep:
    return ModulationStep(
        timestamp_sec=at, target_bpm=70, binaural_freq=beat, ramp_duration_sec=ramp, layer="binaural", **extra
    )


def plan(*steps: ModulationStep) -> ModulationSchedule:
    return ModulationSchedule(intent="imported", total_duration_sec=600, steps=list(steps))


def test_unset_fields_are_not_written_so_existing_schedules_read_and_write_as_before() -> None:
    original = {
        "intent": "focus",
        "total_duration_sec": 600,
        "steps": [
            {
                "timestamp_sec": 0.0,
                "target_bpm": 70,
                "binaural_freq": 10.0,
                "ramp_duration_sec": 0.0,
                "layer": "binaural",
                "noise": "none",
            }
        ],
    }
    schedule = ModulationSchedule.model_validate(original)
    assert schedule.model_dump(mode="json") == original
    assert "carrier_hz" not in schedule.model_dump_json()
    assert step(0, 10, carrier_hz=300.0).model_dump()["carrier_hz"] == 300.0


def test_a_carrier_on_every_step_glides_within_its_rate() -> None:
    assert schedule_violations(plan(step(0, 10, carrier_hz=300), step(60, 10, ramp=20, carrier_hz=150))) == []
    too_fast = schedule_violations(plan(step(0, 10, carrier_hz=300), step(60, 10, ramp=5, carrier_hz=150)))
    assert too_fast == [
        "steps[1].carrier_hz: changes by 150 Hz over a 5 s ramp; at most 10 Hz/s, "
        "so it needs a ramp of at least 15 s"
    ]


def test_a_carrier_is_on_every_step_or_none() -> None:
    assert schedule_violations(plan(step(0, 10, carrier_hz=300), step(60, 10))) == [
        "steps[1].carrier_hz: missing; a carrier must be given on every step or on none"
    ]


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"carrier_hz": 40.0}, "steps[0].carrier_hz: 40 Hz is outside 50-1000 Hz"),
        ({"carrier_hz": 1200.0}, "steps[0].carrier_hz: 1200 Hz is outside 50-1000 Hz"),
        ({"tone_level": 1.5}, "steps[0].tone_level: 1.5 is outside 0-1"),
        ({"noise_level": -0.1}, "steps[0].noise_level: -0.1 is outside 0-1"),
    ],
)
def test_values_outside_their_bounds(extra: dict[str, float], reason: str) -> None:
    assert schedule_violations(plan(step(0, 10, **extra))) == [reason]


def test_non_finite_values_are_reported_not_compared() -> None:
    unchecked = ModulationStep.model_construct(
        timestamp_sec=0.0,
        target_bpm=70,
        binaural_freq=10.0,
        ramp_duration_sec=0.0,
        layer="binaural",
        noise="none",
        carrier_hz=float("nan"),
        tone_level=None,
        noise_level=None,
    )
    assert schedule_violations(plan(unchecked)) == ["steps[0].carrier_hz: nan is not a finite number"]
