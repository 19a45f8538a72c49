/**
 * Where a modulation schedule is at any moment: pure arithmetic, no audio, so charts, the
 * session clock and the audio engine (`lib/audio/`) all read the same curve.
 *
 * Glide rule: a step at `timestamp_sec` = t with `ramp_duration_sec` = r glides linearly from
 * whatever value the curve has at t to the step's target during [t, t + r], then holds. The
 * first step has nothing to glide from and holds its own value from the start. If the next step
 * begins before a glide ends (the validator forbids it, but a refined schedule may arrive mid-way),
 * that glide stops where it got to and the next one starts from there. The engine schedules its
 * `linearRampToValueAtTime` calls from `glides()`, so what you chart is what you hear.
 */
import type { Layer, ModulationSchedule, ModulationStep, NoiseColour } from "./types";

export interface StepValues {
  beatHz: number;
  bpm: number;
  layer: Layer;
  noise: NoiseColour;
}

export interface CurvePoint extends StepValues {
  tSec: number;
}

/** One linear segment of a parameter: `from` at `startSec`, `to` at `endSec`, held afterwards. */
export interface Glide {
  startSec: number;
  endSec: number;
  from: number;
  to: number;
}

/** Steps in time order (the server sends them sorted; a copy is sorted anyway, stably). */
function ordered(steps: readonly ModulationStep[]): ModulationStep[] {
  return [...steps].sort((a, b) => a.timestamp_sec - b.timestamp_sec);
}

/**
 * The segments one numeric parameter follows. `minRampSec` lengthens short ramps (the engine
 * crossfades layers over at least 2 s); 0 keeps the schedule's ramps as they are.
 */
export function glides(
  steps: readonly ModulationStep[],
  valueOf: (step: ModulationStep) => number,
  minRampSec = 0,
): Glide[] {
  const sorted = ordered(steps);
  const result: Glide[] = [];
  let current = sorted[0] ? valueOf(sorted[0]) : 0;
  sorted.forEach((step, i) => {
    const startSec = step.timestamp_sec;
    const target = valueOf(step);
    const rampSec = i === 0 ? 0 : Math.max(step.ramp_duration_sec, minRampSec, 0);
    const next = sorted[i + 1];
    const endSec = Math.min(startSec + rampSec, next ? next.timestamp_sec : Infinity);
    const reached = rampSec > 0 ? (endSec - startSec) / rampSec : 1;
    const to = current + (target - current) * reached;
    result.push({ startSec, endSec, from: current, to });
    current = to;
  });
  return result;
}

/** The value of a parameter following `segments` at `tSec` (before the first: its start value). */
export function glideValueAt(segments: readonly Glide[], tSec: number): number {
  let value = segments[0]?.from ?? 0;
  for (const g of segments) {
    if (tSec < g.startSec) break;
    if (tSec >= g.endSec) {
      value = g.to;
    } else {
      value = g.from + ((g.to - g.from) * (tSec - g.startSec)) / (g.endSec - g.startSec);
    }
  }
  return value;
}

/**
 * Index of the step in force at `tSec`: the last one whose timestamp is ≤ tSec. Before the first
 * step that is step 0 (it holds from the start); an empty schedule has none, -1.
 */
export function stepIndexAt(schedule: ModulationSchedule, tSec: number): number {
  const sorted = ordered(schedule.steps);
  if (sorted.length === 0) return -1;
  let index = 0;
  sorted.forEach((step, i) => {
    if (step.timestamp_sec <= tSec) index = i;
  });
  return schedule.steps.indexOf(sorted[index] as ModulationStep);
}

const beatOf = (step: ModulationStep): number => step.binaural_freq;
const bpmOf = (step: ModulationStep): number => step.target_bpm;

function valuesFrom(
  schedule: ModulationSchedule,
  beat: readonly Glide[],
  bpm: readonly Glide[],
  tSec: number,
): StepValues {
  const step = schedule.steps[stepIndexAt(schedule, tSec)];
  return {
    beatHz: glideValueAt(beat, tSec),
    bpm: glideValueAt(bpm, tSec),
    layer: step?.layer ?? "binaural",
    noise: step?.noise ?? "none",
  };
}

/**
 * Beat frequency and tempo as the engine plays them at `tSec` (linearly interpolated inside a
 * ramp); the layer and noise of the step in force (the engine crossfades those over the ramp).
 */
export function valuesAt(schedule: ModulationSchedule, tSec: number): StepValues {
  return valuesFrom(schedule, glides(schedule.steps, beatOf), glides(schedule.steps, bpmOf), tSec);
}

/** `points` evenly spaced samples over [0, total_duration_sec], both ends included, for charts. */
export function sampleCurve(schedule: ModulationSchedule, points: number): CurvePoint[] {
  const count = Math.max(2, Math.floor(points));
  const beat = glides(schedule.steps, beatOf);
  const bpm = glides(schedule.steps, bpmOf);
  const total = Math.max(0, schedule.total_duration_sec);
  return Array.from({ length: count }, (_, i) => {
    const tSec = (total * i) / (count - 1);
    return { tSec, ...valuesFrom(schedule, beat, bpm, tSec) };
  });
}

/** "m:ss" below an hour, "h:mm:ss" from an hour; negative or non-finite times read as 0:00. */
export function formatClock(sec: number): string {
  const whole = Number.isFinite(sec) && sec > 0 ? Math.floor(sec) : 0;
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const seconds = String(whole % 60).padStart(2, "0");
  if (hours > 0) return `${hours}:${String(minutes).padStart(2, "0")}:${seconds}`;
  return `${minutes}:${seconds}`;
}
