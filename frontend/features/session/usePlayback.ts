import { useCallback, useMemo } from "react";

import { api, errorMessage } from "@/lib/api";
import { useAppDispatch, useAppStore } from "@/stores/store";
import { unlockAudio } from "./audioHandoff";
import { sessionEndpoints } from "./sessionApi";
import { clockFromRecord } from "./sessionClock";
import { pauseFailed, pauseRequested, pauseSettled, playRequested } from "./sessionSlice";
import { wantsSound, type PauseRequest } from "./sessionState";

/** Play, pause and the toggle between them: what the button, Space and the lock screen call. */
export interface Playback {
  play: () => void;
  pause: () => void;
  toggle: () => void;
}

/**
 * Pause is a state of the session, not of this page: Pause stops the session's clock on the
 * server (`POST /sessions/{id}/pause`, every device hears `paused`), Play resumes it and listens
 * here. The slice changes at once (the engine fades out or in), the server's answer then settles
 * the clock, and a request that fails puts the clock back as the server still has it, with the
 * sound off. Call `play` from a user gesture: it lets the audio context run first.
 */
export function usePlayback(sessionId: number): Playback {
  const dispatch = useAppDispatch();
  const store = useAppStore();

  const send = useCallback(
    async (request: PauseRequest) => {
      const endpoint = request === "pause" ? sessionEndpoints.pauseSession : sessionEndpoints.resumeSession;
      const result = await dispatch(endpoint.initiate(sessionId));
      if (result.data) {
        const session = result.data;
        dispatch(pauseSettled({ request, paused: session.paused_at !== null, clock: clockFromRecord(session, Date.now()) }));
        return;
      }
      const status = (result.error as { status?: unknown } | undefined)?.status;
      if (status === 409) dispatch(api.util.invalidateTags(["Sessions"])); // it ended meanwhile: read it again
      const reason = status === "FETCH_ERROR" ? "the server cannot be reached" : errorMessage(result.error);
      const message =
        request === "pause"
          ? `Stopped here, but the session could not be paused (${reason}): its clock keeps running.`
          : `The session could not be resumed (${reason}).`;
      dispatch(pauseFailed({ request, message }));
    },
    [dispatch, sessionId],
  );

  const play = useCallback(() => {
    unlockAudio();
    const state = store.getState().session;
    if (state.ended) return;
    dispatch(playRequested());
    if (state.paused) void send("resume");
  }, [dispatch, store, send]);

  const pause = useCallback(() => {
    const state = store.getState().session;
    if (state.ended) return;
    dispatch(pauseRequested());
    if (!state.paused) void send("pause");
  }, [dispatch, store, send]);

  const toggle = useCallback(() => {
    const state = store.getState().session;
    if (wantsSound(state) && state.sound !== "blocked") pause();
    else play();
  }, [store, play, pause]);

  return useMemo(() => ({ play, pause, toggle }), [play, pause, toggle]);
}
