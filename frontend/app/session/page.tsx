"use client";

import { useRouter, useSearchParams } from "next/navigation";
import { Suspense, useCallback, useEffect, useRef, useState } from "react";

import ErrorAlert from "@/components/ErrorAlert";
import AudioVisualizer from "@/components/AudioVisualizer";
import EvidenceNote from "@/components/EvidenceNote";
import FeedbackModal from "@/components/FeedbackModal";
import PlayerControls from "@/components/PlayerControls";
import ScheduleChart from "@/components/ScheduleChart";
import SessionTimer from "@/components/SessionTimer";
import SleepTimer, { SLEEP_FADE_SEC } from "@/components/SleepTimer";
import { errorMessage, loadToken, useEndSessionMutation, useMeQuery, useSessionQuery } from "@/lib/api";
import type { SoundEngine } from "@/lib/synth";
import type { ModulationSchedule } from "@/lib/types";
import { SessionStreamClient } from "@/lib/wsClient";
import {
  clockTicked,
  connectionChanged,
  frameReceived,
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
      renderOffline: (typeof import("@/lib/synth"))["renderOffline"];
    };
  }
}

const secondsSince = (iso: string): number => (Date.now() - Date.parse(iso)) / 1000;

// Tone.js is loaded when sound is first needed, so the page itself stays light.
const loadSynth = () => import("@/lib/synth");
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
    if (state.schedule) window.neurotune = { schedule: state.schedule, renderOffline: renderOfflineLazily };
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
    await sound.start(state.schedule, {
      atSec: secondsSince(startedAt),
      carrierHz: state.carrierHz,
      volumeCap: state.volume,
      balance: state.balance,
      layers: state.layers,
    });
    uninstallLifecycle.current = installLifecycleHandlers(sound, { title: state.schedule.intent });
    dispatch(statusChanged("playing"));
  }, [state.schedule, state.carrierHz, state.volume, state.balance, state.layers, startedAt, dispatch]);

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
