"""Deterministic synthetic tracks with known tempo, key and beat phase.

Test data, not part of the app: used by the analyzer's and library's tests and by
`bench/analysis.py`. Each track is drums (kick, snare, hats) plus a chord pad, a bass line and a
melody in a known key, in one of several genre-like styles.
The same `TrackSpec` always renders the same samples, so a failing case can be replayed.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import soundfile as sf

Style = Literal["four_on_floor", "half_time", "shuffle", "ambient", "syncopated"]
Mode = Literal["major", "minor"]

STYLES: tuple[Style, ...] = ("four_on_floor", "half_time", "shuffle", "ambient", "syncopated")
PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")

# Tempo ranges that the style is usually played at (BPM).
_STYLE_TEMPO: dict[Style, tuple[float, float]] = {
    "four_on_floor": (118.0, 132.0),
    "half_time": (130.0, 150.0),
    "shuffle": (88.0, 128.0),
    "ambient": (62.0, 90.0),
    "syncopated": (92.0, 115.0),
}

# Chord progressions as (semitones above the tonic, chord quality), one chord per bar.
_PROGRESSIONS: dict[Mode, tuple[tuple[tuple[int, str], ...], ...]] = {
    "major": (
        ((0, "maj"), (7, "maj"), (9, "min"), (5, "maj")),  # I V vi IV
        ((0, "maj"), (5, "maj"), (7, "maj"), (0, "maj")),  # I IV V I
        ((0, "maj"), (9, "min"), (5, "maj"), (7, "maj")),  # I vi IV V
        ((0, "maj"), (2, "min"), (7, "maj"), (0, "maj")),  # I ii V I
    ),
    "minor": (
        ((0, "min"), (8, "maj"), (3, "maj"), (10, "maj")),  # i VI III VII
        ((0, "min"), (5, "min"), (7, "maj"), (0, "min")),  # i iv V i (harmonic minor)
        ((0, "min"), (10, "maj"), (8, "maj"), (7, "maj")),  # i VII VI V
        ((0, "min"), (5, "min"), (10, "maj"), (3, "maj")),  # i iv VII III
    ),
}
_CHORD_INTERVALS = {"maj": (0, 4, 7), "min": (0, 3, 7)}
_SCALES: dict[Mode, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
}

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class TrackSpec:
    """What a synthetic track is: its truth and the seed for everything random in it."""

    style: Style
    bpm: float
    tonic: int  # pitch class, 0 = C
    mode: Mode
    seed: int
    duration_sec: float = 24.0
    lead_in_sec: float = 0.0  # silence-free offset of the first beat
    sr: int = 22050

    @property
    def key(self) -> str:
        """The key as the analyzer reports it, e.g. ``"A minor"``."""
        return f"{PITCH_CLASSES[self.tonic]} {self.mode}"

    @property
    def name(self) -> str:
        return f"{self.style}_{self.bpm:.1f}bpm_{PITCH_CLASSES[self.tonic].replace('#', 's')}_{self.mode}"


def benchmark_specs(count: int = 40, seed: int = 2024) -> list[TrackSpec]:
    """`count` varied tracks: styles in turn, random tempo within the style's range, any key."""
    rng = np.random.default_rng(seed)
    specs = []
    for index in range(count):
        style = STYLES[index % len(STYLES)]
        low, high = _STYLE_TEMPO[style]
        specs.append(
            TrackSpec(
                style=style,
                bpm=round(float(rng.uniform(low, high)), 1),
                tonic=int(rng.integers(12)),
                mode="major" if index % 2 == 0 else "minor",
                seed=int(rng.integers(1 << 31)),
                duration_sec=float(rng.uniform(20.0, 30.0)),
                lead_in_sec=round(float(rng.uniform(0.0, 0.4)), 3),
            )
        )
    return specs


def render(spec: TrackSpec) -> FloatArray:
    """The track's mono samples at `spec.sr`, peak-normalised to 0.9."""
    rng = np.random.default_rng(spec.seed)
    n = int(spec.duration_sec * spec.sr)
    out = np.zeros(n + spec.sr * 3)
    beat_sec = 60.0 / spec.bpm
    n_bars = int(spec.duration_sec / (4 * beat_sec)) + 2
    progression = _PROGRESSIONS[spec.mode][int(rng.integers(len(_PROGRESSIONS[spec.mode])))]
    drums = _DRUM_PATTERNS[spec.style]
    swing = 2.0 / 3.0 if spec.style == "shuffle" else 0.5
    drum_gain = 0.35 if spec.style == "ambient" else 1.0

    def at(beat: float) -> int:
        return round((spec.lead_in_sec + beat * beat_sec) * spec.sr)

    for bar in range(n_bars):
        root, quality = progression[bar % len(progression)]
        chord = [spec.tonic + root + iv for iv in _CHORD_INTERVALS[quality]]
        start = bar * 4.0
        # Drums: (instrument, beat within bar); an x.5 beat is an offbeat eighth, swung in a shuffle.
        for instrument, beat in drums:
            whole = int(beat)
            frac = beat - whole
            pos = whole + (swing if frac == 0.5 else frac)
            jitter = rng.normal(0.0, 0.003) * spec.sr
            velocity = drum_gain * rng.uniform(0.8, 1.0)
            _add(out, at(start + pos) + int(jitter), _DRUM_SYNTHS[instrument](spec.sr, rng) * velocity)
        # Pad: the chord held for the bar, voiced around middle C.
        for pitch in chord:
            _add(out, at(start), _tone(spec.sr, 48 + pitch % 12, 4 * beat_sec, 0.12, attack_sec=0.08))
        # Bass: the chord root on beats (and offbeats in busier styles).
        bass_beats = (0.0, 2.0) if spec.style in ("ambient", "half_time") else (0.0, 1.0, 1.5, 2.0, 3.0, 3.5)
        for beat in bass_beats:
            _add(out, at(start + beat), _tone(spec.sr, 36 + chord[0] % 12, 0.45 * beat_sec, 0.22, 0.01))
        # Melody: eighth notes, mostly chord tones, sometimes other scale tones, sometimes rests.
        scale = [spec.tonic + s for s in _SCALES[spec.mode]]
        step = 1.0 if spec.style == "ambient" else 0.5
        for eighth in np.arange(0.0, 4.0, step):
            if rng.random() < 0.3:
                continue
            pitch = int(rng.choice(chord)) if rng.random() < 0.7 else int(rng.choice(scale))
            _add(out, at(start + eighth), _tone(spec.sr, 60 + pitch % 12, 0.9 * step * beat_sec, 0.1, 0.01))
    out = out[:n]
    peak = float(np.max(np.abs(out))) or 1.0
    return out * (0.9 / peak)


def write_track(spec: TrackSpec, directory: Path, fmt: str = "wav") -> Path:
    """Render `spec` into `directory` as WAV, FLAC or MP3 (libsndfile ≥ 1.1 encodes MP3)."""
    path = directory / f"{spec.name}.{fmt}"
    sf.write(path, render(spec).astype(np.float32), spec.sr, format=fmt.upper())
    return path


def _add(out: FloatArray, start: int, sound: FloatArray) -> None:
    start = max(start, 0)
    end = min(start + len(sound), len(out))
    if end > start:
        out[start:end] += sound[: end - start]


def _tone(sr: int, midi: int, length_sec: float, gain: float, attack_sec: float) -> FloatArray:
    """A note with six decaying harmonics, a linear attack and an exponential release."""
    t = np.arange(int(length_sec * sr)) / sr
    freq = 440.0 * 2.0 ** ((midi - 69) / 12.0)
    wave = sum(np.sin(2 * np.pi * freq * h * t) / h**1.3 for h in range(1, 7) if freq * h < sr / 2)
    envelope = np.minimum(t / attack_sec, 1.0) * np.exp(-t / (0.6 * length_sec + 0.05))
    envelope[-64:] *= np.linspace(1.0, 0.0, min(64, len(envelope)))
    return np.asarray(gain * wave * envelope, dtype=np.float64)


def _kick(sr: int, rng: np.random.Generator) -> FloatArray:
    t = np.arange(int(0.3 * sr)) / sr
    freq = 50.0 + 90.0 * np.exp(-t / 0.03)
    phase = 2 * np.pi * np.cumsum(freq) / sr
    return np.sin(phase) * np.exp(-t / 0.12) * 0.9


def _snare(sr: int, rng: np.random.Generator) -> FloatArray:
    t = np.arange(int(0.2 * sr)) / sr
    noise = rng.standard_normal(len(t)) * np.exp(-t / 0.05)
    body = np.sin(2 * np.pi * 185.0 * t) * np.exp(-t / 0.04)
    return 0.35 * noise + 0.4 * body


def _hat(sr: int, rng: np.random.Generator) -> FloatArray:
    t = np.arange(int(0.06 * sr)) / sr
    noise = np.diff(rng.standard_normal(len(t) + 1))  # first difference: a crude high-pass
    return 0.12 * noise * np.exp(-t / 0.015)


_DRUM_SYNTHS = {"kick": _kick, "snare": _snare, "hat": _hat}

_EIGHTH_HATS = [("hat", b / 2) for b in range(8)]
_DRUM_PATTERNS: dict[Style, list[tuple[str, float]]] = {
    "four_on_floor": [("kick", b) for b in (0.0, 1.0, 2.0, 3.0)]
    + [("snare", 1.0), ("snare", 3.0)]
    + [("hat", b + 0.5) for b in range(4)],
    "half_time": [("kick", 0.0), ("kick", 1.5), ("snare", 2.0), *_EIGHTH_HATS],
    "shuffle": [("kick", 0.0), ("kick", 2.0), ("kick", 2.5), ("snare", 1.0), ("snare", 3.0), *_EIGHTH_HATS],
    "ambient": [("kick", b) for b in (0.0, 1.0, 2.0, 3.0)] + [("hat", b + 0.5) for b in (1, 3)],
    "syncopated": [("kick", 0.0), ("kick", 1.5), ("kick", 2.75), ("snare", 1.0), ("snare", 3.0)]
    + [("hat", b / 4) for b in range(16)],
}
