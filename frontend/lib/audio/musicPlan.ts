/**
 * How a library track is fitted to a schedule: its tempo factor, whether its AM locks to the
 * track's beat grid, and which whole bars loop. Fixed per track, so that nothing jumps later.
 */
import { clamp, rateHz } from "../safetyLimits";
import { median, sessionBpm, tempoFactor as nearestTempoFactor } from "../tempoMatch";
import type { ModulationSchedule } from "../types";

const BEATS_PER_BAR = 4;

export interface MusicOptions {
  /** The track's tempo; without it the track plays at its own speed. */
  trackBpm?: number;
  /** Time of the first downbeat in the track; with `lockToBeat`, the AM follows the beat grid. */
  firstBeatSec?: number;
  lockToBeat?: boolean;
  /** Request headers for the stream endpoint (the bearer token never goes into a URL). */
  headers?: HeadersInit;
}

/** How the playing track was fitted to the session (diagnostics, and the e2e test reads it). */
export interface MusicInfo {
  durationSec: number;
  trackBpm: number | null;
  /** 0.5, 1 or 2: matched at half, its own or double time. */
  tempoFactor: number;
  lockedToBeat: boolean;
}

export interface MusicPlan {
  trackBpm: number | null;
  /** 0.5, 1 or 2: the track is matched at half, its own or double time, whichever is nearest. */
  tempoFactor: number;
  /** AM cycles per track beat when locked to the beat grid, else null. */
  cyclesPerBeat: number | null;
  offsetSec: number;
  loopStartSec: number;
  loopEndSec: number;
}

export function planMusic(buffer: AudioBuffer, schedule: ModulationSchedule, options: MusicOptions): MusicPlan {
  const whole = { offsetSec: 0, loopStartSec: 0, loopEndSec: buffer.duration };
  const trackBpm = options.trackBpm && options.trackBpm > 0 ? options.trackBpm : null;
  if (trackBpm === null) return { trackBpm, tempoFactor: 1, cyclesPerBeat: null, ...whole };
  const tempoFactor = nearestTempoFactor(trackBpm, sessionBpm(schedule) || trackBpm);
  const firstBeatSec = options.firstBeatSec ?? 0;
  const barSec = (BEATS_PER_BAR * 60) / trackBpm;
  const bars = Math.floor((buffer.duration - firstBeatSec) / barSec);
  if (!options.lockToBeat || options.firstBeatSec === undefined || bars < 1) {
    return { trackBpm, tempoFactor, cyclesPerBeat: null, ...whole };
  }
  const beatHz = trackBpm / 60;
  const rate = median(schedule.steps.map(rateHz)) || beatHz;
  const cyclesPerBeat = clamp(2 ** Math.round(Math.log2(rate / beatHz)), 0.25, 8);
  // Loop whole bars from the first downbeat, so the loop keeps the AM on the grid.
  return {
    trackBpm,
    tempoFactor,
    cyclesPerBeat,
    offsetSec: firstBeatSec,
    loopStartSec: firstBeatSec,
    loopEndSec: firstBeatSec + bars * barSec,
  };
}
