/**
 * What every "start" tap does after its request answered: hand the new session to the session
 * page (it plays at once, the tap having let audio run), fetch the session while the page loads,
 * and go there client-side so the running audio context is kept.
 */
import { api } from "@/lib/api";
import type { AppDispatch } from "@/stores/store";
import { handOffPlayback } from "./audioHandoff";

export function openStartedSession(sessionId: number, dispatch: AppDispatch, push: (href: string) => void): void {
  handOffPlayback(sessionId);
  void dispatch(api.util.prefetch("session", sessionId, { force: true }));
  push(`/session/?id=${sessionId}`);
}
