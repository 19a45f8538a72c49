/** The engine rendered offline: what the e2e tests measure and what the sound check could play. */
import { Offline } from "tone";

import type { ModulationSchedule } from "../types";
import type { EngineLayer } from "./engineSettings";
import { SoundEngine } from "./SoundEngine";

export interface OfflineRenderOptions {
  fromSec?: number;
  durationSec: number;
  carrierHz?: number;
  volumeCap?: number;
  balance?: number;
  layers?: Partial<Record<EngineLayer, boolean>>;
  sampleRate?: number;
  /** Master fade-in, default the live 3 s; an analysis window of the steady state passes 0. */
  fadeInSec?: number;
}

export interface RenderedAudio {
  left: Float32Array;
  right: Float32Array;
  sampleRate: number;
}

/**
 * Renders `durationSec` of the session from `fromSec` with `Tone.Offline`, through a SoundEngine
 * built on the offline context: the same graph, bindings and glides that play live.
 */
export async function renderOffline(schedule: ModulationSchedule, options: OfflineRenderOptions): Promise<RenderedAudio> {
  const engines: SoundEngine[] = [];
  const buffer = await Offline(
    async (context) => {
      const engine = new SoundEngine(context);
      engines.push(engine);
      await engine.start(schedule, {
        atSec: options.fromSec ?? 0,
        carrierHz: options.carrierHz,
        volumeCap: options.volumeCap,
        balance: options.balance,
        layers: options.layers,
        fadeInSec: options.fadeInSec,
      });
    },
    options.durationSec,
    2,
    options.sampleRate ?? 44100,
  );
  for (const engine of engines) engine.dispose();
  return { left: buffer.getChannelData(0), right: buffer.getChannelData(1), sampleRate: buffer.sampleRate };
}
