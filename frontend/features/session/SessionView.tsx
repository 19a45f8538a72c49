"use client";

import { useRouter } from "next/navigation";
import { useCallback, useEffect, useMemo, useState } from "react";

import EvidenceNote from "@/components/EvidenceNote";
import FeedbackModal from "@/components/FeedbackModal";
import { errorMessage, useMeQuery, useSessionQuery } from "@/lib/api";
import { useAppDispatch, useAppSelector } from "@/stores/store";
import LiveSession from "./LiveSession";
import SessionSummary from "./SessionSummary";
import ShortcutsDialog from "./ShortcutsDialog";
import {
  endedHere,
  ratingPromptClosed,
  selectEnded,
  selectHasSchedule,
  selectRatingPrompt,
  selectRefinedCount,
  selectSessionId,
  selectSound,
  volumeStepped,
} from "./sessionSlice";
import { useEndOutboxFlusher, useSessionEnder } from "./useEndOutbox";
import { useLocalRecord } from "./useLocalRecord";
import { useMediaSession } from "./useMediaSession";
import { usePlayback } from "./usePlayback";
import { usePreferenceSaver } from "./usePreferenceSaver";
import { useSessionStream } from "./useSessionStream";
import { useSessionSync } from "./useSessionSync";
import { useShortcuts } from "./useShortcuts";
import { useSoundEngine } from "./useSoundEngine";
import { wantsWakeChime } from "./wakeChimePolicy";

/** Which rating dialog is open: ending here, rating later, or after the schedule ran out. */
type Rating = "end" | "rate" | "ranOut";

const RATING_WORDS: Record<Rating, { title: string; cancel: string }> = {
  end: { title: "How was this session?", cancel: "Keep listening" },
  rate: { title: "How was this session?", cancel: "Not now" },
  ranOut: { title: "The session is over. How was it?", cancel: "Not now" },
};

/** The server may record a session that ran out a moment after its `end` frame: read it then. */
const REREAD_AFTER_END_MS = 1500;

/**
 * One session: live (player, plan, music, end) or, once ended on the server, its summary. The hooks
 * own the effects (slice sync, live stream, sound, lock screen, keys, the outbox of ends) and the
 * parts that change every second select the clock themselves, so a clock tick does not re-render
 * this component. Failures never take the page away: a session that cannot be read again keeps
 * playing what it has, and an end that cannot be sent is kept and sent later.
 */
export default function SessionView({ id }: { id: number }) {
  const router = useRouter();
  const dispatch = useAppDispatch();
  const { data: session, error: loadError, refetch } = useSessionQuery(id);
  const { data: me } = useMeQuery();
  useEndOutboxFlusher();
  useSessionSync(session, me);
  const live = session ? session.ended_at === null : false;
  const sound = useSoundEngine(wantsWakeChime(me?.preferences.wake_chime, session?.explanation));
  useSessionStream(session?.id, live);
  useLocalRecord();
  const playback = usePlayback(id);
  const savePreference = usePreferenceSaver(me);
  const ender = useSessionEnder(id);
  const loadedId = useAppSelector(selectSessionId);
  const hasSchedule = useAppSelector(selectHasSchedule);
  const ended = useAppSelector(selectEnded);
  const ratingPrompt = useAppSelector(selectRatingPrompt);
  const soundState = useAppSelector(selectSound);
  const refinedCount = useAppSelector(selectRefinedCount);
  const [dialog, setDialog] = useState<Rating | null>(null);
  const [sending, setSending] = useState(false);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [shortcutsAsked, setShortcutsAsked] = useState(0);
  const rating: Rating | null = dialog ?? (ratingPrompt ? "ranOut" : null);

  useMediaSession(session?.explanation?.reading.label ?? "", live && !ended, playback);
  const shortcuts = useMemo(
    () => ({ toggle: playback.toggle, volume: (direction: 1 | -1) => dispatch(volumeStepped(direction)), help: () => setShortcutsAsked((n) => n + 1) }),
    [playback, dispatch],
  );
  useShortcuts(live && !ended, shortcuts);

  // Back online: read the session again (its end, its pause) without a reload.
  useEffect(() => {
    const reread = (): void => void refetch();
    window.addEventListener("online", reread);
    return () => window.removeEventListener("online", reread);
  }, [refetch]);

  // The model (or a correction) rewrote the future: the stored explanation says what changed.
  useEffect(() => {
    if (refinedCount > 0) void refetch();
  }, [refinedCount, refetch]);

  // Ended by the stream (ran out, or ended elsewhere): the stored session says how.
  useEffect(() => {
    if (!ended || !live || ender.pending) return;
    const timer = setTimeout(() => void refetch(), REREAD_AFTER_END_MS);
    return () => clearTimeout(timer);
  }, [ended, live, ender.pending, refetch]);

  const closeRating = useCallback(() => {
    setDialog(null);
    setRefusal(null);
    dispatch(ratingPromptClosed());
  }, [dispatch]);

  async function submitRating(stars: number | undefined, note: string) {
    const endingHere = rating === "end";
    if (endingHere) dispatch(endedHere()); // the sound fades out now, whether or not the server hears it
    setSending(true);
    const outcome = await ender.end({ rating: stars, feedback_note: note.trim() || undefined });
    setSending(false);
    if (outcome === "refused") {
      setRefusal("This session was already ended with a different rating or note.");
      return;
    }
    closeRating();
    if (outcome === "sent" && endingHere) router.push("/history/");
  }

  function dismissRating() {
    // A session that ran out is ended even unrated (the server may have recorded it already).
    if (rating === "ranOut") void ender.end({});
    closeRating();
  }

  if (!session) {
    if (!loadError) return <p className="muted">Loading session…</p>;
    return (
      <section className="panel" role="alert">
        <p className="error">This session could not be loaded: {errorMessage(loadError)}</p>
        <button className="secondary" type="button" onClick={() => void refetch()}>
          Try again
        </button>
      </section>
    );
  }
  if (loadedId !== id || !hasSchedule || !me) return <p className="muted">Loading session…</p>;

  const words = rating ? RATING_WORDS[rating] : RATING_WORDS.end;
  return (
    <>
      {loadError ? (
        <p className="panel" role="status">
          The server cannot be reached right now ({errorMessage(loadError)}); the session plays on from what it has.
          {soundState !== "off" ? (
            <button className="secondary" type="button" onClick={playback.pause}>
              Stop the sound
            </button>
          ) : null}
        </p>
      ) : null}
      {live ? (
        <LiveSession
          session={session}
          me={me}
          sound={sound}
          playback={playback}
          savePreference={savePreference}
          endPending={ender.pending}
          onEnd={() => setDialog("end")}
          onShortcuts={() => setShortcutsAsked((n) => n + 1)}
        />
      ) : (
        <SessionSummary session={session} ratingPending={ender.pending} onRate={() => setDialog("rate")} />
      )}
      <FeedbackModal
        open={rating !== null}
        busy={sending}
        error={refusal}
        title={words.title}
        cancelLabel={words.cancel}
        onSubmit={(stars, note) => void submitRating(stars, note)}
        onCancel={dismissRating}
      />
      <ShortcutsDialog asked={shortcutsAsked} />
      <EvidenceNote />
    </>
  );
}
