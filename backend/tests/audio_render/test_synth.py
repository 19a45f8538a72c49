"""The renderer measured, not trusted: FFT peaks per 2-s window against the schedule, levels against
the browser engine's (frontend/lib/audio/levels.ts), glide timing, smoothness, the cap and fades."""

import tracemalloc

import numpy as np
import pytest

from backend.audio_render.levels import (
    AM_DEPTH,
    NOISE_BED_PEAK,
    PEAK_CEILING,
    TONE_PEAK,
)
from backend.audio_render.noise import seamless_loop
from backend.audio_render.synth import RenderSettings, peak_bound, pulse_gate, render
from backend.schedules.schedule import ModulationSchedule, ModulationStep
from backend.schedules.validator import ScheduleRejected
from backend.tests.audio_render.analysis import (
    db,
    envelope_rate_hz,
    fft_peak_hz,
    max_jump,
    rms,
    windows,
)

RATE = 44_100
QUIET = RenderSettings(volume_cap=0.5, fade_in_sec=0.0, fade_out_sec=0.0)


def step(at: float, beat: float, ramp: float = 0.0, layer: str = "binaural", noise: str = "none", **extra):
    return ModulationStep(
        timestamp_sec=at,
        target_bpm=80,
        binaural_freq=beat,
        ramp_duration_sec=ramp,
        layer=layer,
        noise=noise,
        **extra,
    )


def schedule(total_sec: int, *steps: ModulationStep) -> ModulationSchedule:
    return ModulationSchedule(intent="test", total_duration_sec=total_sec, steps=list(steps))


def rendered(plan: ModulationSchedule, settings: RenderSettings = QUIET, block_frames: int = 16_384):
    audio = np.concatenate(list(render(plan, settings, block_frames)))
    return audio[:, 0], audio[:, 1]


def ramp_value(t: float, start: float, end: float, before: float, after: float) -> float:
    if t <= start:
        return before
    if t >= end:
        return after
    return before + (after - before) * (t - start) / (end - start)


# A hold at 10 Hz, a 30-s glide to 4 Hz from 60 s, a hold to the end.
GLIDE = schedule(150, step(0, 10.0), step(60, 4.0, ramp=30))


def expected_beat(window_start: float) -> float:
    """The mean of the glide over a 2-s window (a linear ramp's mean is its midpoint's value)."""
    times = np.linspace(window_start, window_start + 2, 201)
    return float(np.mean([ramp_value(t, 60, 90, 10.0, 4.0) for t in times]))


def test_each_ear_and_the_beat_follow_the_schedule_per_window() -> None:
    left, right = rendered(GLIDE)
    for start, left_part, right_part in windows(left, right, RATE):
        left_hz = fft_peak_hz(left_part, RATE, 100, 400)
        right_hz = fft_peak_hz(right_part, RATE, 100, 400)
        beat = expected_beat(start)
        assert abs(left_hz - (200 - beat / 2)) <= 0.5, (start, left_hz)
        assert abs(right_hz - (200 + beat / 2)) <= 0.5, (start, right_hz)
        assert abs((right_hz - left_hz) - beat) <= 0.05, (start, right_hz - left_hz, beat)


def test_the_glide_starts_and_ends_on_time() -> None:
    left, right = rendered(GLIDE)
    centres, beats = [], []
    for start, left_part, right_part in windows(left, right, RATE, window_sec=2.0, hop_sec=0.5):
        centres.append(start + 1.0)
        beats.append(fft_peak_hz(right_part, RATE, 100, 400) - fft_peak_hz(left_part, RATE, 100, 400))
    centres_arr, beats_arr = np.array(centres), np.array(beats)
    inside = (centres_arr > 62) & (centres_arr < 88)
    slope, intercept = np.polyfit(centres_arr[inside], beats_arr[inside], 1)
    assert slope == pytest.approx(-0.2, abs=0.01)
    assert (10.0 - intercept) / slope == pytest.approx(60.0, abs=0.5)
    assert (4.0 - intercept) / slope == pytest.approx(90.0, abs=0.5)


def test_a_step_carrier_glides_like_the_beat() -> None:
    plan = schedule(120, step(0, 8.0, carrier_hz=300.0), step(40, 8.0, ramp=20, carrier_hz=150.0))
    left, right = rendered(plan)
    for start, left_part, right_part in windows(left, right, RATE):
        carrier = float(
            np.mean([ramp_value(t, 40, 60, 300.0, 150.0) for t in np.linspace(start, start + 2, 201)])
        )
        assert abs(fft_peak_hz(left_part, RATE, 100, 400) - (carrier - 4)) <= 0.5, start
        assert abs(fft_peak_hz(right_part, RATE, 100, 400) - (carrier + 4)) <= 0.5, start


def test_the_binaural_level_is_the_engines_tone_peak_under_the_cap() -> None:
    left, right = rendered(GLIDE)
    expected = TONE_PEAK * QUIET.volume_cap / np.sqrt(2)
    for start, left_part, right_part in windows(left, right, RATE):
        assert abs(db(rms(left_part) / expected)) <= 1, start
        assert abs(db(rms(right_part) / expected)) <= 1, start


def test_isochronic_pulses_at_the_rate_with_the_gates_level() -> None:
    left, _ = rendered(schedule(60, step(0, 6.0, layer="isochronic")))
    phase = np.linspace(0, 1, 100_000, endpoint=False)
    gate = pulse_gate(np.sin(2 * np.pi * phase).astype(np.float32))
    expected = TONE_PEAK * QUIET.volume_cap * np.sqrt(np.mean(np.square(gate, dtype=np.float64)) / 2)
    for start, part, _ in windows(left, left, RATE):
        assert envelope_rate_hz(part, RATE) == pytest.approx(6.0, abs=0.1), start
        assert abs(db(rms(part) / expected)) <= 1, start


def test_ambient_without_noise_is_the_carrier_gently_modulated() -> None:
    left, _ = rendered(schedule(60, step(0, 5.0, layer="ambient")))
    window = left[RATE * 10 : RATE * 12]
    assert envelope_rate_hz(window, RATE) == pytest.approx(5.0, abs=0.1)
    cycles = np.abs(window).reshape(-1, RATE // 50).max(axis=1)  # per 20 ms: 4 carrier cycles
    assert cycles.min() / cycles.max() == pytest.approx(1 - AM_DEPTH, abs=0.03)


def test_the_noise_bed_has_the_engines_level_and_colour() -> None:
    plan = schedule(60, step(0, 10.0, noise="pink"))
    left, _ = rendered(plan, RenderSettings(volume_cap=1.0, fade_in_sec=0, fade_out_sec=0, tone_volume=0.0))
    loop = seamless_loop("pink", RATE, np.random.default_rng(0))
    assert abs(db(rms(left) / (NOISE_BED_PEAK * rms(loop[:, 0])))) <= 1
    brown = rendered(
        schedule(60, step(0, 10.0, noise="brown")),
        RenderSettings(volume_cap=1.0, fade_in_sec=0, fade_out_sec=0, tone_volume=0.0),
    )[0]

    def slope_db_per_octave(samples: np.ndarray) -> float:
        spectrum = np.abs(np.fft.rfft(samples)) ** 2
        freqs = np.fft.rfftfreq(len(samples), 1 / RATE)
        bands = [(f, 2 * f) for f in (100, 200, 400, 800, 1600)]
        power = [spectrum[(freqs >= lo) & (freqs < hi)].mean() for lo, hi in bands]
        return float(np.polyfit(np.arange(len(bands)), 10 * np.log10(power), 1)[0])

    assert slope_db_per_octave(left) == pytest.approx(-3, abs=1)
    assert slope_db_per_octave(brown) == pytest.approx(-6, abs=1)


def test_layers_crossfade_without_a_jump_and_stay_under_the_cap() -> None:
    plan = schedule(
        120,
        step(0, 10.0, layer="binaural"),
        step(30, 10.0, ramp=0, layer="isochronic"),
        step(60, 10.0, ramp=0, layer="ambient"),
        step(90, 10.0, ramp=0, layer="binaural"),
    )
    settings = RenderSettings(volume_cap=1.0, fade_in_sec=3, fade_out_sec=2)
    left, right = rendered(plan, settings, block_frames=4_000)
    # The steepest a sum of sines of these levels and frequencies can move in one sample.
    bound = TONE_PEAK * 2 * np.pi * 210 / RATE * 1.05
    assert max_jump(left) <= bound
    assert max_jump(right) <= bound
    assert max(np.abs(left).max(), np.abs(right).max()) <= TONE_PEAK * 1.01


def test_nothing_can_pass_the_ceiling_and_the_cap_scales_everything() -> None:
    assert peak_bound() < PEAK_CEILING
    plan = schedule(
        90,
        step(0, 10.0, layer="binaural", noise="brown"),
        step(30, 10.0, layer="ambient", noise="pink"),
        step(60, 10.0, layer="isochronic", noise="pink"),
    )
    for cap in (1.0, 0.3):
        left, right = rendered(plan, RenderSettings(volume_cap=cap))
        peak = max(np.abs(left).max(), np.abs(right).max())
        assert peak <= cap * peak_bound()


def test_it_fades_in_and_out() -> None:
    left, right = rendered(schedule(60, step(0, 10.0)), RenderSettings(volume_cap=1.0))
    assert left[0] == 0
    assert right[0] == 0
    assert rms(left[: RATE // 2]) < rms(left[RATE * 10 : RATE * 11]) / 5
    assert np.abs(left[-RATE // 10 :]).max() < 0.01
    assert np.abs(right[-1]) < 1e-3


def test_balance_turns_the_far_ear_down() -> None:
    left, right = rendered(schedule(60, step(0, 10.0)), RenderSettings(balance=0.5, fade_in_sec=0))
    assert db(rms(left) / rms(right)) == pytest.approx(db(0.5), abs=0.1)


def test_blocks_join_seamlessly_whatever_their_size() -> None:
    plan = schedule(90, step(0, 10.0, noise="pink"), step(30, 6.0, ramp=20, layer="ambient", noise="brown"))
    a = np.concatenate(list(render(plan, QUIET, 16_384)))
    b = np.concatenate(list(render(plan, QUIET, 1_000)))
    assert np.allclose(a, b, atol=2e-5)


def test_the_same_seed_renders_the_same_file() -> None:
    plan = schedule(60, step(0, 10.0, noise="pink"))
    assert np.array_equal(rendered(plan)[0], rendered(plan)[0])
    other = rendered(plan, RenderSettings(seed=7, fade_in_sec=0, fade_out_sec=0))[0]
    assert not np.array_equal(rendered(plan)[0], other)


def test_an_unsafe_schedule_renders_nothing() -> None:
    unsafe = schedule(60, step(0, 10.0), step(10, 30.0, ramp=1))
    with pytest.raises(ScheduleRejected, match="binaural_freq"):
        render(unsafe, QUIET)


def test_memory_stays_bounded_whatever_the_length() -> None:
    def peak_bytes(total_sec: int) -> int:
        plan = schedule(
            total_sec, step(0, 10.0, noise="pink"), step(total_sec // 2, 6.0, ramp=30, noise="brown")
        )
        tracemalloc.start()
        for _ in render(plan, QUIET):
            pass
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    short, long = peak_bytes(120), peak_bytes(1_200)
    assert long < 40 * 2**20
    assert long < short * 1.2
