"""A schedule as a row of numbers: the hold's time-weighted beat and tempo, layers, noise, ramps."""

from datetime import UTC, datetime
from typing import Any

import pytest

from backend.insights.features import RatedSession, schedule_features, sessions_frame
from backend.schedules.hold import PlannerOffsets
from backend.schedules.intents import classify_intent
from backend.schedules.plan import SessionBrief, plan_schedule

FOCUS = classify_intent("deep focus: coding")  # band 14-18 Hz, 90-120 BPM


def _step(at: float, hz: float, bpm: int, ramp: float = 0, layer: str = "binaural", noise: str = "none"):
    return {
        "timestamp_sec": at,
        "target_bpm": bpm,
        "binaural_freq": hz,
        "ramp_duration_sec": ramp,
        "layer": layer,
        "noise": noise,
    }


def _schedule(*steps: dict[str, Any], total: int = 1200) -> dict[str, Any]:
    return {"intent": "coding", "total_duration_sec": total, "steps": list(steps)}


def test_hold_is_time_weighted_between_arrival_and_return() -> None:
    schedule = _schedule(
        _step(0, 10.0, 75),  # arrival: not the hold
        _step(60, 16.0, 100, ramp=60),  # glide in: the hold starts when it has arrived, at 120 s
        _step(600, 18.0, 110, ramp=100),  # 100 s glide inside the hold
        _step(1100, 11.0, 80, ramp=50),  # the return leaves the band: the hold ends at 1100 s
    )
    features = schedule_features(schedule, FOCUS)
    assert features is not None
    # 16 Hz for 480 s, a glide 16->18 for 100 s (mean 17), then 18 Hz for 400 s; over 980 s.
    assert features.beat_hz == pytest.approx((16 * 480 + 17 * 100 + 18 * 400) / 980)
    assert features.bpm == pytest.approx((100 * 480 + 105 * 100 + 110 * 400) / 980)
    assert features.ramp_hz_per_sec == pytest.approx((6 / 60 + 2 / 100 + 7 / 50) / 3)


def test_layer_and_noise_shares_cover_the_whole_session() -> None:
    schedule = _schedule(
        _step(0, 10.0, 75, layer="binaural", noise="pink"),
        _step(300, 15.0, 100, ramp=30, layer="isochronic", noise="pink"),
        _step(900, 15.0, 100, layer="ambient", noise="brown"),
    )
    features = schedule_features(schedule, FOCUS)
    assert features is not None
    assert features.binaural_fraction == pytest.approx(0.25)
    assert features.isochronic_fraction == pytest.approx(0.5)
    assert features.ambient_fraction == pytest.approx(0.25)
    assert features.pink_noise_fraction == pytest.approx(0.75)
    assert features.brown_noise_fraction == pytest.approx(0.25)


def test_planner_offsets_move_the_measured_hold() -> None:
    holds = []
    for offset_hz, offset_bpm in [(-1.5, -10), (0, 0), (1.5, 10)]:
        schedule = plan_schedule(SessionBrief("coding", 30, offsets=PlannerOffsets(offset_hz, offset_bpm)))
        features = schedule_features(schedule.model_dump(mode="json"), FOCUS)
        assert features is not None
        assert features.beat_hz == pytest.approx(16 + offset_hz, abs=0.4)
        assert features.bpm == pytest.approx(105 + offset_bpm, abs=4)
        holds.append((features.beat_hz, features.bpm))
    assert holds == sorted(holds)


def test_a_schedule_that_never_reaches_the_band_uses_everything_after_the_opening() -> None:
    schedule = _schedule(_step(0, 10.0, 75), _step(100, 8.0, 70, ramp=10))
    features = schedule_features(schedule, FOCUS)
    assert features is not None
    assert features.beat_hz == pytest.approx((9 * 10 + 8 * 1090) / 1100)


def test_single_step_schedule_is_all_hold() -> None:
    features = schedule_features(_schedule(_step(0, 15.0, 100)), FOCUS)
    assert features is not None
    assert (features.beat_hz, features.bpm, features.ramp_hz_per_sec) == (15.0, 100.0, 0.0)


@pytest.mark.parametrize(
    "schedule",
    [
        {},
        {"total_duration_sec": 600},
        {"total_duration_sec": 600, "steps": []},
        {"total_duration_sec": 600, "steps": "nope"},
        {"total_duration_sec": 0, "steps": [_step(0, 10.0, 75)]},
        {"total_duration_sec": float("nan"), "steps": [_step(0, 10.0, 75)]},
        {"total_duration_sec": 600, "steps": [_step(0, float("nan"), 75)]},
        {"total_duration_sec": 600, "steps": [_step(0, 10.0, 75, layer="laser")]},
        {"total_duration_sec": 600, "steps": [{**_step(0, 10.0, 75), "binaural_freq": True}]},
        {"total_duration_sec": 600, "steps": [{**_step(0, 10.0, 75), "binaural_freq": "10"}]},
        {"total_duration_sec": 600, "steps": [None]},
    ],
)
def test_malformed_schedules_give_none(schedule: dict[str, Any]) -> None:
    assert schedule_features(schedule, FOCUS) is None


def test_frame_leaves_out_malformed_sessions_and_classifies_families() -> None:
    good = plan_schedule(SessionBrief("help me sleep", 30)).model_dump(mode="json")
    at = datetime(2026, 1, 1, tzinfo=UTC)
    frame = sessions_frame(
        [
            RatedSession(1, 7, "adhd", "help me sleep", good, 4.0, at),
            RatedSession(2, 7, "adhd", "help me sleep", {"steps": "broken"}, 5.0, at),
        ]
    )
    assert list(frame["session_id"]) == [1]
    row = frame.iloc[0]
    assert row["family"] == "sleep"
    assert row["ambient_fraction"] == 1.0
    assert 1.5 <= float(row["beat_hz"]) <= 3.0
