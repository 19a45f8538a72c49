/**
 * Playback state of the session being listened to: what the controls show and the engine follows.
 * Components read it through the slice's selectors, each the smallest thing it renders, so that
 * the clock's tick (`elapsedSec`, once a second) re-renders only what shows the time.
 */
import { createSlice, type PayloadAction } from "@reduxjs/toolkit";

import { DEFAULT_CARRIER_HZ, DEFAULT_VOLUME_CAP } from "@/lib/audio/levels";
import { advanceBeat, followSchedule, overrideBeat, type BeatControl } from "@/lib/beatOverride";
import { CARRIER_HZ_MAX, CARRIER_HZ_MIN, clamp } from "@/lib/safetyLimits";
import { sessionBpm } from "@/lib/tempoMatch";
import type { Layer, ModulationSchedule, ModulationUpdate } from "@/lib/types";

export type PlaybackStatus = "idle" | "playing" | "paused" | "ended";

/** The library track playing under the session (its decoded audio lives with the engine). */
export interface MusicChoice {
  trackId: number;
  filename: string;
  bpm: number | null;
  keySignature: string | null;
}

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
  /** Who sets the beat now: the schedule, or the listener's slider (gliding, never jumping). */
  beat: BeatControl;
  music: MusicChoice | null;
  /** "Gentle pulse on my music": modulate the track under every layer, not only ambient steps. */
  entrainMusic: boolean;
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
  carrierHz: DEFAULT_CARRIER_HZ,
  volume: DEFAULT_VOLUME_CAP,
  volumeCap: DEFAULT_VOLUME_CAP,
  balance: 0,
  layers: { binaural: true, isochronic: true, ambient: true },
  beat: { mode: "schedule" },
  music: null,
  entrainMusic: false,
  streamId: null,
  lastSeq: null,
  connection: "offline",
  refinedCount: 0,
};

export const sessionSlice = createSlice({
  name: "session",
  initialState: initialSessionState,
  reducers: {
    sessionLoaded(state, action: PayloadAction<{ sessionId: number; schedule: ModulationSchedule; elapsedSec: number }>) {
      return {
        ...state,
        ...action.payload,
        status: "idle",
        beat: { mode: "schedule" },
        music: null,
        streamId: null,
        lastSeq: null,
        refinedCount: 0,
      };
    },
    preferencesApplied(state, action: PayloadAction<{ carrierHz: number; volumeCap: number }>) {
      state.carrierHz = clamp(action.payload.carrierHz, CARRIER_HZ_MIN, CARRIER_HZ_MAX);
      state.volumeCap = clamp(action.payload.volumeCap, 0, 1);
      state.volume = Math.min(state.volume, state.volumeCap);
    },
    statusChanged(state, action: PayloadAction<PlaybackStatus>) {
      if (state.status !== "ended") state.status = action.payload;
    },
    clockTicked(state, action: PayloadAction<number>) {
      state.elapsedSec = Math.max(0, action.payload);
      if (state.schedule) state.beat = advanceBeat(state.schedule, state.beat, state.elapsedSec);
    },
    /** The beat slider moved: glide from what is heard now to `hz` (bounded for the layer). */
    beatOverridden(state, action: PayloadAction<number>) {
      if (state.schedule) state.beat = overrideBeat(state.schedule, state.beat, action.payload, state.elapsedSec);
    },
    beatFollowsSchedule(state) {
      if (state.schedule) state.beat = followSchedule(state.schedule, state.beat, state.elapsedSec);
    },
    musicChosen(state, action: PayloadAction<MusicChoice | null>) {
      state.music = action.payload;
    },
    entrainMusicChanged(state, action: PayloadAction<boolean>) {
      state.entrainMusic = action.payload;
    },
    carrierChanged(state, action: PayloadAction<number>) {
      state.carrierHz = clamp(action.payload, CARRIER_HZ_MIN, CARRIER_HZ_MAX);
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
  selectors: {
    selectSessionId: (state) => state.sessionId,
    selectSchedule: (state) => state.schedule,
    selectHasSchedule: (state) => state.schedule !== null,
    /** The tempo a track is fitted to (0 before a schedule is loaded). */
    selectSessionBpm: (state) => (state.schedule ? sessionBpm(state.schedule) : 0),
    selectStatus: (state) => state.status,
    selectIsPlaying: (state) => state.status === "playing",
    selectElapsedSec: (state) => state.elapsedSec,
    selectCarrierHz: (state) => state.carrierHz,
    selectVolume: (state) => state.volume,
    selectVolumeCap: (state) => state.volumeCap,
    selectBalance: (state) => state.balance,
    selectLayers: (state) => state.layers,
    selectBeat: (state) => state.beat,
    selectMusic: (state) => state.music,
    selectEntrainMusic: (state) => state.entrainMusic,
    selectConnection: (state) => state.connection,
    selectRefinedCount: (state) => state.refinedCount,
  },
});

export const {
  sessionLoaded,
  preferencesApplied,
  statusChanged,
  clockTicked,
  beatOverridden,
  beatFollowsSchedule,
  musicChosen,
  entrainMusicChanged,
  carrierChanged,
  volumeChanged,
  balanceChanged,
  layerToggled,
  connectionChanged,
  frameReceived,
} = sessionSlice.actions;

export const {
  selectSessionId,
  selectSchedule,
  selectHasSchedule,
  selectSessionBpm,
  selectStatus,
  selectIsPlaying,
  selectElapsedSec,
  selectCarrierHz,
  selectVolume,
  selectVolumeCap,
  selectBalance,
  selectLayers,
  selectBeat,
  selectMusic,
  selectEntrainMusic,
  selectConnection,
  selectRefinedCount,
} = sessionSlice.selectors;

export default sessionSlice.reducer;
