/**
 * `window.neurotune`: what the e2e tests and the click-to-sound benchmark read from the page (the
 * schedule, the offline renderer, the audio modules, the live engine, the wake chimes played).
 * Nothing in the app reads it.
 */
import type { MusicInfo, SoundEngine } from "@/lib/audio";
import type { ModulationSchedule } from "@/lib/types";
import { loadAudio } from "./audioHandoff";

export interface EngineProbe {
  beatHz: number | null;
  /** The session position the engine plays now, in seconds. */
  positionSec: number | null;
  music: MusicInfo | null;
  /** The loudest bin of the output spectrum, in dB (-Infinity while silent). */
  peakDb: number;
  ownedNodes: () => readonly { disposed: boolean }[];
}

declare global {
  interface Window {
    neurotune?: {
      schedule: ModulationSchedule;
      renderOffline: (typeof import("@/lib/audio"))["renderOffline"];
      /** The audio modules themselves, to build an engine of one's own (the disposal test). */
      loadAudio: () => Promise<typeof import("@/lib/audio")>;
      /** What the live engine plays now, and the nodes it owns; null while it is stopped. */
      engine: () => EngineProbe | null;
      /** Wake chimes played on this page. */
      chimes: number;
    };
  }
}

const renderOffline: NonNullable<Window["neurotune"]>["renderOffline"] = async (...args) => (await loadAudio()).renderOffline(...args);

function probe(sound: SoundEngine): EngineProbe {
  const spectrum = sound.spectrum();
  return {
    beatHz: sound.beatHzNow(),
    positionSec: sound.positionSec(),
    music: sound.musicInfo(),
    peakDb: spectrum ? Math.max(...spectrum) : -Infinity,
    ownedNodes: () => sound.ownedNodes(),
  };
}

/** Publishes the page's schedule and live engine (read through `current()` at call time). */
export function publishDiagnostics(schedule: ModulationSchedule, current: () => SoundEngine | null): void {
  window.neurotune = {
    schedule,
    renderOffline,
    loadAudio,
    engine: () => {
      const sound = current();
      return sound ? probe(sound) : null;
    },
    chimes: window.neurotune?.chimes ?? 0,
  };
}

export function countChime(): void {
  if (window.neurotune) window.neurotune.chimes += 1;
}
