"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";

import AudioVisualizer from "@/components/AudioVisualizer";
import ErrorAlert from "@/components/ErrorAlert";
import EvidenceNote from "@/components/EvidenceNote";
import FeedbackModal from "@/components/FeedbackModal";
import MusicPanel from "@/components/MusicPanel";
import SleepTimer from "@/components/SleepTimer";
import { errorMessage, useEndSessionMutation, useMeQuery, useSessionQuery } from "@/lib/api";
import { useAppDispatch, useAppSelector } from "@/stores/store";
import PlayerControls from "./PlayerControls";
import SessionProgress from "./SessionProgress";
import {
  entrainMusicChanged,
  selectEntrainMusic,
  selectHasSchedule,
  selectIsPlaying,
  selectMusic,
  selectSessionBpm,
  selectSessionId,
} from "./sessionSlice";
import { useSessionStream } from "./useSessionStream";
import { useSessionSync } from "./useSessionSync";
import { useSoundEngine } from "./useSoundEngine";

/**
 * One session: its progress, the player, music, sleep timer and the end. It lays out; the hooks
 * own the effects (slice sync, live stream, sound engine) and the parts that change every second
 * select the clock themselves, so a clock tick does not re-render this component.
 */
export default function SessionView({ id }: { id: number }) {
  const router = useRouter();
  const dispatch = useAppDispatch();
  const { data: session, error: loadError } = useSessionQuery(id);
  const { data: me } = useMeQuery();
  const [endSession, { isLoading: ending, error: endError }] = useEndSessionMutation();
  const [feedbackOpen, setFeedbackOpen] = useState(false);
  useSessionSync(session, me);
  const sound = useSoundEngine(session);
  useSessionStream(session, { onRefined: sound.followRefined, onEnd: sound.silence });
  const loadedId = useAppSelector(selectSessionId);
  const hasSchedule = useAppSelector(selectHasSchedule);
  const playing = useAppSelector(selectIsPlaying);
  const music = useAppSelector(selectMusic);
  const entrainMusic = useAppSelector(selectEntrainMusic);
  const targetBpm = useAppSelector(selectSessionBpm);

  async function finish(rating: number | undefined, note: string) {
    const result = await endSession({ id, rating, feedback_note: note.trim() || undefined });
    if ("data" in result && result.data) {
      sound.silence();
      router.push("/history/");
    }
  }

  if (loadError) return <ErrorAlert error={loadError} />;
  if (!session || !hasSchedule || loadedId !== id) return <p className="muted">Loading session…</p>;

  return (
    <>
      <section className="panel" aria-labelledby="session-heading">
        <h1 id="session-heading">{session.intent}</h1>
        <SessionProgress />
        <AudioVisualizer readSpectrum={playing ? sound.readSpectrum : null} reducedMotion={me?.preferences.reduced_motion ?? false} />
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
          <PlayerControls onPlay={sound.play} onPause={sound.pause} />
          <MusicPanel
            targetBpm={targetBpm}
            music={music}
            entrain={entrainMusic}
            playing={playing}
            onLoaded={sound.playTrack}
            onRemove={sound.removeTrack}
            onEntrainChange={(on) => dispatch(entrainMusicChanged(on))}
          />
          <section className="panel">
            <SleepTimer active={playing} onExpire={sound.fadeToSleep} />
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
