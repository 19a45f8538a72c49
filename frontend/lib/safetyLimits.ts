/**
 * Every numeric bound the web app keeps, defined once. The schedule bounds mirror the backend's
 * safety limits (the validator enforces them server-side); the engine and the manual controls use
 * them as a backstop, so nothing the listener does by hand can leave the range a schedule may use.
 * The listener's settings bounds mirror the backend's UserPreferences and SessionStart.
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

/** Carrier tone range (UserPreferences.carrier_hz): the engine, the slice and the sliders hold it. */
export const CARRIER_HZ_MIN = 100;
export const CARRIER_HZ_MAX = 500;
/** Session length range in minutes (UserPreferences.default_duration_min, SessionStart.duration_min). */
export const SESSION_MINUTES_MIN = 5;
export const SESSION_MINUTES_MAX = 240;

export const clamp = (value: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, value));

/** Highest beat / pulse / modulation rate allowed on `layer`. */
export function beatMaxHz(layer: Layer): number {
  return layer === "binaural" ? BINAURAL_HZ_MAX : MODULATION_HZ_MAX;
}

/** The rate the engine plays for `step`: its beat frequency, held inside its layer's bounds. */
export function rateHz(step: ModulationStep): number {
  return clamp(step.binaural_freq, BEAT_HZ_MIN, beatMaxHz(step.layer));
}
