"""Pink and brown noise loops made as frontend/lib/audio/noise.ts makes them, from a seeded generator.

Each colour is a stereo loop of NOISE_LOOP_SEC whose tail is crossfaded (equal power) into its head,
so the loop point has no step; both channels are scaled together to a peak of 1. The browser draws
its white noise from Math.random(); here it comes from numpy's generator with a seed, so a render
is the same every time.
"""

from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy.signal import lfilter

from backend.audio_render.levels import NOISE_LOOP_SEC, NOISE_SEAM_SEC

Colour = Literal["pink", "brown"]
Loop = npt.NDArray[np.float32]

# Paul Kellet's economy pink filter (noise.ts pinkNoise): six leaky integrators of white noise,
# b_k = pole_k * b_k + gain_k * white, plus the white sample and the previous one.
_PINK_POLES = (0.99886, 0.99332, 0.969, 0.8665, 0.55, -0.7616)
_PINK_GAINS = (0.0555179, 0.0750759, 0.153852, 0.3104856, 0.5329522, -0.016898)
_PINK_DIRECT = 0.5362
_PINK_PREVIOUS = 0.115926
_BROWN_STEP = 0.02
_BROWN_LEAK = 1.02


def _white(rng: np.random.Generator, length: int) -> npt.NDArray[np.float64]:
    return rng.random(length) * 2 - 1


def pink(white: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    out = white * _PINK_DIRECT
    for pole, gain in zip(_PINK_POLES, _PINK_GAINS, strict=True):
        out += lfilter([gain], [1.0, -pole], white)
    out[1:] += white[:-1] * _PINK_PREVIOUS
    return np.asarray(out, dtype=np.float64)


def brown(white: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """last = (last + 0.02 * white) / 1.02: leaky-integrated white noise, centred on zero."""
    filtered = lfilter([_BROWN_STEP / _BROWN_LEAK], [1.0, -1.0 / _BROWN_LEAK], white)
    return np.asarray(filtered, dtype=np.float64)


def seamless_loop(colour: Colour, sample_rate: int, rng: np.random.Generator) -> Loop:
    """A (frames, 2) float32 loop of `colour`, peak 1, whose end flows into its start."""
    length = round(NOISE_LOOP_SEC * sample_rate)
    seam = round(NOISE_SEAM_SEC * sample_rate)
    shape = pink if colour == "pink" else brown
    angle = (np.pi / 2) * (np.arange(seam) / seam)
    channels = []
    for _ in range(2):
        raw = shape(_white(rng, length + seam))
        looped = raw[:length].copy()
        looped[:seam] = raw[:seam] * np.sin(angle) + raw[length:] * np.cos(angle)
        channels.append(looped)
    loop = np.stack(channels, axis=1)
    peak = float(np.max(np.abs(loop))) or 1.0
    return (loop / peak).astype(np.float32)
