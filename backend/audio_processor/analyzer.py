"""Tempo, key and beat phase of an audio file.

`analyze_file` never raises: a file that cannot be decoded, or holds too little or no sound, gives
a `TrackAnalysis` whose `error` says why.

Tempo: a spectral-flux onset envelope, its autocorrelation scored on a fine tempo grid with a comb
over the first four beat multiples and a log-normal tempo prior, then refined by fitting a straight
line through the sub-frame onset peaks nearest each predicted beat. librosa's `beat_track` reads
tempo off a grid ~2.5 BPM wide at 120 BPM; the line fit is good to a few hundredths of a BPM.

Key: a chroma vector from the harmonic part of a long-window spectrogram (percussion removed by
median filtering), correlated with three key profiles (Temperley, edma, bgate) and a bass-register
chroma that favours the key whose tonic the bass dwells on, which separates relative keys.
"""

import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

if "NUMBA_CACHE_DIR" not in os.environ:
    # librosa JIT-compiles with numba on first use; caching the compiled code pays that once per machine.
    os.environ["NUMBA_CACHE_DIR"] = str(Path.home() / ".cache" / "neurotune" / "numba")

import numpy as np
import numpy.typing as npt
import scipy.ndimage
import scipy.signal
import soundfile as sf

FloatArray = npt.NDArray[np.float64]

PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")

ANALYSIS_SR = 11025
MIN_DURATION_SEC = 3.0
EXCERPT_SEC = 60.0  # longer files are analysed from their central minute
_SILENCE_RMS = 1e-4

_ONSET_N_FFT = 512
_ONSET_HOP = 128
_KEY_N_FFT = 4096
_KEY_HOP = 1024
_MIN_BPM = 50.0
_MAX_BPM = 220.0
_PRIOR_CENTRE_BPM = 120.0
_PRIOR_OCTAVES = 1.0
_HALF_TIME_SIXTEENTHS = 0.4  # autocorrelation at a quarter beat, relative to one beat
_MAX_DOUBLED_BPM = 180.0

_PROFILES: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "temperley": (
        (0.748, 0.060, 0.488, 0.082, 0.670, 0.460, 0.096, 0.715, 0.104, 0.366, 0.057, 0.400),
        (0.712, 0.084, 0.474, 0.618, 0.049, 0.460, 0.105, 0.747, 0.404, 0.067, 0.133, 0.330),
    ),
    "edma": (
        (1.00, 0.29, 0.50, 0.40, 0.60, 0.56, 0.32, 0.80, 0.31, 0.45, 0.42, 0.39),
        (1.00, 0.31, 0.44, 0.58, 0.33, 0.49, 0.29, 0.78, 0.43, 0.29, 0.53, 0.32),
    ),
    "bgate": (
        (1.00, 0.00, 0.42, 0.00, 0.53, 0.37, 0.00, 0.77, 0.00, 0.38, 0.21, 0.30),
        (1.00, 0.00, 0.36, 0.39, 0.00, 0.38, 0.00, 0.74, 0.27, 0.00, 0.42, 0.23),
    ),
}
_BASS_WEIGHT = 1.5
_OPENING_WEIGHT = 2.0


@dataclass(frozen=True)
class TrackAnalysis:
    """What the analyzer found in one track; `error` is set (and the rest None) when it could not tell."""

    duration_sec: float | None
    bpm: float | None = None
    bpm_confidence: float = 0.0
    key: str | None = None
    key_confidence: float = 0.0
    beat_offset_sec: float | None = None  # time of the first beat: the phase of the beat grid
    error: str | None = None


def analyze_file(path: str | Path) -> TrackAnalysis:
    """Decode `path` and analyse it; every failure comes back as `TrackAnalysis.error`."""
    try:
        y, sr, duration_sec, start_sec = _decode(Path(path))
    except _DecodeError as exc:
        return TrackAnalysis(duration_sec=None, error=str(exc))
    result = analyze_signal(y, sr, opening_is_start=start_sec == 0)
    if result.beat_offset_sec is not None and start_sec > 0 and result.bpm:
        # The excerpt started mid-file: move the phase back to the file's own beat grid.
        period = 60.0 / result.bpm
        offset = (start_sec + result.beat_offset_sec) % period
        result = TrackAnalysis(**{**result.__dict__, "beat_offset_sec": round(offset, 4)})
    return TrackAnalysis(**{**result.__dict__, "duration_sec": round(duration_sec, 3)})


def analyze_signal(y: npt.ArrayLike, sr: int, *, opening_is_start: bool = True) -> TrackAnalysis:
    """Analyse mono (or channels-last multichannel) samples at `sr` Hz.

    `opening_is_start` says the samples begin where the music does, so the first bar's harmony may
    be taken as a hint of the tonic; pass False for an excerpt from the middle of a track.
    """
    try:
        samples = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        return TrackAnalysis(duration_sec=None, error=f"samples are not numeric: {exc}")
    if samples.ndim == 2:
        samples = samples.mean(axis=1)
    if samples.ndim != 1 or sr <= 0:
        return TrackAnalysis(duration_sec=None, error="expected mono or (frames, channels) samples")
    duration_sec = len(samples) / sr
    if not np.all(np.isfinite(samples)):
        return TrackAnalysis(duration_sec=duration_sec, error="samples contain NaN or infinity")
    if duration_sec < MIN_DURATION_SEC:
        return TrackAnalysis(
            duration_sec=duration_sec,
            error=f"too short to analyse: {duration_sec:.2f} s < {MIN_DURATION_SEC:.0f} s",
        )
    if float(np.sqrt(np.mean(samples**2))) < _SILENCE_RMS:
        return TrackAnalysis(duration_sec=duration_sec, error="silent: no signal above -80 dBFS")
    mono = _resample(samples, sr)
    bpm, bpm_confidence, offset = _tempo(mono)
    opening = None
    if bpm is not None and offset is not None and opening_is_start:
        opening = (offset, offset + 4 * 60.0 / bpm)
    key, key_confidence = _key(mono, opening)
    return TrackAnalysis(
        duration_sec=round(duration_sec, 3),
        bpm=bpm,
        bpm_confidence=bpm_confidence,
        key=key,
        key_confidence=key_confidence,
        beat_offset_sec=offset,
        error=None if bpm is not None or key is not None else "no steady pulse and no tonal centre found",
    )


def warm_up() -> None:
    """Run the analysis once on a short click track so a worker's first real file is not slow."""
    sr = ANALYSIS_SR
    clicks = np.zeros(sr * 4)
    clicks[:: sr // 2] = 1.0
    analyze_signal(clicks, sr)


class _DecodeError(Exception):
    pass


def _decode(path: Path) -> tuple[FloatArray, int, float, float]:
    """Mono samples (the central `EXCERPT_SEC` of a long file), rate, file duration and excerpt start."""
    if not path.is_file():
        raise _DecodeError(f"not a file: {path}")
    if path.stat().st_size == 0:
        raise _DecodeError("empty file (0 bytes)")
    try:
        with sf.SoundFile(path) as f:
            sr = f.samplerate
            frames = f.frames
            duration_sec = frames / sr if sr else 0.0
            start = 0
            if duration_sec > EXCERPT_SEC:
                start = int((duration_sec - EXCERPT_SEC) / 2 * sr)
                f.seek(start)
            data = f.read(int(EXCERPT_SEC * sr) if start else -1, dtype="float64", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, ValueError, OSError) as exc:
        return _decode_fallback(path, exc)
    if data.size == 0:
        raise _DecodeError("no audio frames could be decoded (corrupt or truncated file)")
    return data.mean(axis=1), sr, duration_sec, start / sr


def _decode_fallback(path: Path, first_error: Exception) -> tuple[FloatArray, int, float, float]:
    """audioread (via librosa) for formats libsndfile lacks; needs a system decoder such as ffmpeg."""
    import librosa

    try:
        with warnings.catch_warnings():
            # librosa warns that soundfile failed (we know) and that audioread is deprecated.
            warnings.simplefilter("ignore")
            y, sr = librosa.load(path, sr=None, mono=True, duration=EXCERPT_SEC * 3)
    except Exception as exc:  # audioread raises many unrelated types; all mean "cannot decode"
        raise _DecodeError(f"cannot decode: {first_error}; fallback decoder: {type(exc).__name__}") from exc
    if y.size == 0:
        raise _DecodeError("no audio frames could be decoded (corrupt or truncated file)")
    return np.asarray(y, dtype=np.float64), int(sr), len(y) / sr, 0.0


def _resample(y: FloatArray, sr: int) -> FloatArray:
    if sr == ANALYSIS_SR:
        return y
    g = math.gcd(sr, ANALYSIS_SR)
    return np.asarray(scipy.signal.resample_poly(y, ANALYSIS_SR // g, sr // g), dtype=np.float64)


def _stft_magnitude(y: FloatArray, n_fft: int, hop: int) -> FloatArray:
    """|STFT| as (bins, frames), frames centred on multiples of `hop`."""
    padded = np.pad(y, n_fft // 2)
    n_frames = 1 + (len(padded) - n_fft) // hop
    frames = np.lib.stride_tricks.as_strided(
        padded, shape=(n_frames, n_fft), strides=(padded.strides[0] * hop, padded.strides[0])
    )
    window = np.hanning(n_fft + 1)[:-1]
    return np.abs(np.fft.rfft(frames * window, axis=1)).T


# ----------------------------------------------------------------------------------------------- tempo


def _onset_envelope(y: FloatArray) -> FloatArray:
    """Log-compressed spectral flux summed over a mel-like band split, one value per hop."""
    import librosa

    mag = _stft_magnitude(y, _ONSET_N_FFT, _ONSET_HOP)
    mel = librosa.filters.mel(sr=ANALYSIS_SR, n_fft=_ONSET_N_FFT, n_mels=40, fmin=30.0)
    bands = np.log1p(100.0 * (mel @ mag) / (np.max(mag) + 1e-12))
    flux = np.maximum(np.diff(bands, axis=1), 0.0).sum(axis=0)
    flux = np.concatenate([[0.0], flux])
    # Remove the slowly varying level so the autocorrelation sees only the pulses.
    local_mean = scipy.ndimage.uniform_filter1d(flux, size=int(ANALYSIS_SR / _ONSET_HOP))
    return np.asarray(np.maximum(flux - local_mean, 0.0), dtype=np.float64)


def _tempo(y: FloatArray) -> tuple[float | None, float, float | None]:
    """(BPM, confidence 0 to 1, first beat in seconds), or (None, 0, None) without a steady pulse."""
    env = _onset_envelope(y)
    fps = ANALYSIS_SR / _ONSET_HOP
    if len(env) < 4 * fps or not np.any(env > 0):
        return None, 0.0, None
    centred = env - env.mean()
    spectrum = np.fft.rfft(centred, n=2 * len(centred))
    acf = np.fft.irfft(np.abs(spectrum) ** 2)[: len(centred)]
    acf /= acf[0] + 1e-12
    # Unbiased: divide by the overlap so long lags are not penalised for the finite length.
    acf *= len(centred) / np.maximum(len(centred) - np.arange(len(centred)), 1)

    candidates = np.exp(np.linspace(np.log(_MIN_BPM), np.log(_MAX_BPM), 2000))
    lags = 60.0 * fps / candidates
    lag_axis = np.arange(len(acf))
    comb = np.zeros_like(candidates)
    for multiple in (1, 2, 3, 4):
        comb += np.interp(lags * multiple, lag_axis, acf, right=0.0) / multiple**0.5
    prior = np.exp(-0.5 * (np.log2(candidates / _PRIOR_CENTRE_BPM) / _PRIOR_OCTAVES) ** 2)
    score = np.maximum(comb, 0.0) * prior
    best = int(np.argmax(score))
    if score[best] <= 0:
        return None, 0.0, None
    lag = float(lags[best])
    sixteenths = np.interp(lag / 4, lag_axis, acf) / max(float(np.interp(lag, lag_axis, acf)), 1e-9)
    if sixteenths > _HALF_TIME_SIXTEENTHS and candidates[best] * 2 <= _MAX_DOUBLED_BPM:
        # A steady sixteenth-note pulse under a slow beat is, far more often, eighths under a
        # half-time feel at twice the tempo (hats on eighths, snare on beat 3).
        lag /= 2
    period_frames, phase_frames, fit_quality = _fit_beat_grid(env, lag)
    if period_frames is None or phase_frames is None:
        return None, 0.0, None
    bpm = 60.0 * fps / period_frames
    confidence = float(np.clip(fit_quality * min(1.0, comb[best] / 2.0), 0.0, 1.0))
    offset_sec = (phase_frames % period_frames) / fps - _ONSET_LATENCY_SEC
    offset_sec %= period_frames / fps
    return round(float(bpm), 2), round(confidence, 3), round(float(offset_sec), 4)


# The flux of a hop-128 / 512-sample Hann frame peaks this long before the sound starts.
_ONSET_LATENCY_SEC = 0.0


def _fit_beat_grid(env: FloatArray, lag: float) -> tuple[float | None, float | None, float]:
    """Refine a beat period (in frames) and phase by a line through the onset peaks at each beat.

    Returns (period, phase, fraction of beats that had an onset peak near the predicted time).
    """
    # Phase first: fold the envelope at the period and take the strongest bin.
    bins = 48
    positions = (np.arange(len(env)) % lag) / lag
    folded = np.bincount((positions * bins).astype(int) % bins, weights=env, minlength=bins)
    smooth = np.convolve(np.concatenate([folded[-2:], folded, folded[:2]]), np.ones(5) / 5, mode="valid")
    phase = (int(np.argmax(smooth)) + 0.5) / bins * lag
    period = lag
    hits = 0.0
    for _ in range(3):
        n_beats = int((len(env) - phase) / period)
        if n_beats < 4:
            return None, None, 0.0
        indices, times, weights = [], [], []
        half_window = max(2, int(0.12 * period))
        for k in range(n_beats + 1):
            centre = round(phase + k * period)
            lo, hi = max(centre - half_window, 1), min(centre + half_window + 1, len(env) - 1)
            if hi - lo < 3:
                continue
            peak = lo + int(np.argmax(env[lo:hi]))
            height = env[peak]
            if height <= 0 or peak in (lo, hi - 1):
                continue
            left, right = env[peak - 1], env[peak + 1]
            denominator = left - 2 * height + right
            shift = 0.5 * (left - right) / denominator if denominator < 0 else 0.0
            indices.append(k)
            times.append(peak + shift)
            weights.append(height)
        if len(indices) < 4:
            return None, None, 0.0
        k_arr, t_arr, w_arr = np.array(indices, float), np.array(times), np.array(weights)
        strong = w_arr >= 0.25 * np.median(w_arr)
        k_arr, t_arr, w_arr = k_arr[strong], t_arr[strong], w_arr[strong]
        slope, intercept = np.polyfit(k_arr, t_arr, 1, w=np.sqrt(w_arr))
        residual = t_arr - (slope * k_arr + intercept)
        keep = np.abs(residual) <= max(3.0 * float(np.median(np.abs(residual))), 0.5)
        if keep.sum() >= 4:
            slope, intercept = np.polyfit(k_arr[keep], t_arr[keep], 1, w=np.sqrt(w_arr[keep]))
        period, phase = float(slope), float(intercept)
        hits = float(keep.sum()) / (n_beats + 1)
        if phase < 0:
            phase += period
    return period, phase, hits


# ------------------------------------------------------------------------------------------------- key


def _key(y: FloatArray, opening_sec: tuple[float, float] | None) -> tuple[str | None, float]:
    """("A minor"-style key, confidence 0 to 1), or (None, 0) when there is no tonal content.

    `opening_sec` is the first bar: its harmony counts extra, since pieces mostly open on the tonic.
    """
    mag = _stft_magnitude(y, _KEY_N_FFT, _KEY_HOP)
    # Harmonic part: percussion is short in time and broad in frequency, so a median along time
    # keeps sustained partials and drops drum hits.
    harmonic = scipy.ndimage.median_filter(mag, size=(1, 9), mode="nearest")
    freqs = np.asarray(np.fft.rfftfreq(_KEY_N_FFT, 1.0 / ANALYSIS_SR), dtype=np.float64)
    chroma = _chroma(harmonic, freqs, 80.0, 2000.0)
    bass = _chroma(harmonic, freqs, 32.0, 140.0)
    if chroma.sum() <= 0:
        return None, 0.0
    scores = np.zeros(24)
    for major, minor in _PROFILES.values():
        for mode, profile in enumerate((major, minor)):
            template = np.asarray(profile)
            for tonic in range(12):
                scores[mode * 12 + tonic] += _correlation(chroma, np.roll(template, tonic))
    scores /= len(_PROFILES)
    if bass.sum() > 0:
        bass_share = bass / bass.sum()
        scores += _BASS_WEIGHT * np.concatenate([bass_share, bass_share])
    if opening_sec is not None:
        fps = ANALYSIS_SR / _KEY_HOP
        first, last = int(opening_sec[0] * fps), int(opening_sec[1] * fps) + 1
        opening = _chroma(harmonic[:, first:last], freqs, 32.0, 2000.0)
        if opening.sum() > 0:
            major, minor = _PROFILES["temperley"]
            for mode, profile in enumerate((major, minor)):
                for tonic in range(12):
                    template = np.roll(np.asarray(profile), tonic)
                    scores[mode * 12 + tonic] += _OPENING_WEIGHT * _correlation(opening, template)
    order = np.argsort(scores)[::-1]
    best = int(order[0])
    confidence = float(np.clip((scores[best] - scores[order[1]]) * 5.0, 0.0, 1.0))
    mode_name = "major" if best < 12 else "minor"
    return f"{PITCH_CLASSES[best % 12]} {mode_name}", round(confidence, 3)


def _chroma(mag: FloatArray, freqs: FloatArray, fmin: float, fmax: float) -> FloatArray:
    """Time-summed pitch-class energy of bins in [fmin, fmax], each bin credited to its nearest semitone
    with a weight falling off towards the quarter-tones (so leakage between semitones counts less)."""
    band = (freqs >= fmin) & (freqs <= fmax)
    midi = 69.0 + 12.0 * np.log2(freqs[band] / 440.0)
    nearest = np.round(midi)
    weight = np.clip(1.0 - 2.0 * np.abs(midi - nearest), 0.0, 1.0)
    energy = np.sqrt(mag[band]).sum(axis=1) * weight
    return np.bincount(nearest.astype(int) % 12, weights=energy, minlength=12).astype(np.float64)


def _correlation(a: FloatArray, b: FloatArray) -> float:
    a0, b0 = a - a.mean(), b - b.mean()
    denominator = float(np.sqrt((a0**2).sum() * (b0**2).sum()))
    return float((a0 * b0).sum() / denominator) if denominator > 0 else 0.0
