"""The browser engine's levels and times (frontend/lib/audio/levels.ts and shapers.ts), mirrored.

Levels are peak gains before the listener's volume cap. Every layer summed stays below 0.55 of full
scale, so with a cap of at most 1 the output peak stays under `PEAK_CEILING` (-1 dBFS) by
construction; the renderer still clips there as a last guard.
"""

import math
from typing import Final

TONE_PEAK: Final = 0.2
AMBIENT_TONE_PEAK: Final = 0.2
NOISE_BED_PEAK: Final = 0.1
NOISE_AMBIENT_PEAK: Final = 0.35
AM_DEPTH: Final = 0.3
"""Ambient AM swings the level between 1 - depth and 1: gentle, never a gate."""

FADE_IN_SEC: Final = 3.0
FADE_OUT_SEC: Final = 2.0
LAYER_CROSSFADE_MIN_SEC: Final = 2.0
"""Layer and noise levels crossfade over at least this long, whatever the step's ramp."""

NOISE_LOOP_SEC: Final = 8.0
NOISE_SEAM_SEC: Final = 0.5

PEAK_CEILING: Final = 10 ** (-1 / 20)
"""-1 dBFS: no rendered sample goes above it."""

PULSE_GATE_OPEN_FROM: Final = 0.2
PULSE_GATE_EDGE: Final = 0.6
"""The isochronic gate (shapers.ts pulseGate): over a sine's cycle mapped to 0..1, silent below 0.2,
rising along a raised cosine to fully open at 0.8."""

TWO_PI: Final = 2 * math.pi
