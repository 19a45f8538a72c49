/**
 * How a library track is fitted to a session's tempo, shared by the engine (which plays it) and
 * the music picker (which lists the tracks that fit first). A track is matched at half, its own or
 * double time, whichever is nearest the session's tempo, then sped up or slowed down by at most
 * 15 % (further than that and voices and instruments sound wrong).
 */
import type { ModulationSchedule } from "./types";

export const PLAYBACK_RATE_MIN = 0.85;
export const PLAYBACK_RATE_MAX = 1.15;
const TEMPO_FACTORS = [0.5, 1, 2] as const;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** The tempo a track is fitted to for the whole session: the median of the steps' target BPM. */
export function sessionBpm(schedule: ModulationSchedule): number {
  return median(schedule.steps.map((s) => s.target_bpm));
}

/** 0.5, 1 or 2: the multiple of `trackBpm` nearest `targetBpm` (ratio-wise). */
export function tempoFactor(trackBpm: number, targetBpm: number): number {
  const distance = (f: number): number => Math.abs(Math.log(targetBpm / (trackBpm * f)));
  return TEMPO_FACTORS.reduce((best, f) => (distance(f) < distance(best) ? f : best), 1);
}

export interface TempoFit {
  factor: number;
  /** The playback rate that would hit `targetBpm` exactly (before clamping to 0.85–1.15). */
  rate: number;
  /** Whether that rate is inside 0.85–1.15: the track can play in time with the session. */
  fits: boolean;
}

export function tempoFit(trackBpm: number, targetBpm: number): TempoFit {
  const factor = tempoFactor(trackBpm, targetBpm);
  const rate = targetBpm / (trackBpm * factor);
  return { factor, rate, fits: rate >= PLAYBACK_RATE_MIN - 1e-9 && rate <= PLAYBACK_RATE_MAX + 1e-9 };
}
