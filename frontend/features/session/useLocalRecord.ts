import { useEffect } from "react";

import { useAppStore } from "@/stores/store";
import { forgetLocalRecord, writeLocalRecord, type LocalRecord } from "./localRecord";
import type { SessionState } from "./sessionState";

const WRITE_DELAY_MS = 300;

/** What a reload restores, read from the slice. */
function recordOf(state: SessionState, nowMs: number): LocalRecord {
  return {
    v: 1,
    savedAtMs: nowMs,
    listening: state.listening,
    beat: state.beat,
    volume: state.volume,
    carrierHz: state.carrierHz,
    balance: state.balance,
    layers: state.layers,
    noiseOn: state.noiseOn,
    mix: state.mix,
    entrainMusic: state.entrainMusic,
    track: state.music?.track ?? null,
  };
}

const changed = (a: SessionState, b: SessionState): boolean =>
  a.listening !== b.listening ||
  a.beat !== b.beat ||
  a.volume !== b.volume ||
  a.carrierHz !== b.carrierHz ||
  a.balance !== b.balance ||
  a.layers !== b.layers ||
  a.noiseOn !== b.noiseOn ||
  a.mix !== b.mix ||
  a.entrainMusic !== b.entrainMusic ||
  a.music !== b.music;

/**
 * Keeps this device's record of the open session (see `localRecord`) up to date while it plays,
 * a moment after each change, and forgets it once the session has ended.
 */
export function useLocalRecord(): void {
  const store = useAppStore();
  useEffect(() => {
    let last = store.getState().session;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const write = (): void => {
      timer = undefined;
      const state = store.getState().session;
      if (state.sessionId === null) return;
      if (state.ended) forgetLocalRecord(state.sessionId);
      else writeLocalRecord(state.sessionId, recordOf(state, Date.now()));
    };
    const flush = (): void => {
      if (timer === undefined) return;
      clearTimeout(timer);
      write();
    };
    const unsubscribe = store.subscribe(() => {
      const next = store.getState().session;
      const relevant = next.sessionId === last.sessionId && (changed(last, next) || next.ended !== last.ended);
      last = next;
      if (relevant && timer === undefined) timer = setTimeout(write, WRITE_DELAY_MS);
    });
    // A change just before a reload or the page going still counts.
    window.addEventListener("pagehide", flush);
    return () => {
      unsubscribe();
      window.removeEventListener("pagehide", flush);
      flush();
    };
  }, [store]);
}
