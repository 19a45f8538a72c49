"use client";

import AudioVisualizer from "@/components/AudioVisualizer";
import MusicPanel from "@/components/MusicPanel";
import SleepTimer, { SLEEP_FADE_SEC } from "@/components/SleepTimer";
import type { SessionRecord, User, UserPreferences } from "@/lib/types";
import { useAppDispatch, useAppSelector } from "@/stores/store";
import KeepControls from "./KeepControls";
import PlanExplanation from "./PlanExplanation";
import PlayerControls from "./PlayerControls";
import SessionProgress from "./SessionProgress";
import { entrainMusicChanged, selectEnded, selectEntrainMusic, selectIsPlaying, selectMusic, selectSessionBpm } from "./sessionSlice";
import SoundMixer from "./SoundMixer";
import type { Playback } from "./usePlayback";
import type { SoundControls } from "./useSoundEngine";

interface Props {
  session: SessionRecord;
  me: User;
  sound: SoundControls;
  playback: Playback;
  savePreference: (change: Partial<UserPreferences>) => void;
  /** An end of this session waits to be sent (the server could not be reached). */
  endPending: boolean;
  onEnd: () => void;
  onShortcuts: () => void;
}

/** A session that has not ended (on the server): progress and plan, the player, the mix, music, sleep timer. */
export default function LiveSession({ session, me, sound, playback, savePreference, endPending, onEnd, onShortcuts }: Props) {
  const dispatch = useAppDispatch();
  const ended = useAppSelector(selectEnded);
  const playing = useAppSelector(selectIsPlaying);
  const music = useAppSelector(selectMusic);
  const entrainMusic = useAppSelector(selectEntrainMusic);
  const targetBpm = useAppSelector(selectSessionBpm);
  return (
    <>
      <div className="session-overview">
        <section className="panel" aria-labelledby="session-heading">
          <h1 id="session-heading">{session.intent}</h1>
          <SessionProgress />
          <AudioVisualizer readSpectrum={playing ? sound.readSpectrum : null} reducedMotion={me.preferences.reduced_motion} />
          {endPending ? (
            <p role="status" className="pending-note">
              Saved offline — will send when you&apos;re back online.
            </p>
          ) : ended ? (
            <p role="status">Session over.</p>
          ) : (
            <button className="secondary" type="button" onClick={onEnd}>
              End session
            </button>
          )}
          <button className="secondary" type="button" aria-keyshortcuts="Shift+Slash" onClick={onShortcuts}>
            Keyboard shortcuts
          </button>
        </section>
        <PlanExplanation intent={session.intent} explanation={session.explanation} sessionId={ended ? null : session.id} />
      </div>
      <PlayerControls playback={playback} savePreference={savePreference} />
      <section className="panel" aria-label="Mix">
        <SoundMixer savePreference={savePreference} noiseColour={me.preferences.noise} />
      </section>
      <MusicPanel
        targetBpm={targetBpm}
        music={music}
        entrain={entrainMusic}
        playing={playing}
        onLoaded={sound.playTrack}
        onRemove={sound.removeTrack}
        onEntrainChange={(on) => dispatch(entrainMusicChanged(on))}
        resumeTrack={music?.track}
      />
      <section className="panel">
        <SleepTimer
          active={playing}
          onExpire={() => {
            sound.fadeNextStop(SLEEP_FADE_SEC);
            playback.pause();
          }}
        />
      </section>
      <KeepControls sessionId={session.id} favourite={session.favourite} intent={session.intent} />
    </>
  );
}
