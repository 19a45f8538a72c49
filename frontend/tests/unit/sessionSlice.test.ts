import { describe, expect, it } from "vitest";

import { clockFromRecord, stoppedClock } from "@/features/session/sessionClock";
import reducer, {
  beatFollowsSchedule,
  beatOverridden,
  clockTicked,
  endedHere,
  frameReceived,
  localRecordRestored,
  musicChosen,
  pauseFailed,
  pauseRequested,
  pauseSettled,
  playRequested,
  preferencesApplied,
  selectStatus,
  sessionOpened,
  sessionRefreshed,
  soundChanged,
  volumeChanged,
  volumeStepped,
} from "@/features/session/sessionSlice";
import { initialSessionState, wantsSound, type SessionPreferences, type SessionState } from "@/features/session/sessionState";
import type { LibraryTrack, ModulationSchedule, ModulationUpdate } from "@/lib/types";

const schedule: ModulationSchedule = {
  intent: "focus",
  total_duration_sec: 600,
  steps: [{ timestamp_sec: 0, target_bpm: 80, binaural_freq: 10, ramp_duration_sec: 0, layer: "binaural", noise: "none" }],
};

const prefs: SessionPreferences = { carrierHz: 220, volumeCap: 0.3, balance: 0.2, mix: { tone: 1, noise: 0.5, music: 0.8 }, noiseOn: true };

/** A session opened at `elapsedSec`, its clock running from t = 0 ms. */
function opened(elapsedSec = 0, paused = false): SessionState {
  const clock = { anchorSec: elapsedSec, anchorMs: 0, running: !paused };
  return reducer(initialSessionState, sessionOpened({ sessionId: 1, schedule, clock, paused, ended: false }, 0));
}

function frame(fields: Partial<ModulationUpdate>): ModulationUpdate {
  return { seq: 1, stream_id: "s", session_id: 1, type: "step", server_time: 0, elapsed_sec: 0, paused: false, lookahead_sec: 10, total_duration_sec: 600, steps: [], step_index: null, starts_at_sec: null, from_sec: null, reason: null, ...fields };
}

const track = { id: 3, filename: "rain.flac", bpm: 80, key_signature: null } as LibraryTrack;

describe("sessionSlice", () => {
  it("never lets the volume pass the calibrated cap, by slider or by key", () => {
    let state = reducer(opened(), preferencesApplied(prefs));
    state = reducer(state, volumeChanged(0.9));
    expect(state.volume).toBe(0.3);
    state = reducer(state, volumeStepped(1));
    expect(state.volume).toBe(0.3);
    state = reducer(state, volumeStepped(-1));
    expect(state.volume).toBe(0.25);
    state = reducer(state, preferencesApplied({ ...prefs, carrierHz: 9000, volumeCap: 0.1 }));
    expect(state.volumeCap).toBe(0.1);
    expect(state.volume).toBe(0.1);
    expect(state.carrierHz).toBe(220); // the rest of the preferences apply once per session
  });

  it("applies refined frames, remembers the stream position and takes the server's clock", () => {
    let state = opened();
    const refinedSteps = [...schedule.steps, { ...schedule.steps[0]!, timestamp_sec: 60, binaural_freq: 12, ramp_duration_sec: 20 }];
    state = reducer(state, frameReceived(frame({ seq: 5, type: "refined", elapsed_sec: 12, steps: refinedSteps }), 1000));
    expect(state.schedule?.steps).toHaveLength(2);
    expect(state.lastSeq).toBe(5);
    expect(state.streamId).toBe("s");
    expect(state.refinedCount).toBe(1);
    expect(state.elapsedSec).toBe(12);
    state = reducer(state, clockTicked(3000));
    expect(state.elapsedSec).toBe(14);
  });

  it("stops its clock on a paused frame and goes on from there on resumed", () => {
    let state = reducer(opened(100), frameReceived(frame({ type: "paused", elapsed_sec: 100, paused: true }), 0));
    expect(state.paused).toBe(true);
    state = reducer(state, clockTicked(60_000));
    expect(state.elapsedSec).toBe(100);
    state = reducer(state, frameReceived(frame({ seq: 2, type: "resumed", elapsed_sec: 100, paused: false }), 60_000));
    state = reducer(state, clockTicked(65_000));
    expect(state.elapsedSec).toBe(105);
  });

  it("pauses at once, keeps frames from undoing it until the server answers, and settles on the answer", () => {
    let state = reducer(reducer(opened(50), playRequested()), soundChanged("on"));
    expect(selectStatus({ session: state })).toBe("playing");
    state = reducer(state, pauseRequested());
    expect(state.paused).toBe(true);
    expect(wantsSound(state)).toBe(false);
    state = reducer(state, frameReceived(frame({ seq: 3, elapsed_sec: 51, paused: false })));
    expect(state.paused).toBe(true);
    state = reducer(state, pauseSettled({ request: "pause", paused: true, clock: stoppedClock(51) }));
    expect(state.pauseRequest).toBeNull();
    expect(state.elapsedSec).toBe(51);
    state = reducer(state, playRequested());
    expect(state.pauseRequest).toBe("resume");
    expect(wantsSound(state)).toBe(true);
  });

  it("keeps the sound off when a pause cannot reach the server, and says so", () => {
    let state = reducer(opened(50), playRequested());
    state = reducer(state, pauseRequested());
    state = reducer(state, pauseFailed({ request: "pause", message: "offline" }));
    expect(state.paused).toBe(false);
    expect(state.listening).toBe(false);
    expect(state.pauseError).toBe("offline");
    expect(selectStatus({ session: state })).toBe("idle");
  });

  it("ends for good on an end frame; a schedule that ran out asks for a rating", () => {
    let state = reducer(opened(), frameReceived(frame({ type: "end", reason: "duration_over", elapsed_sec: 600 })));
    expect(state.ended).toBe("duration_over");
    expect(state.ratingPrompt).toBe(true);
    state = reducer(state, playRequested());
    expect(selectStatus({ session: state })).toBe("ended");
    expect(wantsSound(state)).toBe(false);
    const endedElsewhere = reducer(opened(), frameReceived(frame({ type: "end", reason: "ended" })));
    expect(endedElsewhere.ratingPrompt).toBe(false);
  });

  it("ends by its own clock when no end frame comes (offline), after a short grace", () => {
    let state = reducer(opened(595), clockTicked(5_000));
    expect(state.ended).toBeNull();
    state = reducer(state, clockTicked(8_500));
    expect(state.ended).toBe("duration_over");
    expect(state.elapsedSec).toBe(600);
  });

  it("learns an end from the stored session, asking for a rating only if it has none", () => {
    const clock = clockFromRecord({ started_at: new Date(0).toISOString(), paused_at: null, paused_sec: 0, ended_at: null, duration_sec: null }, 10_000);
    const completed = reducer(opened(), sessionRefreshed({ paused: false, clock, endReason: "completed", rated: false }));
    expect(completed.ended).toBe("duration_over");
    expect(completed.ratingPrompt).toBe(true);
    const rated = reducer(opened(), sessionRefreshed({ paused: false, clock, endReason: "completed", rated: true }));
    expect(rated.ratingPrompt).toBe(false);
  });

  it("ending here stops listening and asks nothing more", () => {
    const state = reducer(reducer(opened(), playRequested()), endedHere());
    expect(state.ended).toBe("ended");
    expect(state.listening).toBe(false);
    expect(state.ratingPrompt).toBe(false);
  });

  it("glides a manual beat from what is heard, within the layer's bounds, and hands it back", () => {
    let state = opened(100);
    state = reducer(state, beatOverridden(45)); // binaural: at most 30 Hz
    expect(state.beat).toEqual({ mode: "manual", fromHz: 10, targetHz: 30, atSec: 100 });
    state = reducer(state, clockTicked(10_000)); // heard 12 Hz now
    state = reducer(state, beatFollowsSchedule());
    expect(state.beat).toEqual({ mode: "rejoin", fromHz: 12, atSec: 110 });
    state = reducer(state, clockTicked(19_000));
    expect(state.beat.mode).toBe("rejoin");
    state = reducer(state, clockTicked(20_000)); // 2 Hz back at 0.2 Hz/s
    expect(state.beat).toEqual({ mode: "schedule" });
  });

  it("restores what this device kept, and forgets it when another session opens", () => {
    let state = reducer(opened(), preferencesApplied(prefs));
    state = reducer(state, beatOverridden(6));
    state = reducer(state, musicChosen(track));
    const kept = { v: 1 as const, savedAtMs: 0, listening: true, beat: state.beat, volume: 0.9, carrierHz: 300, balance: -0.5, layers: { binaural: true, isochronic: false, ambient: true }, noiseOn: false, mix: { tone: 0.5, noise: 0.2, music: 1 }, entrainMusic: true, track };
    const restored = reducer(reducer(opened(), preferencesApplied(prefs)), localRecordRestored(kept));
    expect(restored).toMatchObject({ listening: true, beat: state.beat, volume: 0.3, carrierHz: 300, balance: -0.5, noiseOn: false, entrainMusic: true });
    expect(restored.music?.trackId).toBe(3);
    const other = reducer(restored, sessionOpened({ sessionId: 2, schedule, clock: stoppedClock(), paused: false, ended: false }));
    expect(other.beat).toEqual({ mode: "schedule" });
    expect(other.music).toBeNull();
    expect(other.listening).toBe(false);
  });
});
