"""SBaGen files read as SBaGen plays them, and written so that SBaGen plays the same session."""

from pathlib import Path

import numpy as np
import pytest

from backend.audio_render.glides import Curve, glides
from backend.audio_render.noise import Colour, seamless_loop
from backend.schedule_files.errors import FileRefused
from backend.schedule_files.sbg import (
    ENGINE_NOISE_LOOP_RMS,
    ExportSettings,
    export,
    import_sbg,
    knots,
    read_sequence,
    session_times,
)
from backend.schedules.schedule import ModulationSchedule, ModulationStep
from backend.schedules.validator import schedule_violations

FILES = Path(__file__).parent / "files"


def steps_of(text: str, clamp: bool = False) -> list[tuple[float, float, float, str, float | None]]:
    schedule = import_sbg(text.encode(), clamp=clamp).schedule
    return [
        (s.timestamp_sec, s.ramp_duration_sec, s.binaural_freq, s.layer, s.tone_level) for s in schedule.steps
    ]


def test_a_wind_down_slides_where_it_says_and_holds_between() -> None:
    imported = import_sbg((FILES / "evening-wind-down.sbg").read_bytes())
    schedule = imported.schedule
    assert schedule.total_duration_sec == 40 * 60
    assert schedule.intent == "Evening wind-down, 40 minutes"
    assert imported.warnings == []
    glides_at = [
        (s.timestamp_sec, s.ramp_duration_sec, s.binaural_freq, s.carrier_hz) for s in schedule.steps
    ]
    assert glides_at == [
        (0.0, 0.0, 10.0, 220.0),
        (1.0, 19.0, 10.0, 220.0),  # "00:00:00 silence ->": faded in over the first 20 s
        (480.0, 240.0, 7.0, 180.0),  # "00:08:00 == settle ->" to 00:12:00: beat and carrier slide
        (1200.0, 360.0, 5.0, 150.0),
        (1920.0, 240.0, 4.0, 140.0),
        (2340.0, 60.0, 4.0, 140.0),  # "00:39:00 deep ->" to silence at the end
    ]
    assert schedule.steps[0].tone_level == 0
    assert schedule.steps[-1].tone_level == schedule.steps[-1].noise_level == 0
    assert max(s.noise_level or 0 for s in schedule.steps) == 1  # the loudest voice is the engine's level
    assert schedule_violations(schedule) == []


def test_isochronic_sets_keep_their_strongest_pulse_and_say_what_was_left_out() -> None:
    imported = import_sbg((FILES / "pulse-focus.sbg").read_bytes())
    assert {s.layer for s in imported.schedule.steps} == {"isochronic"}
    assert [s.binaural_freq for s in imported.schedule.steps] == [10.0, 10.0, 14.0, 16.0, 16.0, 16.0]
    assert any("soundtrack (-m rain.ogg)" in w for w in imported.warnings)
    assert any("line 7" in w and "260@16/22" in w for w in imported.warnings)


def test_blocks_expand_and_default_change_overs_fade_through_silence() -> None:
    imported = import_sbg((FILES / "theta-bursts.sbg").read_bytes())
    schedule = imported.schedule
    # -F 40000: each "base"/"quiet" change-over is 40 s centred on its time; the tone fades out to the
    # midpoint (quiet has no tone), the pink noise, common to both, plays on.
    assert [(s.timestamp_sec, s.ramp_duration_sec, s.tone_level) for s in schedule.steps] == [
        (0.0, 0.0, 0.0),
        (1.0, 19.0, 0.5667),
        (280.0, 20.0, 0.0),
        (600.0, 20.0, 0.5667),
        (880.0, 20.0, 0.0),
        (1190.0, 10.0, 0.5667),  # into "== base ->": no widening into a period of no length
        (2380.0, 20.0, 0.0),
    ]
    assert {s.noise_level for s in schedule.steps[1:-1]} == {1.0}


SETS = "-SE\na: pink/40 200-10/20\nb: pink/40 200-6/20\n"


# Tone 20 % under pink/40: the noise is the loudest voice, the tone keeps its balance to it.
TONE = 0.3778


def test_a_slide_glides_over_the_60_second_change_over() -> None:
    assert steps_of(SETS + "00:00 == a\n00:10 == b\n00:20 == b\n") == [
        # SBaGen blends the last tone-set into the first across the first time (a 60-s change-over
        # centred on it), so with "==" at both ends a session starts half-way from b to a.
        (0.0, 0.0, 8.0, "binaural", TONE),
        (1.0, 29.0, 10.0, "binaural", TONE),
        (570.0, 60.0, 6.0, "binaural", TONE),
    ]


def test_a_fade_of_a_binaural_pitch_dips_through_silence_at_the_midpoint() -> None:
    steps = steps_of(SETS + "00:00 a\n00:10 b\n00:20 b\n")
    assert steps == [
        (0.0, 0.0, 10.0, "binaural", 0.0),  # the wrap-round blend fades through silence too
        (1.0, 29.0, 10.0, "binaural", TONE),
        (570.0, 30.0, 8.0, "binaural", 0.0),  # silent at 10:00; the beat moves evenly meanwhile
        (600.0, 30.0, 6.0, "binaural", TONE),
    ]


def test_fade_from_silence_and_a_trailing_arrow() -> None:
    schedule = import_sbg((SETS + "00:00 == a\n00:10 <= b\n00:20 == b\n").encode()).schedule
    dip = schedule.steps[2]
    assert (dip.timestamp_sec, dip.tone_level, dip.noise_level) == (
        570.0,
        0.0,
        0.0,
    )  # "<": the noise dips too
    assert steps_of(SETS + "00:00 == a ->\n00:10 == b\n00:20 == b\n") == [
        (0.0, 0.0, 10.0, "binaural", TONE),
        (1.0, 599.0, 6.0, "binaural", TONE),  # "->": the whole period is the slide
    ]


def test_times_now_relative_chains_and_midnight() -> None:
    text = SETS + "NOW a\n+00:10 b\nNOW+00:20+00:00:30 a\n"
    assert session_times(read_sequence(text)) == [0, 600_000, 1_230_000]
    overnight = SETS + "23:50 a\n00:05 b\n00:30 a\n"
    assert session_times(read_sequence(overnight)) == [0, 900_000, 2_400_000]


def test_a_sequence_with_one_time_line_plays_for_half_an_hour() -> None:
    imported = import_sbg(b"a: pink/40 200-10/20\nNOW a\n")
    assert imported.schedule.total_duration_sec == 1800
    assert any("one time line" in w for w in imported.warnings)


def test_a_plus_sign_is_the_same_beat_with_the_ears_swapped() -> None:
    imported = import_sbg(b"-SE\na: 200+10/20\n00:00 a\n00:05 a\n")
    assert imported.schedule.steps[0].binaural_freq == 10
    assert any("left ear" in w for w in imported.warnings)


# --- round trips --------------------------------------------------------------------------------


def step(
    at: float, beat: float, ramp: float, layer: str, noise: str, bpm: int = 70, **extra
) -> ModulationStep:
    return ModulationStep(
        timestamp_sec=at,
        target_bpm=bpm,
        binaural_freq=beat,
        ramp_duration_sec=ramp,
        layer=layer,
        noise=noise,
        **extra,
    )


ROUND = ModulationSchedule(
    intent="deep focus: coding",
    total_duration_sec=1800,
    steps=[
        step(0, 10.0, 0, "binaural", "pink"),
        step(120, 14.0, 30, "isochronic", "pink", bpm=80),
        step(900, 8.0, 40, "isochronic", "brown", bpm=80),
        step(1500.5, 6.0, 20, "ambient", "none", bpm=75),
        step(1700, 10.0, 30, "binaural", "none", bpm=75),
    ],
)


def without_comments(text: str) -> bytes:
    return "\n".join(line.split("#")[0] for line in text.splitlines()).encode()


@pytest.mark.parametrize("settings", [ExportSettings(), ExportSettings(carrier_hz=320, volume_cap=0.3)])
def test_schedule_to_sbg_to_schedule_is_the_same(settings: ExportSettings) -> None:
    text = export(ROUND, settings)
    assert import_sbg(text.encode()).schedule == ROUND


def test_schedule_to_sbg_to_schedule_from_its_sbagen_lines_alone() -> None:
    """Without NeuroTune's notes the lines still say it: times (to the second), beats, layers."""
    back = import_sbg(without_comments(export(ROUND))).schedule
    assert back.total_duration_sec == ROUND.total_duration_sec
    for original, read in zip(ROUND.steps, back.steps, strict=True):
        assert read.timestamp_sec == pytest.approx(original.timestamp_sec, abs=1)
        assert read.ramp_duration_sec == pytest.approx(original.ramp_duration_sec, abs=1)
        assert read.binaural_freq == pytest.approx(original.binaural_freq, abs=0.001)
        assert read.layer == original.layer
        assert read.carrier_hz == 200
        assert read.tone_level == pytest.approx(1, abs=0.001)
        assert read.noise == original.noise or read.noise_level == 0


def test_a_changed_file_is_read_from_its_lines() -> None:
    text = export(ROUND).replace("00:15:00 == s01 ->", "00:14:00 == s01 ->")
    imported = import_sbg(text.encode())
    assert imported.schedule.steps[2].timestamp_sec == 840
    assert any("changed after NeuroTune wrote it" in w for w in imported.warnings)


def sound_per_second(data: bytes) -> np.ndarray:
    """(beat, carrier, tone level, noise level) each second, as SBaGen's period model plays the file."""
    schedule = import_sbg(without_comments(data.decode())).schedule
    times = np.arange(0, schedule.total_duration_sec, 1.0)
    values = [
        lambda s: s.binaural_freq,
        lambda s: s.carrier_hz or 0.0,
        lambda s: s.tone_level or 0.0,
        lambda s: s.noise_level or 0.0,
    ]
    return np.array([[Curve(glides(schedule.steps, v)).value_at(t) for v in values] for t in times])


@pytest.mark.parametrize("name", ["evening-wind-down.sbg", "pulse-focus.sbg", "theta-bursts.sbg"])
def test_sbg_to_schedule_to_sbg_plays_the_same(name: str) -> None:
    original = (FILES / name).read_bytes()
    exported = export(import_sbg(original).schedule).encode()
    before, after = sound_per_second(original), sound_per_second(exported)
    assert before.shape == after.shape
    audible = before[:, 2] > 0.05
    assert np.abs(before[audible, 0] - after[audible, 0]).max() <= 0.05  # beat
    assert np.abs(before[audible, 1] - after[audible, 1]).max() <= 0.5  # carrier
    assert np.abs(before[:, 2] - after[:, 2]).max() <= 0.01  # levels, relative to the loudest
    assert np.abs(before[:, 3] - after[:, 3]).max() <= 0.01


def test_export_writes_what_sbagen_needs() -> None:
    text = export(ROUND)
    lines = [line.split("#")[0].strip() for line in text.splitlines()]
    assert "-SE" in lines
    sets = [line for line in lines if line.startswith("s0")]
    assert all(len(line.split()) == 8 for line in sets)  # the same seven channels in every set
    assert "200-10/10" in sets[0]  # binaural written C-B: the lower tone in the left ear, as NeuroTune
    timed = [line for line in lines if line[:2].isdigit()]
    assert timed[0] == timed[1] == "00:00:00 == s00"
    assert timed[-1] == "00:30:00 == s04"
    assert all(len(line) < 4000 for line in text.splitlines())
    assert knots(read_sequence(text))[1] == 1_800_000


def test_the_noise_levels_match_the_engines_loops() -> None:
    colours: tuple[Colour, ...] = ("pink", "brown")
    for index, colour in enumerate(colours):
        loop = seamless_loop(colour, 44_100, np.random.default_rng([0, index]))
        rms = float(np.sqrt(np.mean(np.square(loop, dtype=np.float64))))
        assert 20 * np.log10(rms / ENGINE_NOISE_LOOP_RMS[colour]) == pytest.approx(0, abs=1)


def test_out_of_bounds_is_refused_with_its_line_or_clamped_with_every_change() -> None:
    text = "-SE\nfast: 200-45/20\n00:00 fast\n00:10 fast\n"
    with pytest.raises(FileRefused) as refused:
        import_sbg(text.encode())
    assert refused.value.line == 3
    assert "45 Hz is outside 0.5-30 Hz" in refused.value.reason
    clamped = import_sbg(text.encode(), clamp=True)
    assert clamped.schedule.steps[0].binaural_freq == 30
    assert any("clamped: line 3 binaural_freq 45 -> 30" in w for w in clamped.warnings)
