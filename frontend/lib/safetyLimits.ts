/**
 * The bounds every schedule respects, mirrored from backend/llm_engine/safety_limits.py (the
 * validator enforces them server-side). The engine and the manual controls use these as a
 * backstop, so nothing the listener does by hand can leave the range a schedule may use.
 */
import type { Layer, ModulationStep } from "./types";

export const BEAT_HZ_MIN = 0.5;
/** Binaural beats fade perceptually above ~30 Hz. */
export const BINAURAL_HZ_MAX = 30;
/** Isochronic and ambient modulation stay at or below 40 Hz. */
export const MODULATION_HZ_MAX = 40;
/** The beat may glide no faster than 1 Hz per 5 s. */
export const MAX_BEAT_RATE_HZ_PER_SEC = 0.2;
export const BPM_MIN = 40;
export const BPM_MAX = 200;

export const clamp = (value: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, value));

/** Highest beat / pulse / modulation rate allowed on `layer`. */
export function beatMaxHz(layer: Layer): number {
  return layer === "binaural" ? BINAURAL_HZ_MAX : MODULATION_HZ_MAX;
}

/** The rate the engine plays for `step`: its beat frequency, held inside its layer's bounds. */
export function rateHz(step: ModulationStep): number {
  return clamp(step.binaural_freq, BEAT_HZ_MIN, beatMaxHz(step.layer));
}
