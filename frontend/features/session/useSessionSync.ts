import { useEffect } from "react";

import type { SessionRecord, User } from "@/lib/types";
import { useAppDispatch } from "@/stores/store";
import { clockTicked, preferencesApplied, sessionLoaded } from "./sessionSlice";

/** Seconds from `iso` (a server timestamp) to now, by the wall clock. */
export const secondsSince = (iso: string): number => (Date.now() - Date.parse(iso)) / 1000;

const TICK_MS = 1000;

/**
 * Keeps the session slice in step with the server and the wall clock: the loaded session, the
 * listener's preferences (carrier, volume cap), and a clock tick a second while it is open.
 */
export function useSessionSync(session: SessionRecord | undefined, me: User | undefined): void {
  const dispatch = useAppDispatch();
  const startedAt = session?.started_at;

  useEffect(() => {
    if (session) dispatch(sessionLoaded({ sessionId: session.id, schedule: session.schedule, elapsedSec: secondsSince(session.started_at) }));
  }, [session, dispatch]);

  useEffect(() => {
    if (me) dispatch(preferencesApplied({ carrierHz: me.preferences.carrier_hz, volumeCap: me.preferences.volume_max }));
  }, [me, dispatch]);

  useEffect(() => {
    if (!startedAt) return;
    const timer = setInterval(() => dispatch(clockTicked(secondsSince(startedAt))), TICK_MS);
    return () => clearInterval(timer);
  }, [startedAt, dispatch]);
}
