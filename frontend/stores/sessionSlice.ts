/** Playback state of the session being listened to: what the controls show and the engine follows. */
import { createSlice, type PayloadAction } from "@reduxjs/toolkit";

import type { Layer, ModulationSchedule, ModulationUpdate } from "@/lib/types";

export type PlaybackStatus = "idle" | "playing" | "paused" | "ended";

export interface SessionState {
  sessionId: number | null;
  schedule: ModulationSchedule | null;
  status: PlaybackStatus;
  /** Seconds since the session started, as last reported by the server or the clock. */
  elapsedSec: number;
  carrierHz: number;
  volume: number;
  volumeCap: number;
  balance: number;
  layers: Record<Layer, boolean>;
  /** Live stream position, for resume after a dropped connection. */
  streamId: string | null;
  lastSeq: number | null;
  connection: "offline" | "connecting" | "live";
  refinedCount: number;
}

export const initialSessionState: SessionState = {
  sessionId: null,
  schedule: null,
  status: "idle",
  elapsedSec: 0,
  carrierHz: 200,
  volume: 0.5,
  volumeCap: 0.5,
  balance: 0,
  layers: { binaural: true, isochronic: true, ambient: true },
  streamId: null,
  lastSeq: null,
  connection: "offline",
  refinedCount: 0,
};

const clamp = (value: number, low: number, high: number): number => Math.min(Math.max(value, low), high);

export const sessionSlice = createSlice({
  name: "session",
  initialState: initialSessionState,
  reducers: {
    sessionLoaded(state, action: PayloadAction<{ sessionId: number; schedule: ModulationSchedule; elapsedSec: number }>) {
      return {
        ...state,
        ...action.payload,
        status: "idle",
        streamId: null,
        lastSeq: null,
        refinedCount: 0,
      };
    },
    preferencesApplied(state, action: PayloadAction<{ carrierHz: number; volumeCap: number }>) {
      state.carrierHz = clamp(action.payload.carrierHz, 100, 500);
      state.volumeCap = clamp(action.payload.volumeCap, 0, 1);
      state.volume = Math.min(state.volume, state.volumeCap);
    },
    statusChanged(state, action: PayloadAction<PlaybackStatus>) {
      if (state.status !== "ended") state.status = action.payload;
    },
    clockTicked(state, action: PayloadAction<number>) {
      state.elapsedSec = Math.max(0, action.payload);
    },
    carrierChanged(state, action: PayloadAction<number>) {
      state.carrierHz = clamp(action.payload, 100, 500);
    },
    volumeChanged(state, action: PayloadAction<number>) {
      // The cap from the user's calibration is hard: the slider cannot pass it.
      state.volume = clamp(action.payload, 0, state.volumeCap);
    },
    balanceChanged(state, action: PayloadAction<number>) {
      state.balance = clamp(action.payload, -1, 1);
    },
    layerToggled(state, action: PayloadAction<Layer>) {
      state.layers[action.payload] = !state.layers[action.payload];
    },
    connectionChanged(state, action: PayloadAction<SessionState["connection"]>) {
      state.connection = action.payload;
    },
    frameReceived(state, action: PayloadAction<ModulationUpdate>) {
      const frame = action.payload;
      state.streamId = frame.stream_id;
      state.lastSeq = frame.seq;
      state.elapsedSec = frame.elapsed_sec;
      if ((frame.type === "schedule" || frame.type === "refined") && state.schedule) {
        state.schedule = { ...state.schedule, total_duration_sec: frame.total_duration_sec, steps: frame.steps };
      }
      if (frame.type === "refined") state.refinedCount += 1;
      if (frame.type === "end") state.status = "ended";
    },
  },
});

export const {
  sessionLoaded,
  preferencesApplied,
  statusChanged,
  clockTicked,
  carrierChanged,
  volumeChanged,
  balanceChanged,
  layerToggled,
  connectionChanged,
  frameReceived,
} = sessionSlice.actions;

export default sessionSlice.reducer;
