"""Measuring rendered audio: FFT peaks, loudness, envelopes and jumps (the e2e tests' audioAnalysis.mjs
in numpy), for the renderer's tests and the parity check against the browser."""

import numpy as np
import numpy.typing as npt

Signal = npt.NDArray[np.floating]

FFT_SIZE = 2**19


def fft_peak_hz(samples: Signal, sample_rate: int, min_hz: float, max_hz: float) -> float:
    """The strongest frequency between min_hz and max_hz: Hann window, zero-padded FFT, parabolic
    interpolation on log magnitudes (about ±0.01 Hz on 2 s of a steady tone)."""
    size = max(FFT_SIZE, 1 << (len(samples) - 1).bit_length())
    windowed = np.asarray(samples, dtype=np.float64) * np.hanning(len(samples))
    magnitude = np.abs(np.fft.rfft(windowed, size))
    bin_hz = sample_rate / size
    low, high = max(1, int(np.ceil(min_hz / bin_hz))), int(max_hz / bin_hz)
    best = low + int(np.argmax(magnitude[low : high + 1]))
    a, b, c = np.log(magnitude[best - 1 : best + 2] + 1e-30)
    denominator = a - 2 * b + c
    offset = 0.0 if denominator == 0 else 0.5 * (a - c) / denominator
    return float((best + offset) * bin_hz)


def rms(samples: Signal) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))


def db(ratio: float) -> float:
    return float(20 * np.log10(ratio))


def envelope_rate_hz(samples: Signal, sample_rate: int, min_hz: float = 0.5, max_hz: float = 45.0) -> float:
    """How often the loudness repeats: rectified, smoothed over ~2 ms, decimated to 1 kHz, mean removed."""
    stride = sample_rate // 1000
    rectified = np.abs(np.asarray(samples, dtype=np.float64))
    usable = len(rectified) // stride * stride
    smoothed = rectified[:usable].reshape(-1, stride).mean(axis=1)
    return fft_peak_hz(smoothed - smoothed.mean(), sample_rate // stride, min_hz, max_hz)


def max_jump(samples: Signal) -> float:
    return float(np.max(np.abs(np.diff(np.asarray(samples, dtype=np.float64)))))


def windows(left: Signal, right: Signal, sample_rate: int, window_sec: float = 2.0, hop_sec: float = 2.0):
    """(start_sec, left, right) of each whole window."""
    size, hop = round(window_sec * sample_rate), round(hop_sec * sample_rate)
    for start in range(0, len(left) - size + 1, hop):
        yield start / sample_rate, left[start : start + size], right[start : start + size]
