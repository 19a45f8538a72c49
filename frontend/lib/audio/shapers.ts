/** Wave-shaper curves that turn a sine at the session's rate into gain envelopes. */
import { clamp } from "../safetyLimits";
import { AM_DEPTH } from "./levels";

/** Raised-cosine gate over a sine's cycle: silent ~⅓, open ~⅓, smooth edges between (no clicks). */
export function pulseGate(x: number): number {
  const edge = clamp(((x + 1) / 2 - 0.2) / 0.6, 0, 1);
  return 0.5 - 0.5 * Math.cos(Math.PI * edge);
}

/** The ambient AM: 1 − AM_DEPTH at the sine's trough, 1 at its peak. */
export function amplitudeModulation(x: number): number {
  return 1 - (AM_DEPTH * (1 - x)) / 2;
}
