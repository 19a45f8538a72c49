import { useCallback, useEffect, useMemo, useRef } from "react";

import { SLEEP_FADE_SEC } from "@/components/SleepTimer";
import type { MusicInfo, MusicOptions, SoundEngine } from "@/lib/audio";
import { heardBeatHz } from "@/lib/beatOverride";
import { beatOffsetSec } from "@/lib/library";
import type { LibraryTrack, ModulationSchedule, SessionRecord } from "@/lib/types";
import { useAppDispatch, useAppStore } from "@/stores/store";
import { applyBeat, applyControlChanges, startOptions } from "./engineControls";
import { musicChosen, statusChanged } from "./sessionSlice";
import { secondsSince } from "./useSessionSync";

declare global {
  interface Window {
    /** Diagnostics for the e2e tests: the schedule, the offline renderer and the live engine. */
    neurotune?: {
      schedule: ModulationSchedule;
      renderOffline: (typeof import("@/lib/audio"))["renderOffline"];
      /** The audio modules themselves, to build an engine of one's own (the disposal test). */
      loadAudio: () => Promise<typeof import("@/lib/audio")>;
      /** What the live engine plays now, and the nodes it owns; null while it is stopped. */
      engine: () => { beatHz: number | null; music: MusicInfo | null; ownedNodes: () => readonly { disposed: boolean }[] } | null;
    };
  }
}

// Tone.js is loaded when sound is first needed, so the page itself stays light.
const loadAudio = () => import("@/lib/audio");
const renderOfflineLazily: NonNullable<Window["neurotune"]>["renderOffline"] = async (...args) =>
  (await loadAudio()).renderOffline(...args);

/** What the session page can do with the sound. Every function is stable across renders. */
export interface SoundControls {
  /** Builds an engine and starts it where the session is now (call from a gesture). */
  play: () => Promise<void>;
  /** Fades out (≥ 2 s) and lets the engine go; the session goes on, paused. */
  pause: () => void;
  /** The sleep timer ran out: a long, gentle fade, then paused. */
  fadeToSleep: () => void;
  /** Fades out (≥ 2 s, or `fadeOutSec`) and lets the engine go, the status unchanged. */
  silence: (fadeOutSec?: number) => void;
  /** Glides onto a refined schedule from `elapsedSec`. */
  followRefined: (schedule: ModulationSchedule, elapsedSec: number) => void;
  /** A library track was downloaded and decoded: play it under the session (now and after Play). */
  playTrack: (track: LibraryTrack, buffer: AudioBuffer) => void;
  removeTrack: () => void;
  /** The spectrum after the volume cap, for the visualiser; null when stopped. */
  readSpectrum: () => Float32Array | null;
}

/**
 * Owns the sound of one session page: creates a `SoundEngine` on Play (each Play a new one),
 * starts it with the slice's controls where the session is now, keeps it following the controls
 * and the wall clock, lets it go on pause, and disposes of it (and its lifecycle handlers) when
 * the page goes. It reads the store directly rather than selecting from it, so nothing here
 * re-renders the page.
 */
export function useSoundEngine(session: SessionRecord | undefined): SoundControls {
  const dispatch = useAppDispatch();
  const store = useAppStore();
  const engine = useRef<SoundEngine | null>(null);
  /** The decoded library track, kept across pause/play (each Play builds a new engine). */
  const music = useRef<{ buffer: AudioBuffer; options: MusicOptions } | null>(null);
  const uninstallLifecycle = useRef<(() => void) | null>(null);
  const mounted = useRef(true);
  const startedAt = session?.started_at;

  const silence = useCallback((fadeOutSec?: number) => {
    uninstallLifecycle.current?.();
    uninstallLifecycle.current = null;
    void engine.current?.stop(fadeOutSec);
    engine.current = null;
  }, []);

  // Every Tone node and handler goes when the page does (spec §5.2).
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
      uninstallLifecycle.current?.();
      uninstallLifecycle.current = null;
      engine.current?.dispose();
      engine.current = null;
    };
  }, []);

  // The controls while playing, and the diagnostics' schedule: straight from the store.
  useEffect(() => {
    const publish = (schedule: ModulationSchedule | null): void => {
      if (!schedule) return;
      window.neurotune = {
        schedule,
        renderOffline: renderOfflineLazily,
        loadAudio,
        engine: () => {
          const sound = engine.current;
          return sound ? { beatHz: sound.beatHzNow(), music: sound.musicInfo(), ownedNodes: () => sound.ownedNodes() } : null;
        },
      };
    };
    let last = store.getState().session;
    publish(last.schedule);
    return store.subscribe(() => {
      const next = store.getState().session;
      if (next === last) return;
      if (engine.current) applyControlChanges(engine.current, last, next);
      if (next.schedule !== last.schedule) publish(next.schedule);
      last = next;
    });
  }, [store]);

  // After the device sleeps the audio clock has stood still while the session's time went on:
  // put the engine back where the session is now.
  useEffect(() => {
    if (!startedAt) return;
    const resync = () => {
      const schedule = store.getState().session.schedule;
      if (document.visibilityState === "visible" && schedule) engine.current?.replaceSchedule(schedule, secondsSince(startedAt));
    };
    document.addEventListener("visibilitychange", resync);
    return () => document.removeEventListener("visibilitychange", resync);
  }, [startedAt, store]);

  const play = useCallback(async () => {
    const state = store.getState().session;
    const schedule = state.schedule;
    if (!schedule || !startedAt) return;
    const { SoundEngine, installLifecycleHandlers } = await loadAudio();
    if (!mounted.current) return;
    // A second Play before the first has finished starting replaces it rather than leaking it.
    uninstallLifecycle.current?.();
    engine.current?.dispose();
    const sound = new SoundEngine();
    engine.current = sound;
    const atSec = secondsSince(startedAt);
    // A beat set by hand resumes where it is heard now (the start fades in from silence).
    if (state.beat.mode !== "schedule") sound.setBeatOverride(heardBeatHz(schedule, state.beat, atSec));
    if (music.current) sound.setMusicBuffer(music.current.buffer, music.current.options);
    await sound.start(schedule, startOptions(state, atSec));
    if (sound.disposed) return;
    applyBeat(sound, state.beat);
    uninstallLifecycle.current = installLifecycleHandlers(sound, { title: schedule.intent });
    dispatch(statusChanged("playing"));
  }, [store, startedAt, dispatch]);

  const followRefined = useCallback((schedule: ModulationSchedule, elapsedSec: number) => {
    engine.current?.replaceSchedule(schedule, elapsedSec);
  }, []);

  const playTrack = useCallback(
    (track: LibraryTrack, buffer: AudioBuffer) => {
      const firstBeatSec = beatOffsetSec(track);
      const options: MusicOptions = { trackBpm: track.bpm ?? undefined, firstBeatSec, lockToBeat: firstBeatSec !== undefined };
      music.current = { buffer, options };
      engine.current?.setMusicBuffer(buffer, options);
      dispatch(musicChosen({ trackId: track.id, filename: track.filename, bpm: track.bpm, keySignature: track.key_signature }));
    },
    [dispatch],
  );

  const removeTrack = useCallback(() => {
    music.current = null;
    engine.current?.setMusicBuffer(null);
    dispatch(musicChosen(null));
  }, [dispatch]);

  const pause = useCallback(() => {
    silence();
    dispatch(statusChanged("paused"));
  }, [silence, dispatch]);

  const fadeToSleep = useCallback(() => {
    silence(SLEEP_FADE_SEC);
    dispatch(statusChanged("paused"));
  }, [silence, dispatch]);

  const readSpectrum = useCallback(() => engine.current?.spectrum() ?? null, []);

  return useMemo(
    () => ({ play, pause, fadeToSleep, silence, followRefined, playTrack, removeTrack, readSpectrum }),
    [play, pause, fadeToSleep, silence, followRefined, playTrack, removeTrack, readSpectrum],
  );
}
