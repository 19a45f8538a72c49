/** What the listener sets on the engine, beside the schedule: layers, mix, carrier, cap, balance. */
import { clamp } from "../safetyLimits";
import type { Layer } from "../types";

/** What `setLayerEnabled` switches: the three schedule layers plus the noise bed and the music. */
export type EngineLayer = Layer | "noise" | "music";

export const ENGINE_LAYERS: readonly EngineLayer[] = ["binaural", "isochronic", "ambient", "noise", "music"];

/** What `setMix` levels, each 0..1 before the hard cap: beats and pulses, the noise bed, the music. */
export type MixPart = "tone" | "noise" | "music";

export const MIX_PARTS: readonly MixPart[] = ["tone", "noise", "music"];

export interface EngineSettings {
  carrierHz: number;
  volumeCap: number;
  balance: number;
  layers: Record<EngineLayer, boolean>;
  mix: Record<MixPart, number>;
  entrainMusic: boolean;
}

/** Per-ear gains for a balance of −1 (left only) … 1 (right only): the far ear is turned down. */
export function balanceGains(balance: number): { left: number; right: number } {
  const b = clamp(balance, -1, 1);
  return { left: Math.min(1, 1 - b), right: Math.min(1, 1 + b) };
}
