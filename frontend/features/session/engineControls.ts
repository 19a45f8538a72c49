/**
 * What the engine takes from the session slice: the options it starts with, and the controls
 * that changed while it plays. Pure, so the unit tests check it with a stand-in engine.
 */
import type { SoundEngine, StartOptions } from "@/lib/audio";
import type { BeatControl } from "@/lib/beatOverride";
import type { SessionState } from "./sessionState";

/** The engine verbs the controls drive. */
export type EngineControls = Pick<
  SoundEngine,
  "setCarrier" | "setVolumeCap" | "setBalance" | "setMusicEntrainment" | "setBeatOverride" | "setLayerEnabled" | "setMix"
>;

const SCHEDULE_LAYERS = ["binaural", "isochronic", "ambient"] as const;
const MIX_PARTS = ["tone", "noise", "music"] as const;

/** `SoundEngine.start`'s options for the slice's controls, resuming at `atSec`. */
export function startOptions(state: SessionState, atSec: number): StartOptions {
  return {
    atSec,
    carrierHz: state.carrierHz,
    volumeCap: state.volume,
    balance: state.balance,
    layers: { ...state.layers, noise: state.noiseOn },
    mix: state.mix,
    entrainMusic: state.entrainMusic,
  };
}

/** A beat set by hand glides there; letting go glides back to the schedule (≤ 0.2 Hz/s both ways). */
export function applyBeat(engine: Pick<EngineControls, "setBeatOverride">, beat: BeatControl): void {
  if (beat.mode === "manual") engine.setBeatOverride(beat.targetHz);
  if (beat.mode === "rejoin") engine.setBeatOverride(null);
}

/** Pushes into `engine` every control that differs between `before` and `after`, and nothing else. */
export function applyControlChanges(engine: EngineControls, before: SessionState, after: SessionState): void {
  if (after.carrierHz !== before.carrierHz) engine.setCarrier(after.carrierHz);
  if (after.volume !== before.volume) engine.setVolumeCap(after.volume);
  if (after.balance !== before.balance) engine.setBalance(after.balance);
  if (after.entrainMusic !== before.entrainMusic) engine.setMusicEntrainment(after.entrainMusic);
  if (after.beat !== before.beat) applyBeat(engine, after.beat);
  if (after.layers !== before.layers) {
    for (const layer of SCHEDULE_LAYERS) engine.setLayerEnabled(layer, after.layers[layer]);
  }
  if (after.noiseOn !== before.noiseOn) engine.setLayerEnabled("noise", after.noiseOn);
  if (after.mix !== before.mix) {
    for (const part of MIX_PARTS) if (after.mix[part] !== before.mix[part]) engine.setMix(part, after.mix[part]);
  }
}
