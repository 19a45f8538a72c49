"""The browser engine's signal graph (frontend/lib/audio/SessionGraph.ts), computed block by block.

    carrier ± rate/2 ─ sines L/R ─ binaural level ───────────────────────────────┐
    carrier ─ sine ─┬─ * pulse gate(sine at rate) ─ isochronic level ─────────────┤
                    └─ * ambient AM(sine at rate) ─ ambient tone level ───────────┤
    pink/brown loops ─ colour gains ─┬─ noise bed level ──────────────────────────┤
                                     └─ * ambient AM ─ ambient noise level ───────┘
    bus ─ balance (per ear) ─ fade in/out ─ volume cap ─ out

Every level, the rate (beat / pulse / modulation) and the carrier follow `glides` curves: the
rate and carrier over each step's ramp, levels over at least LAYER_CROSSFADE_MIN_SEC, so layers
and noise colours crossfade. Oscillator phases are integrals of their frequencies, so a glide is a
glide and never a jump; left = carrier - rate/2, right = carrier + rate/2, as in the browser.

Work is per block (`BLOCK_FRAMES`), and a parameter that is flat across a block is a scalar there,
so memory is bounded whatever the length and the cost is a handful of vector operations per sample.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import numpy.typing as npt

from backend.audio_render.glides import Curve, Glide, Samples, glides
from backend.audio_render.levels import (
    AM_DEPTH,
    AMBIENT_TONE_PEAK,
    FADE_IN_SEC,
    FADE_OUT_SEC,
    LAYER_CROSSFADE_MIN_SEC,
    NOISE_AMBIENT_PEAK,
    NOISE_BED_PEAK,
    PEAK_CEILING,
    PULSE_GATE_EDGE,
    PULSE_GATE_OPEN_FROM,
    TONE_PEAK,
    TWO_PI,
)
from backend.audio_render.noise import Colour, Loop, seamless_loop
from backend.schedules.listener import CARRIER_HZ_MAX, CARRIER_HZ_MIN, UserPreferences
from backend.schedules.schedule import ModulationSchedule, ModulationStep
from backend.schedules.validator import ensure_safe

BLOCK_FRAMES = 16_384
"""~0.37 s at 44.1 kHz: the working arrays stay in cache, and a block is a cheap unit to stream."""

Block = npt.NDArray[np.float32]
Wave = npt.NDArray[np.float32]
Value = float | Wave
NoiseChoice = Literal["auto", "none", "pink", "brown"]


@dataclass(frozen=True)
class RenderSettings:
    """The listener's side of a render: what UserPreferences say, plus the file's sample rate.

    Music is not rendered (a library track is the browser's to play), so `music_volume` has no part.
    `noise` other than "auto" replaces every step's noise colour, as the planner honours a chosen one.
    """

    carrier_hz: float = 200.0
    volume_cap: float = 0.5
    balance: float = 0.0
    tone_volume: float = 1.0
    noise_volume: float = 1.0
    noise: NoiseChoice = "auto"
    sample_rate: int = 44_100
    fade_in_sec: float = FADE_IN_SEC
    fade_out_sec: float = FADE_OUT_SEC
    seed: int = 0

    @classmethod
    def for_listener(cls, preferences: UserPreferences, sample_rate: int = 44_100) -> "RenderSettings":
        return cls(
            carrier_hz=preferences.carrier_hz,
            volume_cap=preferences.volume_max,
            balance=preferences.balance,
            tone_volume=preferences.tone_volume,
            noise_volume=preferences.noise_volume,
            noise=preferences.noise,
            sample_rate=sample_rate,
        )

    def clamped(self) -> "RenderSettings":
        """Every setting inside its range, as the browser engine clamps them."""
        return replace(
            self,
            carrier_hz=_clamp(self.carrier_hz, CARRIER_HZ_MIN, CARRIER_HZ_MAX),
            volume_cap=_clamp(self.volume_cap, 0.0, 1.0),
            balance=_clamp(self.balance, -1.0, 1.0),
            tone_volume=_clamp(self.tone_volume, 0.0, 1.0),
            noise_volume=_clamp(self.noise_volume, 0.0, 1.0),
            fade_in_sec=max(0.0, self.fade_in_sec),
            fade_out_sec=max(0.0, self.fade_out_sec),
        )


def frame_count(schedule: ModulationSchedule, sample_rate: int) -> int:
    return round(schedule.total_duration_sec * sample_rate)


def render(
    schedule: ModulationSchedule, settings: RenderSettings, block_frames: int = BLOCK_FRAMES
) -> Iterator[Block]:
    """The session as (frames, 2) float32 blocks in [-PEAK_CEILING, PEAK_CEILING], start to end.

    The schedule passes the validator first (ScheduleRejected otherwise); nothing is rendered
    from an unsafe schedule.
    """
    ensure_safe(schedule)
    return _Graph(schedule, settings.clamped()).blocks(block_frames)


def balance_gains(balance: float) -> tuple[float, float]:
    """Per-ear gains for a balance of -1 (left only) … 1 (right only): the far ear turned down."""
    return min(1.0, 1.0 - balance), min(1.0, 1.0 + balance)


def pulse_gate(x: Wave) -> Wave:
    """shapers.ts pulseGate over a sine's value x: silent ~1/3 of the cycle, open ~1/3, smooth edges."""
    edge = np.clip((x + 1) * (0.5 / PULSE_GATE_EDGE) - PULSE_GATE_OPEN_FROM / PULSE_GATE_EDGE, 0.0, 1.0)
    gate: Wave = 0.5 - 0.5 * np.cos(np.float32(np.pi) * edge)
    return gate


def amplitude_modulation(x: Wave) -> Wave:
    """shapers.ts amplitudeModulation: 1 - AM_DEPTH at the sine's trough, 1 at its peak."""
    return (1 - AM_DEPTH / 2) + (AM_DEPTH / 2) * x


def sine(phases: Samples) -> Wave:
    """sin(2π·phase) of phases in cycles: reduced to one cycle in float64, then float32 (fast) trig.
    The float32 argument is exact to ~4e-7 rad, spurs far below anything audible."""
    whole = np.floor(phases)
    wave: Wave = np.sin(((phases - whole) * TWO_PI).astype(np.float32))
    return wave


def _as_wave(value: float | Samples) -> Value:
    return value if isinstance(value, float) else value.astype(np.float32)


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def _is_silent(value: Value) -> bool:
    return isinstance(value, float) and value == 0.0


@dataclass
class _Oscillator:
    """A sine's running phase in cycles (kept small: modulo `period` cycles)."""

    period: float
    phase: float = 0.0

    def advance(self, frequency: float | Samples, frames: int, sample_rate: int, ramp: Samples) -> Samples:
        """The phases (cycles) of the next `frames` samples; the frequency may vary sample by sample."""
        start = self.phase
        if isinstance(frequency, float):
            increment = frequency / sample_rate
            phases = start + ramp[:frames] * increment
            self.phase = (start + frames * increment) % self.period
            return phases
        increments = frequency / sample_rate
        phases = np.empty(frames, dtype=np.float64)
        phases[0] = 0.0
        np.cumsum(increments[:-1], out=phases[1:])
        phases += start
        self.phase = float(phases[-1] + increments[-1]) % self.period
        return phases


class _Graph:
    """One render's curves, noise loops and running oscillator phases."""

    def __init__(self, schedule: ModulationSchedule, settings: RenderSettings) -> None:
        self.schedule = schedule
        self.settings = settings
        steps = schedule.steps
        if settings.noise != "auto":
            steps = [step.model_copy(update={"noise": settings.noise}) for step in steps]
        self.curves = self._curves(steps)
        self.noise_loops: dict[Colour, tuple[Loop, int]] = {}
        colours: tuple[Colour, ...] = ("pink", "brown")
        for index, colour in enumerate(colours):
            if any(step.noise == colour for step in steps):
                rng = np.random.default_rng([self.settings.seed, index])
                loop = seamless_loop(colour, self.settings.sample_rate, rng)
                self.noise_loops[colour] = (loop, int(rng.random() * len(loop)))

    def _curves(self, steps: list[ModulationStep]) -> dict[str, Curve]:
        settings = self.settings
        crossfade = LAYER_CROSSFADE_MIN_SEC

        def level(value_of: Callable[[ModulationStep], float], min_ramp_sec: float = crossfade) -> Curve:
            return Curve(glides(steps, value_of, min_ramp_sec))

        def tone(step: ModulationStep) -> float:
            return settings.tone_volume * (1.0 if step.tone_level is None else step.tone_level)

        def noise(step: ModulationStep) -> float:
            return settings.noise_volume * (1.0 if step.noise_level is None else step.noise_level)

        def ambient(step: ModulationStep) -> float:
            return 1.0 if step.layer == "ambient" else 0.0

        carrier = (
            level(lambda s: float(s.carrier_hz or 0.0), 0.0)
            if steps[0].carrier_hz is not None
            else Curve.constant(settings.carrier_hz)
        )
        total_sec = float(self.schedule.total_duration_sec)
        fade_in = min(settings.fade_in_sec, total_sec / 2)
        fade_out = min(settings.fade_out_sec, total_sec / 2)
        fade_segments = [
            Glide(0.0, fade_in, 0.0 if fade_in > 0 else 1.0, 1.0),
            Glide(total_sec - fade_out, total_sec, 1.0, 0.0 if fade_out > 0 else 1.0),
        ]
        return {
            "rate": level(lambda s: s.binaural_freq, 0.0),
            "carrier": carrier,
            "binaural": level(lambda s: TONE_PEAK * tone(s) * (s.layer == "binaural")),
            "isochronic": level(lambda s: TONE_PEAK * tone(s) * (s.layer == "isochronic")),
            "ambient_tone": level(
                lambda s: AMBIENT_TONE_PEAK * tone(s) * (s.layer == "ambient" and s.noise == "none")
            ),
            "pink": level(lambda s: float(s.noise == "pink")),
            "brown": level(lambda s: float(s.noise == "brown")),
            "noise_bed": level(lambda s: NOISE_BED_PEAK * noise(s) * (1 - ambient(s))),
            "noise_ambient": level(lambda s: NOISE_AMBIENT_PEAK * noise(s) * ambient(s)),
            "fade": Curve(fade_segments),
        }

    def blocks(self, block_frames: int) -> Iterator[Block]:
        sample_rate = self.settings.sample_rate
        total = frame_count(self.schedule, sample_rate)
        ramp = np.arange(block_frames, dtype=np.float64)
        carrier_osc = _Oscillator(period=1.0)
        rate_osc = _Oscillator(period=2.0)  # left/right use half its phase
        left_gain, right_gain = balance_gains(self.settings.balance)
        cap = self.settings.volume_cap
        for first in range(0, total, block_frames):
            frames = min(block_frames, total - first)
            at = {
                name: _as_wave(curve.block(first, frames, sample_rate))
                for name, curve in self.curves.items()
                if name not in ("carrier", "rate")
            }
            carrier_phase = carrier_osc.advance(
                self.curves["carrier"].block(first, frames, sample_rate), frames, sample_rate, ramp
            )
            rate_phase = rate_osc.advance(
                self.curves["rate"].block(first, frames, sample_rate), frames, sample_rate, ramp
            )
            left: Value = 0.0
            right: Value = 0.0
            if not _is_silent(at["binaural"]):
                half = rate_phase * 0.5
                left = at["binaural"] * sine(carrier_phase - half)
                right = at["binaural"] * sine(carrier_phase + half)
            modulator: Wave | None = None
            mono_level: Value = 0.0
            if not _is_silent(at["isochronic"]):
                modulator = sine(rate_phase)
                mono_level = at["isochronic"] * pulse_gate(modulator)
            if not _is_silent(at["ambient_tone"]):
                modulator = sine(rate_phase) if modulator is None else modulator
                mono_level = mono_level + at["ambient_tone"] * amplitude_modulation(modulator)
            if not _is_silent(mono_level):
                mono = mono_level * sine(carrier_phase)
                left = left + mono
                right = right + mono
            noise = self._noise(at, first, frames, rate_phase, modulator)
            if noise is not None:
                left = left + noise[:, 0]
                right = right + noise[:, 1]
            yield self._master(left, right, at["fade"], cap * left_gain, cap * right_gain, frames)

    def _noise(
        self, at: dict[str, Value], first: int, frames: int, rate_phase: Samples, modulator: Wave | None
    ) -> Wave | None:
        bed, wet = at["noise_bed"], at["noise_ambient"]
        if _is_silent(bed) and _is_silent(wet):
            return None
        mixed: Wave | None = None
        for colour, (loop, offset) in self.noise_loops.items():
            gain = at[colour]
            if _is_silent(gain):
                continue
            part = _loop_slice(loop, offset + first, frames) * _column(gain)
            mixed = part if mixed is None else mixed + part
        if mixed is None:
            return None
        envelope: Value = bed
        if not _is_silent(wet):
            modulator = sine(rate_phase) if modulator is None else modulator
            envelope = bed + wet * amplitude_modulation(modulator)
        return mixed * _column(envelope)

    def _master(
        self, left: Value, right: Value, fade: Value, left_gain: float, right_gain: float, frames: int
    ) -> Block:
        out = np.zeros((frames, 2), dtype=np.float32)
        out[:, 0] = left * (fade * left_gain)
        out[:, 1] = right * (fade * right_gain)
        # By construction the layers sum to < 0.55 of full scale; this is the guard, not the mix.
        np.clip(out, -PEAK_CEILING, PEAK_CEILING, out=out)
        return out


def _column(value: Value) -> Value:
    return value if isinstance(value, float) else value[:, np.newaxis]


def _loop_slice(loop: Loop, start: int, frames: int) -> Wave:
    """`frames` frames of the loop from `start`, wrapping round (a loop is longer than a block)."""
    length = len(loop)
    begin = start % length
    end = begin + frames
    if end <= length:
        return loop[begin:end]
    return np.concatenate((loop[begin:], loop[: end - length]))


def peak_bound() -> float:
    """The largest peak the graph can produce at a volume cap of 1: one tone layer at its level (layers
    crossfade, so their levels sum to one layer's) plus the louder noise level."""
    return max(TONE_PEAK, AMBIENT_TONE_PEAK) + max(NOISE_BED_PEAK, NOISE_AMBIENT_PEAK)
