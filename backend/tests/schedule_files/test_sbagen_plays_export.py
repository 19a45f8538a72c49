"""SBaGen+ itself plays an exported file as the same session: measured against our renderer per
2-second window (carriers, beat, level). Needs an SBaGen+ binary (built from its public source; not
shipped here): NEUROTUNE_TEST_SBAGEN=/path/to/sbagen+; skipped, saying so, without one."""

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile

from backend.audio_render.synth import RenderSettings, render
from backend.schedule_files.sbg import export, import_sbg
from backend.schedules.schedule import ModulationSchedule, ModulationStep
from backend.tests.audio_render.analysis import db, envelope_rate_hz, fft_peak_hz, rms

SBAGEN = os.environ.get("NEUROTUNE_TEST_SBAGEN")
pytestmark = pytest.mark.skipif(
    not SBAGEN, reason="no SBaGen+ binary: set NEUROTUNE_TEST_SBAGEN=/path/to/sbagen+ (built from its source)"
)


def step(at: float, beat: float, ramp: float, layer: str, noise: str = "none") -> ModulationStep:
    return ModulationStep(
        timestamp_sec=at, target_bpm=70, binaural_freq=beat, ramp_duration_sec=ramp, layer=layer, noise=noise
    )


SESSION = ModulationSchedule(
    intent="sbagen plays it",
    total_duration_sec=120,
    steps=[
        step(0, 10.0, 0, "binaural"),
        step(20, 6.0, 20, "binaural"),
        step(60, 8.0, 10, "isochronic"),
        step(90, 5.0, 15, "ambient"),
    ],
)


def test_sbagen_plays_the_exported_session_as_we_render_it(tmp_path: Path) -> None:
    sequence = tmp_path / "session.sbg"
    sequence.write_text(export(SESSION))
    wav = tmp_path / "sbagen.wav"
    subprocess.run(
        [str(SBAGEN), "-Q", "-Wo", str(wav), str(sequence)], check=True, capture_output=True, timeout=120
    )
    theirs, rate = soundfile.read(wav)
    ours = np.concatenate(list(render(SESSION, RenderSettings(fade_in_sec=0, fade_out_sec=0))))
    assert abs(len(theirs) - len(ours)) <= rate // 10
    for start in range(2, 118, 2):
        window = slice(start * rate, (start + 2) * rate)
        a, b = theirs[window], ours[window]
        for ear in (0, 1):
            assert abs(db(rms(a[:, ear]) / rms(b[:, ear]))) <= 1, (start, ear)
        if 58 <= start < 70 or 88 <= start < 105:
            continue  # layers crossfading: two tones, whose strongest FFT peak depends on the gate shape
        peaks = [fft_peak_hz(part, rate, 120, 400) for part in (a[:, 0], a[:, 1], b[:, 0], b[:, 1])]
        assert abs(peaks[0] - peaks[2]) <= 0.5, start
        assert abs(peaks[1] - peaks[3]) <= 0.5, start
        assert abs((peaks[1] - peaks[0]) - (peaks[3] - peaks[2])) <= 0.05, start
        if start >= 72:  # isochronic pulses and the ambient AM repeat at the same rate
            assert envelope_rate_hz(a[:, 0], rate) == pytest.approx(envelope_rate_hz(b[:, 0], rate), abs=0.1)


def test_an_imported_file_plays_as_sbagen_plays_it(tmp_path: Path) -> None:
    """Our render of the import against SBaGen+'s render of the file: every carrier (and so the beat)
    per window, through slides and fades, and the level's contour (the import keeps the file's balance
    with its loudest voice at the engine's level, so the levels differ by one constant)."""
    source = Path(__file__).parent / "files" / "evening-wind-down.sbg"
    wav = tmp_path / "sbagen.wav"
    subprocess.run(
        [str(SBAGEN), "-Q", "-Wo", str(wav), str(source)], check=True, capture_output=True, timeout=120
    )
    theirs, rate = soundfile.read(wav)
    schedule = import_sbg(source.read_bytes()).schedule
    ours = np.concatenate(
        list(render(schedule, RenderSettings(volume_cap=1.0, fade_in_sec=0, fade_out_sec=0)))
    )
    assert len(theirs) == len(ours)
    offsets = []
    for start in range(30, schedule.total_duration_sec - 60, 30):
        window = slice(start * rate, (start + 2) * rate)
        a, b = theirs[window], ours[window]
        peaks = [fft_peak_hz(part, rate, 60, 1000) for part in (a[:, 0], a[:, 1], b[:, 0], b[:, 1])]
        assert abs(peaks[0] - peaks[2]) <= 0.5, start
        assert abs(peaks[1] - peaks[3]) <= 0.5, start
        assert abs((peaks[1] - peaks[0]) - (peaks[3] - peaks[2])) <= 0.05, start
        offsets.append(db(rms(a[:, 0]) / rms(b[:, 0])))
    assert max(offsets) - min(offsets) <= 1
