"""Tempo and key accuracy and speed: our analyzer against librosa's defaults and essentia.

Run: `.venv/bin/python -m bench.analysis [--tracks 40]`. Renders the generated set (five genre-like
styles, major and minor keys, known BPM, key) as WAV files, then times each analyzer over all of
them from file to answer, after one warm-up call each (so JIT compilation is not counted).

Columns: Acc1 (tempo within 4 %), Acc2 (also allowing x1/2, x2, x1/3, x3), mean absolute BPM error over
Acc1 hits, key MIREX weighted score (1 exact, 0.5 fifth, 0.3 relative, 0.2 parallel), seconds per
file and times real time. essentia is AGPL: it is a benchmark-only comparison, never a dependency.
"""

import argparse
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import librosa
import numpy as np

from backend.audio_processor.analyzer import PITCH_CLASSES, analyze_file, warm_up
from backend.tests.audio_processor.synthetic_tracks import TrackSpec, benchmark_specs, write_track

Estimate = tuple[float | None, str | None]

_KRUMHANSL_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_KRUMHANSL_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


@dataclass
class Row:
    name: str
    acc1: float
    acc2: float
    bpm_error: float
    key_score: float
    sec_per_file: float
    realtime: float


def ours(path: Path) -> Estimate:
    result = analyze_file(path)
    return result.bpm, result.key


def librosa_defaults(path: Path) -> Estimate:
    y, sr = librosa.load(path)
    tempo, _ = librosa.beat.beat_track(y=y, sr=sr)
    chroma = librosa.feature.chroma_cqt(y=y, sr=sr).mean(axis=1)
    scores = [
        np.corrcoef(chroma, np.roll(profile, tonic))[0, 1]
        for profile in (_KRUMHANSL_MAJOR, _KRUMHANSL_MINOR)
        for tonic in range(12)
    ]
    best = int(np.argmax(scores))
    return float(np.atleast_1d(tempo)[0]), f"{PITCH_CLASSES[best % 12]} {'major' if best < 12 else 'minor'}"


def essentia_extractor() -> Callable[[Path], Estimate] | None:
    try:
        import essentia

        essentia.log.infoActive = False
        import essentia.standard as es
    except ImportError:
        return None
    rhythm = es.RhythmExtractor2013(method="multifeature")
    key_extractor = es.KeyExtractor()

    def run(path: Path) -> Estimate:
        audio = es.MonoLoader(filename=str(path), sampleRate=44100)()
        bpm = float(rhythm(audio)[0])
        key, scale, _ = key_extractor(audio)
        return bpm, f"{_sharp(key)} {scale}"

    return run


def _sharp(name: str) -> str:
    flats = {"Db": "C#", "Eb": "D#", "Gb": "F#", "Ab": "G#", "Bb": "A#"}
    return flats.get(name, name)


def mirex_key_score(estimate: str | None, truth: str) -> float:
    if estimate is None:
        return 0.0
    if estimate == truth:
        return 1.0
    est_name, est_mode = estimate.split()
    true_name, true_mode = truth.split()
    interval = (PITCH_CLASSES.index(est_name) - PITCH_CLASSES.index(true_name)) % 12
    if est_mode == true_mode:
        return 0.5 if interval in (5, 7) else 0.0
    if (true_mode, interval) in (("major", 9), ("minor", 3)):
        return 0.3
    return 0.2 if interval == 0 else 0.0


def evaluate(
    name: str,
    analyze: Callable[[Path], Estimate],
    tracks: list[tuple[TrackSpec, Path]],
    warm: Callable[[], Any],
) -> Row:
    warm()
    hits1 = hits2 = 0
    errors: list[float] = []
    key_total = 0.0
    audio_sec = 0.0
    started = time.perf_counter()
    for spec, path in tracks:
        bpm, key = analyze(path)
        audio_sec += spec.duration_sec
        key_total += mirex_key_score(key, spec.key)
        if bpm is None or bpm <= 0:
            continue
        if abs(bpm - spec.bpm) <= 0.04 * spec.bpm:
            hits1 += 1
            errors.append(abs(bpm - spec.bpm))
        if any(abs(bpm - spec.bpm * f) <= 0.04 * spec.bpm * f for f in (1, 0.5, 2, 1 / 3, 3)):
            hits2 += 1
    elapsed = time.perf_counter() - started
    n = len(tracks)
    return Row(
        name=name,
        acc1=hits1 / n,
        acc2=hits2 / n,
        bpm_error=float(np.mean(errors)) if errors else float("nan"),
        key_score=key_total / n,
        sec_per_file=elapsed / n,
        realtime=audio_sec / elapsed,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tracks", type=int, default=40)
    args = parser.parse_args()
    specs = benchmark_specs(args.tracks)
    with tempfile.TemporaryDirectory() as tmp:
        tracks = [(spec, write_track(spec, Path(tmp))) for spec in specs]
        first = tracks[0][1]
        rows = [
            evaluate("ours", ours, tracks, warm_up),
            evaluate("librosa defaults", librosa_defaults, tracks, lambda: librosa_defaults(first)),
        ]
        essentia_run = essentia_extractor()
        if essentia_run is None:
            print("essentia not installed: skipping its column (pip install essentia)")
        else:
            rows.append(evaluate("essentia", essentia_run, tracks, lambda: essentia_run(first)))
    styles = sorted({spec.style for spec in specs})
    audio_min = sum(spec.duration_sec for spec in specs) / 60
    print(f"{len(specs)} generated tracks ({', '.join(styles)}), {audio_min:.1f} min of audio")
    print(f"{'analyzer':<18}{'Acc1':>6}{'Acc2':>6}{'BPM err':>9}{'key':>7}{'s/file':>8}{'x RT':>7}")
    for row in rows:
        print(
            f"{row.name:<18}{row.acc1:>6.2f}{row.acc2:>6.2f}{row.bpm_error:>9.3f}"
            f"{row.key_score:>7.3f}{row.sec_per_file:>8.3f}{row.realtime:>7.0f}"
        )
    speedup = rows[1].sec_per_file / rows[0].sec_per_file
    print(f"ours is {speedup:.1f}x the throughput of librosa defaults")


if __name__ == "__main__":
    main()
