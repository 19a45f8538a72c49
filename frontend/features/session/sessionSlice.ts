/**
 * The session being listened to: its state on the server as far as this page knows it (schedule,
 * clock, pause, end), whether this device is listening and making sound, and what the listener set
 * (volume, mix, beat, layers, music). Components read it through the slice's selectors, each the
 * smallest thing it renders, so that the clock's tick (once a second) re-renders only what shows
 * the time. The engine hook (`useSoundEngine`) makes the sound follow it.
 */
import { createSlice, type PayloadAction } from "@reduxjs/toolkit";

import { advanceBeat, followSchedule, overrideBeat } from "@/lib/beatOverride";
import { CARRIER_HZ_MAX, CARRIER_HZ_MIN, clamp } from "@/lib/safetyLimits";
import { sessionBpm } from "@/lib/tempoMatch";
import type { EndReason, Layer, LibraryTrack, ModulationSchedule, ModulationUpdate } from "@/lib/types";
import type { LocalRecord, SoundMix } from "./localRecord";
import { clockFromFrame, clockRunning, clockSec, type SessionClock } from "./sessionClock";
import {
  initialSessionState,
  musicChoiceOf,
  RUN_OUT_GRACE_SEC,
  VOLUME_STEP,
  type EndedHow,
  type PauseRequest,
  type PlaybackStatus,
  type SessionPreferences,
  type SessionState,
  type SoundState,
} from "./sessionState";

/** Action payloads carry the wall clock they happened at (reducers stay pure); tests pass their own. */
const withNow = <T>(payload: T, nowMs: number = Date.now()) => ({ payload: { ...payload, nowMs } });
const unit = (value: number): number => clamp(Number.isFinite(value) ? value : 1, 0, 1);

function setClock(state: SessionState, clock: SessionClock, nowMs: number): void {
  state.clock = clock;
  state.elapsedSec = Math.min(clockSec(clock, nowMs), state.schedule?.total_duration_sec ?? Infinity);
}

function end(state: SessionState, how: EndedHow, nowMs: number): void {
  if (state.ended) return;
  state.ended = how;
  state.ratingPrompt = how === "duration_over";
  state.pauseRequest = null;
  setClock(state, clockRunning(state.clock, false, nowMs), nowMs);
}

export const sessionSlice = createSlice({
  name: "session",
  initialState: initialSessionState,
  reducers: {
    /** A session opens on this page: everything per-session starts afresh (the hard cap stays). */
    sessionOpened: {
      reducer(state, action: PayloadAction<{ sessionId: number; schedule: ModulationSchedule; clock: SessionClock; paused: boolean; ended: boolean; nowMs: number }>) {
        const { sessionId, schedule, clock, paused, ended, nowMs } = action.payload;
        const next: SessionState = { ...initialSessionState, volumeCap: state.volumeCap, sessionId, schedule, paused };
        setClock(next, clock, nowMs);
        if (ended) next.ended = "ended";
        return next;
      },
      prepare: (payload: { sessionId: number; schedule: ModulationSchedule; clock: SessionClock; paused: boolean; ended: boolean }, nowMs?: number) =>
        withNow(payload, nowMs),
    },
    /** The listener's preferences: all of them once per session, then only the hard cap follows. */
    preferencesApplied(state, action: PayloadAction<SessionPreferences>) {
      const prefs = action.payload;
      state.volumeCap = unit(prefs.volumeCap);
      state.volume = Math.min(state.volume, state.volumeCap);
      if (state.preferencesApplied) return;
      state.preferencesApplied = true;
      state.carrierHz = clamp(prefs.carrierHz, CARRIER_HZ_MIN, CARRIER_HZ_MAX);
      state.balance = clamp(prefs.balance, -1, 1);
      state.mix = { tone: unit(prefs.mix.tone), noise: unit(prefs.mix.noise), music: unit(prefs.mix.music) };
      state.noiseOn = prefs.noiseOn;
    },
    /** What this device kept for the session before a reload. */
    localRecordRestored(state, action: PayloadAction<LocalRecord>) {
      const kept = action.payload;
      state.listening = kept.listening && !state.ended;
      state.beat = kept.beat;
      state.volume = clamp(kept.volume, 0, state.volumeCap);
      state.carrierHz = clamp(kept.carrierHz, CARRIER_HZ_MIN, CARRIER_HZ_MAX);
      state.balance = clamp(kept.balance, -1, 1);
      state.layers = { ...state.layers, ...kept.layers };
      state.noiseOn = kept.noiseOn;
      state.mix = { tone: unit(kept.mix.tone), noise: unit(kept.mix.noise), music: unit(kept.mix.music) };
      state.entrainMusic = kept.entrainMusic;
      state.music = kept.track ? musicChoiceOf(kept.track) : null;
    },
    /** Play here: listen, and resume the session if it is paused. */
    playRequested: {
      reducer(state, action: PayloadAction<{ nowMs: number }>) {
        if (state.ended) return;
        state.listening = true;
        state.pauseError = null;
        if (!state.paused) return;
        state.paused = false;
        state.pauseRequest = "resume";
        setClock(state, clockRunning(state.clock, true, action.payload.nowMs), action.payload.nowMs);
      },
      prepare: (nowMs?: number) => withNow({}, nowMs),
    },
    /** Pause here: the session's clock stops (for every device) and this device stops listening. */
    pauseRequested: {
      reducer(state, action: PayloadAction<{ nowMs: number }>) {
        if (state.ended) return;
        state.listening = false;
        state.pauseError = null;
        if (state.paused) return;
        state.paused = true;
        state.pauseRequest = "pause";
        setClock(state, clockRunning(state.clock, false, action.payload.nowMs), action.payload.nowMs);
      },
      prepare: (nowMs?: number) => withNow({}, nowMs),
    },
    /** The server answered a pause or resume: its clock and pause state are the truth. */
    pauseSettled: {
      reducer(state, action: PayloadAction<{ request: PauseRequest; paused: boolean; clock: SessionClock; nowMs: number }>) {
        const { request, paused, clock, nowMs } = action.payload;
        if (state.pauseRequest !== request || state.ended) return;
        state.pauseRequest = null;
        state.paused = paused;
        setClock(state, clock, nowMs);
      },
      prepare: (payload: { request: PauseRequest; paused: boolean; clock: SessionClock }, nowMs?: number) => withNow(payload, nowMs),
    },
    /** A pause or resume did not reach the server: its clock goes on as it was, and the sound stays off. */
    pauseFailed: {
      reducer(state, action: PayloadAction<{ request: PauseRequest; message: string; nowMs: number }>) {
        const { request, message, nowMs } = action.payload;
        if (state.pauseRequest !== request || state.ended) return;
        state.pauseRequest = null;
        state.pauseError = message;
        state.paused = request === "resume";
        if (request === "pause") state.listening = false;
        setClock(state, clockRunning(state.clock, request === "pause", nowMs), nowMs);
      },
      prepare: (payload: { request: PauseRequest; message: string }, nowMs?: number) => withNow(payload, nowMs),
    },
    /** The stored session was read again: its end, and (without a live stream) its pause and clock. */
    sessionRefreshed: {
      reducer(state, action: PayloadAction<{ paused: boolean; clock: SessionClock; endReason: EndReason | null; rated: boolean; nowMs: number }>) {
        const { paused, clock, endReason, rated, nowMs } = action.payload;
        if (endReason) {
          const alreadyEnded = state.ended !== null;
          end(state, endReason === "completed" ? "duration_over" : "ended", nowMs);
          if (!alreadyEnded && rated) state.ratingPrompt = false;
          return;
        }
        if (state.pauseRequest !== null || state.ended || state.connection === "live") return;
        state.paused = paused;
        setClock(state, clock, nowMs);
      },
      prepare: (payload: { paused: boolean; clock: SessionClock; endReason: EndReason | null; rated: boolean }, nowMs?: number) =>
        withNow(payload, nowMs),
    },
    soundChanged(state, action: PayloadAction<SoundState>) {
      state.sound = action.payload;
    },
    clockTicked: {
      reducer(state, action: PayloadAction<{ nowMs: number }>) {
        const { nowMs } = action.payload;
        const total = state.schedule?.total_duration_sec ?? Infinity;
        setClock(state, state.clock, nowMs);
        if (state.schedule) state.beat = advanceBeat(state.schedule, state.beat, state.elapsedSec);
        if (state.clock.running && clockSec(state.clock, nowMs) >= total + RUN_OUT_GRACE_SEC) end(state, "duration_over", nowMs);
      },
      prepare: (nowMs: number = Date.now()) => ({ payload: { nowMs } }),
    },
    frameReceived: {
      reducer(state, action: PayloadAction<{ frame: ModulationUpdate; nowMs: number }>) {
        const { frame, nowMs } = action.payload;
        state.streamId = frame.stream_id;
        state.lastSeq = frame.seq;
        if ((frame.type === "schedule" || frame.type === "refined") && state.schedule) {
          state.schedule = { ...state.schedule, total_duration_sec: frame.total_duration_sec, steps: frame.steps };
        }
        if (frame.type === "refined") state.refinedCount += 1;
        if (frame.type === "end") return end(state, frame.reason ?? "ended", nowMs);
        if (state.pauseRequest !== null || state.ended) return;
        state.paused = frame.paused;
        setClock(state, clockFromFrame(frame, nowMs), nowMs);
      },
      prepare: (frame: ModulationUpdate, nowMs: number = Date.now()) => ({ payload: { frame, nowMs } }),
    },
    /** The listener ended the session here (sent, or kept to send when the server can be reached). */
    endedHere: {
      reducer(state, action: PayloadAction<{ nowMs: number }>) {
        state.listening = false;
        end(state, "ended", action.payload.nowMs);
      },
      prepare: (nowMs?: number) => withNow({}, nowMs),
    },
    ratingPromptClosed(state) {
      state.ratingPrompt = false;
    },
    /** The listener corrected the plan (re-planned from now on): the answer's schedule. */
    scheduleReplaced(state, action: PayloadAction<ModulationSchedule>) {
      if (state.schedule) state.schedule = { ...state.schedule, steps: action.payload.steps, total_duration_sec: action.payload.total_duration_sec };
    },
    /** The beat slider moved: glide from what is heard now to `hz` (bounded for the layer). */
    beatOverridden(state, action: PayloadAction<number>) {
      if (state.schedule) state.beat = overrideBeat(state.schedule, state.beat, action.payload, state.elapsedSec);
    },
    beatFollowsSchedule(state) {
      if (state.schedule) state.beat = followSchedule(state.schedule, state.beat, state.elapsedSec);
    },
    musicChosen(state, action: PayloadAction<LibraryTrack | null>) {
      state.music = action.payload ? musicChoiceOf(action.payload) : null;
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
    /** Arrow keys: a step up or down, never past the cap. */
    volumeStepped(state, action: PayloadAction<1 | -1>) {
      state.volume = clamp(Math.round((state.volume + action.payload * VOLUME_STEP) * 100) / 100, 0, state.volumeCap);
    },
    balanceChanged(state, action: PayloadAction<number>) {
      state.balance = clamp(action.payload, -1, 1);
    },
    layerToggled(state, action: PayloadAction<Layer>) {
      state.layers[action.payload] = !state.layers[action.payload];
    },
    noiseSwitched(state, action: PayloadAction<boolean>) {
      state.noiseOn = action.payload;
    },
    mixChanged(state, action: PayloadAction<{ part: keyof SoundMix; value: number }>) {
      state.mix[action.payload.part] = unit(action.payload.value);
    },
    connectionChanged(state, action: PayloadAction<SessionState["connection"]>) {
      state.connection = action.payload;
    },
  },
  selectors: {
    selectSessionId: (state) => state.sessionId,
    selectSchedule: (state) => state.schedule,
    selectHasSchedule: (state) => state.schedule !== null,
    /** The tempo a track is fitted to (0 before a schedule is loaded). */
    selectSessionBpm: (state) => (state.schedule ? sessionBpm(state.schedule) : 0),
    selectStatus: (state): PlaybackStatus => {
      if (state.ended) return "ended";
      if (state.paused) return "paused";
      if (state.sound === "on") return "playing";
      return state.listening ? "starting" : "idle";
    },
    selectIsPlaying: (state) => state.sound === "on",
    selectSound: (state) => state.sound,
    selectListening: (state) => state.listening,
    selectPaused: (state) => state.paused,
    selectPauseError: (state) => state.pauseError,
    selectEnded: (state) => state.ended,
    selectRatingPrompt: (state) => state.ratingPrompt,
    selectElapsedSec: (state) => state.elapsedSec,
    selectCarrierHz: (state) => state.carrierHz,
    selectVolume: (state) => state.volume,
    selectVolumeCap: (state) => state.volumeCap,
    selectBalance: (state) => state.balance,
    selectLayers: (state) => state.layers,
    selectNoiseOn: (state) => state.noiseOn,
    selectMix: (state) => state.mix,
    selectBeat: (state) => state.beat,
    selectMusic: (state) => state.music,
    selectEntrainMusic: (state) => state.entrainMusic,
    selectConnection: (state) => state.connection,
    selectRefinedCount: (state) => state.refinedCount,
  },
});


export const {
  sessionOpened,
  preferencesApplied,
  localRecordRestored,
  playRequested,
  pauseRequested,
  pauseSettled,
  pauseFailed,
  sessionRefreshed,
  soundChanged,
  clockTicked,
  frameReceived,
  endedHere,
  ratingPromptClosed,
  scheduleReplaced,
  beatOverridden,
  beatFollowsSchedule,
  musicChosen,
  entrainMusicChanged,
  carrierChanged,
  volumeChanged,
  volumeStepped,
  balanceChanged,
  layerToggled,
  noiseSwitched,
  mixChanged,
  connectionChanged,
} = sessionSlice.actions;

export const {
  selectSessionId,
  selectSchedule,
  selectHasSchedule,
  selectSessionBpm,
  selectStatus,
  selectIsPlaying,
  selectSound,
  selectListening,
  selectPaused,
  selectPauseError,
  selectEnded,
  selectRatingPrompt,
  selectElapsedSec,
  selectCarrierHz,
  selectVolume,
  selectVolumeCap,
  selectBalance,
  selectLayers,
  selectNoiseOn,
  selectMix,
  selectBeat,
  selectMusic,
  selectEntrainMusic,
  selectConnection,
  selectRefinedCount,
} = sessionSlice.selectors;

export default sessionSlice.reducer;
