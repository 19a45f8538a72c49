/**
 * What the listener set in one session, kept on this device so that a reload resumes it as it was:
 * the beat by hand, volume, carrier, balance, layers, mix, the music track and whether this
 * device was listening. The server's pause state always wins over anything kept here. Records are
 * small (one key per session) and forgotten two days after their last write.
 */
import type { BeatControl } from "@/lib/beatOverride";
import type { Layer, LibraryTrack } from "@/lib/types";

export interface SoundMix {
  /** Beats and pulses, 0..1 under the hard cap. */
  tone: number;
  /** The noise bed, 0..1 under the hard cap. */
  noise: number;
  /** The listener's music, 0..1 under the hard cap. */
  music: number;
}

export interface LocalRecord {
  v: 1;
  savedAtMs: number;
  /** This device was playing the session (Start's hand-off, or Play pressed here). */
  listening: boolean;
  beat: BeatControl;
  volume: number;
  carrierHz: number;
  balance: number;
  layers: Record<Layer, boolean>;
  noiseOn: boolean;
  mix: SoundMix;
  entrainMusic: boolean;
  /** The library track under the session, to download again after a reload. */
  track: LibraryTrack | null;
}

const PREFIX = "neurotune.session.";
const KEEP_MS = 2 * 24 * 3600 * 1000;

const keyOf = (sessionId: number): string => `${PREFIX}${sessionId}`;

function browserStorage(): Storage | null {
  try {
    return typeof window === "undefined" ? null : window.localStorage;
  } catch {
    return null; // storage disabled: nothing is kept, nothing breaks
  }
}

export function readLocalRecord(sessionId: number, storage: Storage | null = browserStorage()): LocalRecord | null {
  try {
    const value: unknown = JSON.parse(storage?.getItem(keyOf(sessionId)) ?? "null");
    const record = value as Partial<LocalRecord> | null;
    if (!record || record.v !== 1 || typeof record.listening !== "boolean" || !record.beat || !record.layers || !record.mix) return null;
    return record as LocalRecord;
  } catch {
    return null;
  }
}

/** Keeps `record` for `sessionId` and forgets records nobody wrote for two days. */
export function writeLocalRecord(sessionId: number, record: LocalRecord, storage: Storage | null = browserStorage()): void {
  if (!storage) return;
  try {
    storage.setItem(keyOf(sessionId), JSON.stringify(record));
    for (let i = storage.length - 1; i >= 0; i -= 1) {
      const key = storage.key(i);
      if (!key?.startsWith(PREFIX) || key === keyOf(sessionId)) continue;
      const savedAtMs = (JSON.parse(storage.getItem(key) ?? "null") as Partial<LocalRecord> | null)?.savedAtMs ?? 0;
      if (record.savedAtMs - savedAtMs > KEEP_MS) storage.removeItem(key);
    }
  } catch {
    return; // full or disabled storage: a reload then starts from the preferences
  }
}

export function forgetLocalRecord(sessionId: number, storage: Storage | null = browserStorage()): void {
  try {
    storage?.removeItem(keyOf(sessionId));
  } catch {
    return;
  }
}
