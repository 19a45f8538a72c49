"use client";

import { useRouter, useSearchParams } from "next/navigation";
import { Suspense, useCallback, useEffect, useRef, useState } from "react";

import ErrorAlert from "@/components/ErrorAlert";
import AudioVisualizer from "@/components/AudioVisualizer";
import EvidenceNote from "@/components/EvidenceNote";
import FeedbackModal from "@/components/FeedbackModal";
import MusicPanel from "@/components/MusicPanel";
import PlayerControls from "@/components/PlayerControls";
import ScheduleChart from "@/components/ScheduleChart";
import SessionTimer from "@/components/SessionTimer";
import SleepTimer, { SLEEP_FADE_SEC } from "@/components/SleepTimer";
import { errorMessage, loadToken, useEndSessionMutation, useMeQuery, useSessionQuery } from "@/lib/api";
import { heardBeatHz } from "@/lib/beatOverride";
import { beatOffsetSec } from "@/lib/library";
import type { MusicInfo, MusicOptions, SoundEngine } from "@/lib/audio";
import { sessionBpm } from "@/lib/tempoMatch";
import type { LibraryTrack, ModulationSchedule } from "@/lib/types";
import { SessionStreamClient } from "@/lib/wsClient";
import {
  clockTicked,
  connectionChanged,
  entrainMusicChanged,
  frameReceived,
  musicChosen,
  preferencesApplied,
  sessionLoaded,
  statusChanged,
} from "@/stores/sessionSlice";
import { useAppDispatch, useAppSelector } from "@/stores/store";

declare global {
  interface Window {
    /** Diagnostics: render the current schedule offline (used by the sound check and the e2e tests). */
    neurotune?: {
      schedule: ModulationSchedule;
      renderOffline: (typeof import("@/lib/audio"))["renderOffline"];
      /** What the live engine plays now; null while it is stopped. */
      engine: () => { beatHz: number | null; music: MusicInfo | null } | null;
    };
  }
}

const secondsSince = (iso: string): number => (Date.now() - Date.parse(iso)) / 1000;

// Tone.js is loaded when sound is first needed, so the page itself stays light.
const loadSynth = () => import("@/lib/audio");
const renderOfflineLazily: NonNullable<Window["neurotune"]>["renderOffline"] = async (...args) =>
  (await loadSynth()).renderOffline(...args);

function SessionView({ id }: { id: number }) {
  const dispatch = useAppDispatch();
  const router = useRouter();
  const state = useAppSelector((root) => root.session);
  const { data: session, error: loadError } = useSessionQuery(id);
  const { data: me } = useMeQuery();
  const [endSession, { isLoading: ending, error: endError }] = useEndSessionMutation();
  const [feedbackOpen, setFeedbackOpen] = useState(false);
  const engine = useRef<SoundEngine | null>(null);
  /** The decoded library track, kept across pause/play (each Play builds a new engine). */
  const music = useRef<{ buffer: AudioBuffer; options: MusicOptions } | null>(null);
  const uninstallLifecycle = useRef<(() => void) | null>(null);
  const startedAt = session?.started_at;

  const silence = useCallback((fadeOutSec?: number) => {
    uninstallLifecycle.current?.();
    uninstallLifecycle.current = null;
    void engine.current?.stop(fadeOutSec);
    engine.current = null;
  }, []);

  useEffect(() => {
    if (session) dispatch(sessionLoaded({ sessionId: session.id, schedule: session.schedule, elapsedSec: secondsSince(session.started_at) }));
  }, [session, dispatch]);

  useEffect(() => {
    if (me) dispatch(preferencesApplied({ carrierHz: me.preferences.carrier_hz, volumeCap: me.preferences.volume_max }));
  }, [me, dispatch]);

  useEffect(() => {
    if (!startedAt) return;
    const timer = setInterval(() => dispatch(clockTicked(secondsSince(startedAt))), 1000);
    return () => clearInterval(timer);
  }, [startedAt, dispatch]);

  // The live stream: refined steps and the end arrive here.
  useEffect(() => {
    const token = loadToken();
    if (!session || session.ended_at || !token) return;
    const client = new SessionStreamClient(session.id, token, {
      onFrame: (frame) => {
        dispatch(frameReceived(frame));
        if (frame.type === "refined") {
          engine.current?.replaceSchedule({ ...session.schedule, steps: frame.steps }, frame.elapsed_sec);
        }
        if (frame.type === "end") silence();
      },
      onStatus: (status) => dispatch(connectionChanged(status)),
    });
    client.open();
    return () => client.close();
  }, [session, dispatch, silence]);

  useEffect(() => {
    if (!state.schedule) return;
    window.neurotune = {
      schedule: state.schedule,
      renderOffline: renderOfflineLazily,
      engine: () => (engine.current ? { beatHz: engine.current.beatHzNow(), music: engine.current.musicInfo() } : null),
    };
  }, [state.schedule]);

  // After the device sleeps the audio clock has stood still while the session's time went on:
  // put the engine back where the session is now.
  const schedule = state.schedule;
  useEffect(() => {
    if (!startedAt || !schedule) return;
    const resync = () => {
      if (document.visibilityState === "visible") engine.current?.replaceSchedule(schedule, secondsSince(startedAt));
    };
    document.addEventListener("visibilitychange", resync);
    return () => document.removeEventListener("visibilitychange", resync);
  }, [schedule, startedAt]);

  // Settings follow the controls while playing.
  useEffect(() => engine.current?.setCarrier(state.carrierHz), [state.carrierHz]);
  useEffect(() => engine.current?.setVolumeCap(state.volume), [state.volume]);
  useEffect(() => engine.current?.setBalance(state.balance), [state.balance]);
  useEffect(() => engine.current?.setMusicEntrainment(state.entrainMusic), [state.entrainMusic]);
  // The beat slider: the engine glides to a manual beat, or back to the schedule, at ≤ 0.2 Hz/s.
  const beat = state.beat;
  useEffect(() => {
    if (beat.mode === "manual") engine.current?.setBeatOverride(beat.targetHz);
    if (beat.mode === "rejoin") engine.current?.setBeatOverride(null);
  }, [beat]);
  const layers = state.layers;
  useEffect(() => {
    for (const layer of ["binaural", "isochronic", "ambient"] as const) engine.current?.setLayerEnabled(layer, layers[layer]);
  }, [layers]);

  // Every Tone node and handler goes when the page does (spec §5.2).
  useEffect(
    () => () => {
      uninstallLifecycle.current?.();
      engine.current?.dispose();
    },
    [],
  );

  const play = useCallback(async () => {
    if (!state.schedule || !startedAt) return;
    const { SoundEngine, installLifecycleHandlers } = await loadSynth();
    const sound = new SoundEngine();
    engine.current = sound;
    const atSec = secondsSince(startedAt);
    // A beat set by hand resumes where it is heard now (the start fades in from silence).
    if (state.beat.mode !== "schedule") sound.setBeatOverride(heardBeatHz(state.schedule, state.beat, atSec));
    if (music.current) sound.setMusicBuffer(music.current.buffer, music.current.options);
    await sound.start(state.schedule, {
      atSec,
      carrierHz: state.carrierHz,
      volumeCap: state.volume,
      balance: state.balance,
      layers: state.layers,
      entrainMusic: state.entrainMusic,
    });
    if (state.beat.mode === "manual") sound.setBeatOverride(state.beat.targetHz);
    if (state.beat.mode === "rejoin") sound.setBeatOverride(null);
    uninstallLifecycle.current = installLifecycleHandlers(sound, { title: state.schedule.intent });
    dispatch(statusChanged("playing"));
  }, [state.schedule, state.carrierHz, state.volume, state.balance, state.layers, state.entrainMusic, state.beat, startedAt, dispatch]);

  const musicLoaded = useCallback(
    (track: LibraryTrack, buffer: AudioBuffer) => {
      const firstBeatSec = beatOffsetSec(track);
      const options: MusicOptions = { trackBpm: track.bpm ?? undefined, firstBeatSec, lockToBeat: firstBeatSec !== undefined };
      music.current = { buffer, options };
      engine.current?.setMusicBuffer(buffer, options);
      dispatch(musicChosen({ trackId: track.id, filename: track.filename, bpm: track.bpm, keySignature: track.key_signature }));
    },
    [dispatch],
  );

  const musicRemoved = useCallback(() => {
    music.current = null;
    engine.current?.setMusicBuffer(null);
    dispatch(musicChosen(null));
  }, [dispatch]);

  const entrainChanged = useCallback((on: boolean) => dispatch(entrainMusicChanged(on)), [dispatch]);

  const pause = useCallback(() => {
    silence();
    dispatch(statusChanged("paused"));
  }, [silence, dispatch]);

  const fallAsleep = useCallback(() => {
    silence(SLEEP_FADE_SEC);
    dispatch(statusChanged("paused"));
  }, [silence, dispatch]);

  const readSpectrum = useCallback(() => engine.current?.spectrum() ?? null, []);

  async function finish(rating: number | undefined, note: string) {
    const result = await endSession({ id, rating, feedback_note: note.trim() || undefined });
    if ("data" in result && result.data) {
      silence();
      router.push("/history/");
    }
  }

  if (loadError) return <ErrorAlert error={loadError} />;
  if (!session || !state.schedule || state.sessionId !== id) return <p className="muted">Loading session…</p>;

  return (
    <>
      <section className="panel" aria-labelledby="session-heading">
        <h1 id="session-heading">{session.intent}</h1>
        <SessionTimer elapsedSec={state.elapsedSec} totalSec={state.schedule.total_duration_sec} />
        <ScheduleChart schedule={state.schedule} positionSec={state.elapsedSec} />
        <AudioVisualizer readSpectrum={state.status === "playing" ? readSpectrum : null} reducedMotion={me?.preferences.reduced_motion ?? false} />
        {session.ended_at ? (
          <p className="muted">This session has ended{session.rating ? ` — you rated it ${session.rating}/5` : ""}.</p>
        ) : (
          <button className="secondary" type="button" onClick={() => setFeedbackOpen(true)}>
            End session
          </button>
        )}
      </section>
      {session.ended_at ? null : (
        <>
          <PlayerControls state={state} onPlay={play} onPause={pause} />
          <MusicPanel
            targetBpm={sessionBpm(state.schedule)}
            music={state.music}
            entrain={state.entrainMusic}
            playing={state.status === "playing"}
            onLoaded={musicLoaded}
            onRemove={musicRemoved}
            onEntrainChange={entrainChanged}
          />
          <section className="panel">
            <SleepTimer active={state.status === "playing"} onExpire={fallAsleep} />
          </section>
        </>
      )}
      <FeedbackModal
        open={feedbackOpen}
        busy={ending}
        error={endError ? errorMessage(endError) : null}
        onSubmit={finish}
        onCancel={() => setFeedbackOpen(false)}
      />
      <EvidenceNote />
    </>
  );
}

function SessionFromQuery() {
  const id = Number(useSearchParams().get("id"));
  if (!Number.isInteger(id) || id < 1) return <p className="error">No session chosen.</p>;
  return <SessionView id={id} />;
}

export default function SessionPage() {
  return (
    <Suspense fallback={<p className="muted">Loading…</p>}>
      <SessionFromQuery />
    </Suspense>
  );
}
