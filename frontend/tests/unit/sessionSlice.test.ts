import { describe, expect, it } from "vitest";

import reducer, {
  beatFollowsSchedule,
  beatOverridden,
  clockTicked,
  frameReceived,
  musicChosen,
  initialSessionState,
  preferencesApplied,
  sessionLoaded,
  statusChanged,
  volumeChanged,
} from "@/features/session/sessionSlice";
import type { ModulationSchedule, ModulationUpdate } from "@/lib/types";

const schedule: ModulationSchedule = {
  intent: "focus",
  total_duration_sec: 600,
  steps: [{ timestamp_sec: 0, target_bpm: 80, binaural_freq: 10, ramp_duration_sec: 0, layer: "binaural", noise: "none" }],
};

describe("sessionSlice", () => {
  it("never lets the volume pass the calibrated cap", () => {
    let state = reducer(initialSessionState, preferencesApplied({ carrierHz: 220, volumeCap: 0.3 }));
    state = reducer(state, volumeChanged(0.9));
    expect(state.volume).toBe(0.3);
    state = reducer(state, preferencesApplied({ carrierHz: 9000, volumeCap: 5 }));
    expect(state.carrierHz).toBe(500);
    expect(state.volumeCap).toBe(1);
  });

  it("applies refined frames and remembers the stream position", () => {
    let state = reducer(initialSessionState, sessionLoaded({ sessionId: 1, schedule, elapsedSec: 0 }));
    const refinedSteps = [...schedule.steps, { ...schedule.steps[0]!, timestamp_sec: 60, binaural_freq: 12, ramp_duration_sec: 20 }];
    const refined = { seq: 5, stream_id: "s", type: "refined", elapsed_sec: 12, total_duration_sec: 600, steps: refinedSteps } as ModulationUpdate;
    state = reducer(state, frameReceived(refined));
    expect(state.schedule?.steps).toHaveLength(2);
    expect(state.lastSeq).toBe(5);
    expect(state.streamId).toBe("s");
    expect(state.refinedCount).toBe(1);
    expect(state.elapsedSec).toBe(12);
  });

  it("ends for good on an end frame", () => {
    let state = reducer(initialSessionState, sessionLoaded({ sessionId: 1, schedule, elapsedSec: 0 }));
    state = reducer(state, frameReceived({ seq: 2, stream_id: "s", type: "end", elapsed_sec: 600, steps: [] } as unknown as ModulationUpdate));
    expect(state.status).toBe("ended");
    state = reducer(state, statusChanged("playing"));
    expect(state.status).toBe("ended");
  });

  it("glides a manual beat from what is heard, within the layer's bounds, and hands it back", () => {
    let state = reducer(initialSessionState, sessionLoaded({ sessionId: 1, schedule, elapsedSec: 100 }));
    state = reducer(state, beatOverridden(45)); // binaural: at most 30 Hz
    expect(state.beat).toEqual({ mode: "manual", fromHz: 10, targetHz: 30, atSec: 100 });
    state = reducer(state, clockTicked(110)); // heard 12 Hz now
    state = reducer(state, beatFollowsSchedule());
    expect(state.beat).toEqual({ mode: "rejoin", fromHz: 12, atSec: 110 });
    state = reducer(state, clockTicked(119));
    expect(state.beat.mode).toBe("rejoin");
    state = reducer(state, clockTicked(120)); // 2 Hz back at 0.2 Hz/s
    expect(state.beat).toEqual({ mode: "schedule" });
  });

  it("forgets the beat override and the music when another session loads", () => {
    let state = reducer(initialSessionState, sessionLoaded({ sessionId: 1, schedule, elapsedSec: 0 }));
    state = reducer(state, beatOverridden(6));
    state = reducer(state, musicChosen({ trackId: 3, filename: "rain.flac", bpm: 80, keySignature: null }));
    state = reducer(state, sessionLoaded({ sessionId: 2, schedule, elapsedSec: 0 }));
    expect(state.beat).toEqual({ mode: "schedule" });
    expect(state.music).toBeNull();
  });
});
