/**
 * How parameters move: every schedule-driven parameter is a `Binding` whose segments come from
 * `scheduleMath.glides`, followed with `linearRampToValueAtTime`; control parameters glide with
 * `glideTo`. Nothing here jumps.
 */
import { glideValueAt, type Glide } from "../scheduleMath";
import type { ModulationStep } from "../types";
import { CATCH_UP_SEC } from "./levels";

/** The part of a Tone `Param` (or `Signal`) the engine automates. */
export interface Automatable {
  setValueAtTime(value: number, time: number): unknown;
  linearRampToValueAtTime(value: number, time: number): unknown;
  cancelAndHoldAtTime(time: number): unknown;
}

/** A parameter that follows the schedule: its value for each step, and its shortest glide. */
export interface Binding {
  param: Automatable;
  value: (step: ModulationStep) => number;
  minRampSec: number;
}

/** Glides a control (not schedule-driven) parameter from wherever it is now. */
export function glideTo(param: Automatable, value: number, atSec: number, durationSec: number): void {
  param.cancelAndHoldAtTime(atSec);
  param.linearRampToValueAtTime(value, atSec + durationSec);
}

/**
 * Schedules `segments` on `param` from session position `posSec` on. The value at `posSec` must
 * already be set or held. A glide in progress continues to its end; a later one holds its start
 * value until its start, then ramps. If nothing is in progress, the param first glides to the
 * curve's current value (a no-op when it is already there, a smooth catch-up after a refinement).
 * `toCtx` maps session seconds to context time.
 */
export function follow(param: Automatable, segments: readonly Glide[], posSec: number, toCtx: (sec: number) => number): void {
  const current = segments.find((g) => g.startSec <= posSec && posSec < g.endSec);
  if (current) {
    param.linearRampToValueAtTime(current.to, toCtx(current.endSec));
  } else {
    const next = segments.find((g) => g.startSec > posSec);
    const catchUpSec = Math.min(posSec + CATCH_UP_SEC, next ? next.startSec : Infinity);
    param.linearRampToValueAtTime(glideValueAt(segments, posSec), toCtx(catchUpSec));
  }
  for (const g of segments) {
    if (g.startSec <= posSec) continue;
    param.linearRampToValueAtTime(g.from, toCtx(g.startSec));
    param.linearRampToValueAtTime(g.to, toCtx(g.endSec));
  }
}
