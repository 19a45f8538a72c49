/**
 * The session slice's state: the session on the server as far as this page knows it, this
 * device's listening and sound, and what the listener set. The reducers are in `sessionSlice`.
 */
import { DEFAULT_CARRIER_HZ, DEFAULT_VOLUME_CAP } from "@/lib/audio/levels";
import type { BeatControl } from "@/lib/beatOverride";
import type { Layer, LibraryTrack, ModulationSchedule } from "@/lib/types";
import type { SoundMix } from "./localRecord";
import { stoppedClock, type SessionClock } from "./sessionClock";

/** What the page shows: the session ended, is paused, plays here, is starting here, or runs unheard. */
export type PlaybackStatus = "idle" | "starting" | "playing" | "paused" | "ended";
/** This device's engine: silent, starting (waiting for the audio context), or sounding. */
export type SoundState = "off" | "starting" | "blocked" | "on";
/** How the session ended: by someone (here or on another device), or its schedule ran out. */
export type EndedHow = "ended" | "duration_over";
export type PauseRequest = "pause" | "resume";

/** The library track playing under the session (its decoded audio lives with the engine). */
export interface MusicChoice {
  trackId: number;
  filename: string;
  bpm: number | null;
  keySignature: string | null;
  track: LibraryTrack;
}

export interface SessionState {
  sessionId: number | null;
  schedule: ModulationSchedule | null;
  /** This device wants to hear the session (Play here, Start's hand-off, or a reload of a playing page). */
  listening: boolean;
  sound: SoundState;
  /** The session's pause on the server; set at once by a request here and settled by its answer. */
  paused: boolean;
  /** A pause or resume in flight: frames do not overwrite `paused` until it is answered. */
  pauseRequest: PauseRequest | null;
  pauseError: string | null;
  clock: SessionClock;
  /** The session's clock as last ticked (seconds listened), for what shows the time. */
  elapsedSec: number;
  ended: EndedHow | null;
  /** Ask for a rating: the schedule ran out while this page was open. */
  ratingPrompt: boolean;
  carrierHz: number;
  /** The master level, never above `volumeCap` (the calibrated hard cap). */
  volume: number;
  volumeCap: number;
  balance: number;
  layers: Record<Layer, boolean>;
  noiseOn: boolean;
  mix: SoundMix;
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
  /** The listener's preferences were applied to this session (later changes only move the cap). */
  preferencesApplied: boolean;
}

/** The listener's saved preferences, as the session starts from them. */
export interface SessionPreferences {
  carrierHz: number;
  volumeCap: number;
  balance: number;
  mix: SoundMix;
  noiseOn: boolean;
}

/** A session whose clock ran this far past its end without an `end` frame ended all the same. */
export const RUN_OUT_GRACE_SEC = 3;
/** Arrow keys move the volume by this much. */
export const VOLUME_STEP = 0.05;

export const initialSessionState: SessionState = {
  sessionId: null,
  schedule: null,
  listening: false,
  sound: "off",
  paused: false,
  pauseRequest: null,
  pauseError: null,
  clock: stoppedClock(),
  elapsedSec: 0,
  ended: null,
  ratingPrompt: false,
  carrierHz: DEFAULT_CARRIER_HZ,
  volume: DEFAULT_VOLUME_CAP,
  volumeCap: DEFAULT_VOLUME_CAP,
  balance: 0,
  layers: { binaural: true, isochronic: true, ambient: true },
  noiseOn: true,
  mix: { tone: 1, noise: 1, music: 1 },
  beat: { mode: "schedule" },
  music: null,
  entrainMusic: false,
  streamId: null,
  lastSeq: null,
  connection: "offline",
  refinedCount: 0,
  preferencesApplied: false,
};

/** The slice says this device should make sound now: listening here, not paused, not ended. */
export const wantsSound = (state: SessionState): boolean =>
  state.listening && !state.paused && state.ended === null && state.schedule !== null;

export function musicChoiceOf(track: LibraryTrack): MusicChoice {
  return { trackId: track.id, filename: track.filename, bpm: track.bpm, keySignature: track.key_signature, track };
}
