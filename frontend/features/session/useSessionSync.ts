import { useEffect, useRef } from "react";

import type { SessionRecord, User } from "@/lib/types";
import { useAppDispatch } from "@/stores/store";
import { takeHandOff } from "./audioHandoff";
import { pendingEndFor } from "./endOutbox";
import { readLocalRecord } from "./localRecord";
import { clockFromRecord } from "./sessionClock";
import {
  clockTicked,
  localRecordRestored,
  playRequested,
  preferencesApplied,
  sessionOpened,
  sessionRefreshed,
} from "./sessionSlice";
import type { SessionPreferences } from "./sessionState";

const TICK_MS = 1000;

/** The session-page parts of the listener's preferences. */
export function sessionPreferences(user: User): SessionPreferences {
  const prefs = user.preferences;
  return {
    carrierHz: prefs.carrier_hz,
    volumeCap: prefs.volume_max,
    balance: prefs.balance,
    mix: { tone: prefs.tone_volume, noise: prefs.noise_volume, music: prefs.music_volume },
    noiseOn: prefs.noise !== "none",
  };
}

/**
 * Keeps the session slice in step with the server and the listener: opens the session once its
 * record and the listener are known (preferences, then what this device kept before a reload,
 * then Start's hand-off), follows later answers about it (pause, end) and the cap, and ticks the
 * session's clock once a second while it runs.
 */
export function useSessionSync(session: SessionRecord | undefined, me: User | undefined): void {
  const dispatch = useAppDispatch();
  const openedId = useRef<number | null>(null);
  const id = session?.id;
  const live = session ? session.ended_at === null : false;

  useEffect(() => {
    if (!session || !me) return;
    if (openedId.current !== session.id) {
      openedId.current = session.id;
      const ended = session.ended_at !== null || pendingEndFor(session.id) !== null;
      const clock = clockFromRecord(session, Date.now());
      dispatch(sessionOpened({ sessionId: session.id, schedule: session.schedule, clock, paused: session.paused_at !== null, ended }));
      dispatch(preferencesApplied(sessionPreferences(me)));
      const kept = readLocalRecord(session.id);
      if (kept) dispatch(localRecordRestored(kept));
      if (takeHandOff(session.id)) dispatch(playRequested());
      return;
    }
    dispatch(sessionRefreshed({ paused: session.paused_at !== null, clock: clockFromRecord(session, Date.now()), endReason: session.end_reason, rated: session.rating !== null }));
  }, [session, me, dispatch]);

  useEffect(() => {
    if (me) dispatch(preferencesApplied(sessionPreferences(me)));
  }, [me, dispatch]);

  useEffect(() => {
    if (id === undefined || !live) return;
    const timer = setInterval(() => dispatch(clockTicked()), TICK_MS);
    return () => clearInterval(timer);
  }, [id, live, dispatch]);
}
