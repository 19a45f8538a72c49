import { useCallback, useEffect, useMemo, useRef } from "react";

import type { MusicOptions, SoundEngine } from "@/lib/audio";
import { heardBeatHz } from "@/lib/beatOverride";
import { beatOffsetSec } from "@/lib/library";
import type { LibraryTrack } from "@/lib/types";
import { useAppDispatch, useAppStore } from "@/stores/store";
import { loadAudio, preloadAudio } from "./audioHandoff";
import { countChime, publishDiagnostics } from "./diagnostics";
import { applyBeat, applyControlChanges, startOptions } from "./engineControls";
import { clockSec } from "./sessionClock";
import { musicChosen, soundChanged } from "./sessionSlice";
import { wantsSound, type SessionState } from "./sessionState";

/** A session that runs its course fades out over this long (then the chime, if wanted). */
export const RUN_OUT_FADE_SEC = 8;
/** Starting longer than this means the browser waits for a tap before it lets sound out. */
const BLOCKED_AFTER_MS = 800;
/** The engine is put back on the session's clock when they drift this far apart. */
const RESYNC_SEC = 1;

/** What the session page does with the sound itself; playing and pausing follow the slice. */
export interface SoundControls {
  /** A library track was downloaded and decoded: play it under the session (now and after Play). */
  playTrack: (track: LibraryTrack, buffer: AudioBuffer) => void;
  removeTrack: () => void;
  /** The next time the sound stops, fade out over `fadeOutSec` (the sleep timer's long fade). */
  fadeNextStop: (fadeOutSec: number) => void;
  /** The spectrum after the volume cap, for the visualiser; null when stopped. */
  readSpectrum: () => Float32Array | null;
}

const positionNow = (state: SessionState): number => clockSec(state.clock, Date.now());

/**
 * Makes this page's sound follow the session slice: when the slice wants sound (listening here,
 * not paused, not ended) it builds a `SoundEngine` and starts it where the session's clock is;
 * when it does not, it fades the engine out and lets it go (a pause resumes at the same position,
 * since the clock stood still). It keeps the engine on the controls, on refined or corrected
 * schedules and on the clock after sleep or a remote pause; a session that runs its course fades
 * out, then chimes if `wakeChime`. Everything goes when the page does. It reads the store directly
 * rather than selecting from it, so nothing here re-renders the page.
 */
export function useSoundEngine(wakeChime: boolean): SoundControls {
  const dispatch = useAppDispatch();
  const store = useAppStore();
  const engine = useRef<SoundEngine | null>(null);
  /** The decoded library track, kept across pause/play (each play builds a new engine). */
  const music = useRef<{ buffer: AudioBuffer; options: MusicOptions } | null>(null);
  const uninstallLifecycle = useRef<(() => void) | null>(null);
  const fadeOverride = useRef<number | null>(null);
  const chime = useRef(wakeChime);

  useEffect(() => {
    chime.current = wakeChime;
  }, [wakeChime]);

  useEffect(() => {
    let mounted = true;
    let starting: SoundEngine | null = null;
    let blocked: ReturnType<typeof setTimeout> | undefined;
    let last = store.getState().session;

    const start = async (): Promise<void> => {
      dispatch(soundChanged("starting"));
      const audio = await loadAudio();
      if (!mounted || !wantsSound(store.getState().session) || starting || engine.current) return;
      // Until the context runs, any tap on the page lets it (the Play button does too).
      const unlockOnTap = (): void => void audio.resumeLiveContext();
      window.addEventListener("pointerdown", unlockOnTap);
      window.addEventListener("keydown", unlockOnTap);
      if (!audio.liveContextRunning()) blocked = setTimeout(() => dispatch(soundChanged("blocked")), BLOCKED_AFTER_MS);
      const state = store.getState().session;
      const schedule = state.schedule!;
      const sound = new audio.SoundEngine();
      starting = sound;
      const atSec = positionNow(state);
      // A beat set by hand resumes where it is heard now (the start fades in from silence).
      if (state.beat.mode !== "schedule") sound.setBeatOverride(heardBeatHz(schedule, state.beat, atSec));
      if (music.current) sound.setMusicBuffer(music.current.buffer, music.current.options);
      await sound.start(schedule, startOptions(state, atSec));
      window.removeEventListener("pointerdown", unlockOnTap);
      window.removeEventListener("keydown", unlockOnTap);
      if (starting !== sound) return; // stopped (and disposed) while the context was starting
      clearTimeout(blocked);
      starting = null;
      const now = store.getState().session;
      if (!mounted || !wantsSound(now)) return sound.dispose();
      applyBeat(sound, now.beat);
      // The context may have waited for a tap: start from where the clock is by now.
      if (Math.abs(positionNow(now) - atSec) > RESYNC_SEC) sound.replaceSchedule(now.schedule!, positionNow(now));
      engine.current = sound;
      uninstallLifecycle.current = audio.installLifecycleHandlers(sound);
      dispatch(soundChanged("on"));
    };

    const stop = (state: SessionState): void => {
      const ranOut = state.ended === "duration_over";
      const fadeOutSec = fadeOverride.current ?? (ranOut ? RUN_OUT_FADE_SEC : undefined);
      fadeOverride.current = null;
      clearTimeout(blocked);
      starting?.dispose();
      starting = null;
      uninstallLifecycle.current?.();
      uninstallLifecycle.current = null;
      const sound = engine.current;
      engine.current = null;
      dispatch(soundChanged("off"));
      if (!sound) return;
      void sound.stop(fadeOutSec).then(async () => {
        if (!ranOut || !chime.current || !mounted) return;
        const audio = await loadAudio();
        countChime();
        await audio.playWakeChime(state.volume);
      });
    };

    const follow = (): void => {
      const next = store.getState().session;
      const sound = engine.current;
      if (sound && next !== last) {
        applyControlChanges(sound, last, next);
        const position = positionNow(next);
        if (next.schedule && next.schedule !== last.schedule) sound.replaceSchedule(next.schedule, position);
        else if (next.schedule && next.clock !== last.clock && Math.abs((sound.positionSec() ?? position) - position) > RESYNC_SEC) {
          sound.replaceSchedule(next.schedule, position);
        }
      }
      if (next.schedule && next.schedule !== last.schedule) publishDiagnostics(next.schedule, () => engine.current);
      last = next;
      const want = wantsSound(next);
      if (want && !engine.current && !starting && next.sound === "off") void start();
      if (!want && (engine.current || starting || next.sound !== "off")) stop(next);
    };

    // After the device sleeps the audio clock has stood still while the session's went on.
    const resync = (): void => {
      const state = store.getState().session;
      if (document.visibilityState === "visible" && state.schedule) engine.current?.replaceSchedule(state.schedule, positionNow(state));
    };

    if (last.schedule) publishDiagnostics(last.schedule, () => engine.current);
    const cancelPreload = preloadAudio(); // so that Play finds the engine ready
    follow();
    const unsubscribe = store.subscribe(follow);
    document.addEventListener("visibilitychange", resync);
    return () => {
      mounted = false;
      cancelPreload();
      unsubscribe();
      clearTimeout(blocked);
      document.removeEventListener("visibilitychange", resync);
      // Every Tone node and handler goes when the page does (spec §5.2).
      uninstallLifecycle.current?.();
      uninstallLifecycle.current = null;
      starting?.dispose();
      engine.current?.dispose();
      engine.current = null;
      dispatch(soundChanged("off"));
    };
  }, [store, dispatch]);

  const playTrack = useCallback(
    (track: LibraryTrack, buffer: AudioBuffer) => {
      const firstBeatSec = beatOffsetSec(track);
      const options: MusicOptions = { trackBpm: track.bpm ?? undefined, firstBeatSec, lockToBeat: firstBeatSec !== undefined };
      music.current = { buffer, options };
      engine.current?.setMusicBuffer(buffer, options);
      dispatch(musicChosen(track));
    },
    [dispatch],
  );

  const removeTrack = useCallback(() => {
    music.current = null;
    engine.current?.setMusicBuffer(null);
    dispatch(musicChosen(null));
  }, [dispatch]);

  const fadeNextStop = useCallback((fadeOutSec: number) => {
    fadeOverride.current = fadeOutSec;
  }, []);

  const readSpectrum = useCallback(() => engine.current?.spectrum() ?? null, []);

  return useMemo(() => ({ playTrack, removeTrack, fadeNextStop, readSpectrum }), [playTrack, removeTrack, fadeNextStop, readSpectrum]);
}
