/**
 * Manual beat control, as pure arithmetic shared by the engine (what it schedules) and the
 * controls (what they show). The listener may set the beat by hand, but never faster than the
 * validator lets a schedule move: every change glides at ≤ MAX_BEAT_RATE_HZ_PER_SEC, and handing
 * control back to the schedule glides too, meeting the schedule's curve where a safe-rate glide
 * can first reach it.
 */
import { MAX_BEAT_RATE_HZ_PER_SEC, BEAT_HZ_MIN, beatMaxHz, clamp, rateHz } from "./safetyLimits";
import { glides, glideValueAt, stepIndexAt, type Glide } from "./scheduleMath";
import type { Layer, ModulationSchedule } from "./types";

/** Who sets the beat: the schedule, the listener (gliding `fromHz` → `targetHz` from `atSec`), or
 *  the schedule again after the listener let go (gliding back from `fromHz` since `atSec`). */
export type BeatControl =
  | { mode: "schedule" }
  | { mode: "manual"; fromHz: number; targetHz: number; atSec: number }
  | { mode: "rejoin"; fromHz: number; atSec: number };

// Absorbs rounding in the root solve; far below anything audible.
const SLACK = 1e-7;

/** A manual target inside the bounds of `layer` (binaural 0.5–30 Hz, others 0.5–40 Hz). */
export function boundedBeatHz(hz: number, layer: Layer): number {
  return clamp(hz, BEAT_HZ_MIN, beatMaxHz(layer));
}

/** How long a glide from `fromHz` to `toHz` takes at `rate` Hz/s. */
export function glideSec(fromHz: number, toHz: number, rate = MAX_BEAT_RATE_HZ_PER_SEC): number {
  return Math.abs(toHz - fromHz) / rate;
}

/** Where a constant-rate glide that left `fromHz` at `atSec` for `targetHz` is at `tSec`. */
export function glidingHz(fromHz: number, targetHz: number, atSec: number, tSec: number, rate = MAX_BEAT_RATE_HZ_PER_SEC): number {
  const travelled = rate * Math.max(0, tSec - atSec);
  const distance = targetHz - fromHz;
  return Math.abs(distance) <= travelled ? targetHz : fromHz + Math.sign(distance) * travelled;
}

/** The beat curve the engine plays for `schedule` (per-layer bounds applied). */
export function beatGlides(schedule: ModulationSchedule): Glide[] {
  return glides(schedule.steps, rateHz);
}

/**
 * The earliest time ≥ `posSec` at which a straight glide from `fromHz` (at `posSec`), no faster
 * than `rate`, meets the curve `segments`. The curve is piecewise linear, so each piece is solved
 * exactly: on it, rate·(t − pos) − |curve(t) − from| is concave and its first root is the answer.
 */
export function rejoinSec(fromHz: number, segments: readonly Glide[], posSec: number, rate = MAX_BEAT_RATE_HZ_PER_SEC): number {
  const curve = (t: number): number => glideValueAt(segments, t);
  const reachable = (t: number): boolean => rate * (t - posSec) - Math.abs(curve(t) - fromHz) >= -SLACK;
  const breaks = [...new Set(segments.flatMap((g) => [g.startSec, g.endSec]))]
    .filter((t) => t > posSec && Number.isFinite(t))
    .sort((a, b) => a - b);
  let lo = posSec;
  for (const hi of [...breaks, Infinity]) {
    if (reachable(lo)) return lo;
    const c0 = curve(lo);
    const slope = Number.isFinite(hi) ? (curve(hi) - c0) / (hi - lo) : 0;
    // rate·(t − pos) = ±(c0 + slope·(t − lo) − from), solved for t.
    const roots = [
      rate - slope !== 0 ? (c0 - fromHz - slope * lo + rate * posSec) / (rate - slope) : NaN,
      rate + slope !== 0 ? (fromHz - c0 + slope * lo + rate * posSec) / (rate + slope) : NaN,
    ].filter((t) => t >= lo && t <= hi && reachable(t));
    if (roots.length > 0) return Math.min(...roots);
    lo = hi;
  }
  return lo;
}

/** The beat heard at `tSec` under `control` (the same curve the engine schedules). */
export function heardBeatHz(schedule: ModulationSchedule, control: BeatControl, tSec: number): number {
  const segments = beatGlides(schedule);
  if (control.mode === "schedule") return glideValueAt(segments, tSec);
  if (control.mode === "manual") return glidingHz(control.fromHz, control.targetHz, control.atSec, tSec);
  const joinSec = rejoinSec(control.fromHz, segments, control.atSec);
  if (tSec >= joinSec || joinSec <= control.atSec) return glideValueAt(segments, tSec);
  const joinHz = glideValueAt(segments, joinSec);
  return control.fromHz + ((joinHz - control.fromHz) * Math.max(0, tSec - control.atSec)) / (joinSec - control.atSec);
}

/** When a manual glide or a return to the schedule settles (session seconds); `atSec` otherwise. */
export function settlesAtSec(schedule: ModulationSchedule, control: BeatControl): number | null {
  if (control.mode === "schedule") return null;
  if (control.mode === "manual") return control.atSec + glideSec(control.fromHz, control.targetHz);
  return rejoinSec(control.fromHz, beatGlides(schedule), control.atSec);
}

/** The layer of the step in force at `tSec` (binaural for an empty schedule). */
export function layerAt(schedule: ModulationSchedule, tSec: number): Layer {
  return schedule.steps[stepIndexAt(schedule, tSec)]?.layer ?? "binaural";
}

/** Take the beat by hand: glide from what is heard now to `hz`, bounded for the current layer. */
export function overrideBeat(schedule: ModulationSchedule, control: BeatControl, hz: number, tSec: number): BeatControl {
  const fromHz = heardBeatHz(schedule, control, tSec);
  return { mode: "manual", fromHz, targetHz: boundedBeatHz(hz, layerAt(schedule, tSec)), atSec: tSec };
}

/** Hand the beat back to the schedule: glide from what is heard now until the curve is met. */
export function followSchedule(schedule: ModulationSchedule, control: BeatControl, tSec: number): BeatControl {
  if (control.mode === "schedule") return control;
  return { mode: "rejoin", fromHz: heardBeatHz(schedule, control, tSec), atSec: tSec };
}

/**
 * The control after time moves on to `tSec`: a finished return becomes plain "schedule", and a
 * manual target above the bound of a layer that has just begun is brought inside it (gliding).
 */
export function advanceBeat(schedule: ModulationSchedule, control: BeatControl, tSec: number): BeatControl {
  if (control.mode === "rejoin") {
    return tSec >= rejoinSec(control.fromHz, beatGlides(schedule), control.atSec) ? { mode: "schedule" } : control;
  }
  if (control.mode === "manual" && control.targetHz > beatMaxHz(layerAt(schedule, tSec))) {
    return overrideBeat(schedule, control, control.targetHz, tSec);
  }
  return control;
}
