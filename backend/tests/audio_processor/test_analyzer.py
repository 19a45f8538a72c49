"""The analyzer on tracks with known truth, and on files that are not music at all."""

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from backend.audio_processor import TrackAnalysis, analyze_file, analyze_signal
from backend.tests.audio_processor.synthetic_tracks import STYLES, TrackSpec, render, write_track


def _spec(style: str = "four_on_floor", bpm: float = 120.0, tonic: int = 9, mode: str = "minor", **kw):
    return TrackSpec(style=style, bpm=bpm, tonic=tonic, mode=mode, seed=kw.pop("seed", 5), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("style", "bpm"),
    [
        ("four_on_floor", 120.0),
        ("half_time", 140.0),
        ("shuffle", 96.0),
        ("ambient", 70.0),
        ("syncopated", 104.0),
    ],
)
def test_tempo_is_exact_across_styles(style: str, bpm: float) -> None:
    assert style in STYLES
    spec = _spec(style=style, bpm=bpm, duration_sec=20.0)
    result = analyze_signal(render(spec), spec.sr)
    assert result.error is None
    assert result.bpm == pytest.approx(bpm, abs=0.2)
    assert 0.0 < result.bpm_confidence <= 1.0


def test_steady_120_is_not_reported_on_a_coarse_grid() -> None:
    spec = _spec(bpm=120.0, duration_sec=20.0)
    result = analyze_signal(render(spec), spec.sr)
    assert result.bpm == pytest.approx(120.0, abs=0.05)


def test_beat_offset_is_the_first_beat() -> None:
    spec = _spec(bpm=110.0, lead_in_sec=0.23, duration_sec=20.0)
    result = analyze_signal(render(spec), spec.sr)
    assert result.beat_offset_sec == pytest.approx(0.23, abs=0.02)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ((0, "major"), (9, "minor")),  # relative keys: C major / A minor share every note
        ((0, "major"), (7, "major")),  # a fifth apart: C major / G major differ by one note
        ((6, "major"), (3, "minor")),  # F# major / D# minor
    ],
)
def test_related_keys_are_told_apart(first: tuple[int, str], second: tuple[int, str]) -> None:
    for tonic, mode in (first, second):
        spec = _spec(tonic=tonic, mode=mode, bpm=112.0, duration_sec=20.0, seed=tonic + 1)
        result = analyze_signal(render(spec), spec.sr)
        assert result.key == spec.key
        assert 0.0 <= result.key_confidence <= 1.0


@pytest.mark.parametrize("fmt", ["wav", "flac", "mp3"])
def test_file_formats_decode(tmp_path: Path, fmt: str) -> None:
    spec = _spec(bpm=124.0, tonic=2, mode="major", duration_sec=12.0)
    result = analyze_file(write_track(spec, tmp_path, fmt))
    assert result.error is None
    assert result.duration_sec == pytest.approx(12.0, abs=0.1)
    assert result.bpm == pytest.approx(124.0, abs=0.3)
    assert result.key == "D major"


def test_long_file_is_analysed_from_an_excerpt_with_the_file_phase(tmp_path: Path) -> None:
    spec = _spec(bpm=125.0, duration_sec=70.0, lead_in_sec=0.1, sr=11025)
    path = tmp_path / "long.flac"
    sf.write(path, render(spec).astype(np.float32), spec.sr)
    result = analyze_file(path)
    assert result.duration_sec == pytest.approx(70.0, abs=0.01)
    assert result.bpm == pytest.approx(125.0, abs=0.1)
    assert result.beat_offset_sec == pytest.approx(0.1, abs=0.02)


def _assert_failed(result: TrackAnalysis, reason: str) -> None:
    assert result.error is not None
    assert reason in result.error
    assert result.bpm is None
    assert result.key is None


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    _assert_failed(analyze_file(path), "empty")


def test_missing_file(tmp_path: Path) -> None:
    _assert_failed(analyze_file(tmp_path / "nope.flac"), "not a file")


def test_truncated_flac(tmp_path: Path) -> None:
    path = write_track(_spec(duration_sec=8.0), tmp_path, "flac")
    path.write_bytes(path.read_bytes()[:200])
    result = analyze_file(path)
    assert result.error is not None
    assert result.bpm is None


def test_random_bytes_named_mp3(tmp_path: Path) -> None:
    path = tmp_path / "noise.mp3"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    result = analyze_file(path)
    assert result.error is not None
    assert result.bpm is None


def test_text_renamed_wav(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("this is not audio\n" * 50)
    _assert_failed(analyze_file(path), "cannot decode")


def test_silence(tmp_path: Path) -> None:
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros(22050 * 5, dtype=np.float32), 22050)
    result = analyze_file(path)
    _assert_failed(result, "silent")
    assert result.duration_sec == pytest.approx(5.0)


def test_half_second_file(tmp_path: Path) -> None:
    path = tmp_path / "blip.wav"
    sf.write(path, render(_spec(duration_sec=0.5)).astype(np.float32), 22050)
    _assert_failed(analyze_file(path), "too short")


@pytest.mark.parametrize(
    ("samples", "reason"),
    [
        (np.full(22050 * 4, np.nan), "NaN"),
        (np.zeros((2, 3, 4)), "mono"),
        (["a", "b"], "not numeric"),
    ],
)
def test_bad_samples(samples: object, reason: str) -> None:
    _assert_failed(analyze_signal(samples, 22050), reason)  # type: ignore[arg-type]


def test_noise_has_no_confident_answer() -> None:
    noise = np.random.default_rng(1).standard_normal(22050 * 6) * 0.1
    result = analyze_signal(noise, 22050)
    assert result.error is None or result.bpm is None
    assert result.bpm_confidence < 0.5


def test_render_is_deterministic() -> None:
    spec = _spec(duration_sec=5.0)
    assert np.array_equal(render(spec), render(spec))
