import { describe, expect, it } from "vitest";

import { applyControlChanges, startOptions, type EngineControls } from "@/features/session/engineControls";
import reducer, {
  beatFollowsSchedule,
  beatOverridden,
  carrierChanged,
  clockTicked,
  layerToggled,
  mixChanged,
  noiseSwitched,
  selectBeat,
  selectSchedule,
  selectSessionBpm,
  sessionOpened,
  volumeChanged,
} from "@/features/session/sessionSlice";
import { initialSessionState, type SessionState } from "@/features/session/sessionState";
import type { ModulationSchedule } from "@/lib/types";

const schedule: ModulationSchedule = {
  intent: "focus",
  total_duration_sec: 600,
  steps: [{ timestamp_sec: 0, target_bpm: 80, binaural_freq: 10, ramp_duration_sec: 0, layer: "binaural", noise: "none" }],
};

/** A stand-in engine that records the verbs it is given. */
function recordingEngine(): { engine: EngineControls; calls: string[] } {
  const calls: string[] = [];
  const record = (name: string) => (...args: unknown[]) => void calls.push(`${name}(${args.map(String).join(", ")})`);
  const engine: EngineControls = {
    setCarrier: record("setCarrier"),
    setVolumeCap: record("setVolumeCap"),
    setBalance: record("setBalance"),
    setMusicEntrainment: record("setMusicEntrainment"),
    setBeatOverride: record("setBeatOverride"),
    setLayerEnabled: record("setLayerEnabled"),
    setMix: record("setMix"),
  };
  return { engine, calls };
}

const loaded: SessionState = reducer(
  initialSessionState,
  sessionOpened({ sessionId: 1, schedule, clock: { anchorSec: 100, anchorMs: 0, running: true }, paused: false, ended: false }, 0),
);

describe("the engine follows the controls", () => {
  it("is told nothing on a clock tick", () => {
    const { engine, calls } = recordingEngine();
    applyControlChanges(engine, loaded, reducer(loaded, clockTicked(1000)));
    expect(calls).toEqual([]);
  });

  it("is told exactly what changed", () => {
    const { engine, calls } = recordingEngine();
    let state = loaded;
    for (const action of [carrierChanged(250), volumeChanged(0.2), layerToggled("ambient"), noiseSwitched(false), mixChanged({ part: "music", value: 0.4 })]) {
      const next = reducer(state, action);
      applyControlChanges(engine, state, next);
      state = next;
    }
    expect(calls).toEqual([
      "setCarrier(250)",
      "setVolumeCap(0.2)",
      "setLayerEnabled(binaural, true)",
      "setLayerEnabled(isochronic, true)",
      "setLayerEnabled(ambient, false)",
      "setLayerEnabled(noise, false)",
      "setMix(music, 0.4)",
    ]);
  });

  it("glides to a beat set by hand and back to the schedule", () => {
    const { engine, calls } = recordingEngine();
    const manual = reducer(loaded, beatOverridden(6));
    applyControlChanges(engine, loaded, manual);
    applyControlChanges(engine, manual, reducer(manual, beatFollowsSchedule()));
    expect(calls).toEqual(["setBeatOverride(6)", "setBeatOverride(null)"]);
  });

  it("starts at the slice's volume, under its cap", () => {
    const options = startOptions(reducer(loaded, volumeChanged(0.3)), 42);
    expect(options).toMatchObject({ atSec: 42, volumeCap: 0.3, carrierHz: 200, balance: 0, layers: { noise: true }, mix: { tone: 1, noise: 1, music: 1 } });
  });
});

describe("the session selectors", () => {
  it("keep their answers when only the clock moves", () => {
    const root = { session: loaded };
    const ticked = { session: reducer(loaded, clockTicked(1000)) };
    expect(selectSchedule(ticked)).toBe(selectSchedule(root));
    expect(selectBeat(ticked)).toBe(selectBeat(root));
    expect(selectSessionBpm(ticked)).toBe(80);
  });
});
