import { useCallback, useEffect, useSyncExternalStore } from "react";

import { api } from "@/lib/api";
import type { SessionEnd } from "@/lib/types";
import { useAppDispatch, type AppDispatch } from "@/stores/store";
import { outcomeOf, pendingEndFor, pendingEnds, queueEnd, settleEnd, watchOutbox, type PendingEnd, type SendOutcome } from "./endOutbox";

const RETRY_MS = 30_000;
let flushing: Promise<void> | null = null;

/** One attempt; the end leaves the outbox unless it is worth another try. */
async function send(dispatch: AppDispatch, end: PendingEnd): Promise<SendOutcome> {
  const result = await dispatch(api.endpoints.endSession.initiate({ id: end.sessionId, ...end.body }));
  const outcome = outcomeOf(result.error ? (result.error as { status?: number | string }).status : undefined);
  if (outcome !== "retry") settleEnd(end.sessionId);
  return outcome;
}

/** Sends every kept end, one at a time (a second call while one runs shares it). */
export function flushOutbox(dispatch: AppDispatch): Promise<void> {
  flushing ??= (async () => {
    for (const end of pendingEnds()) await send(dispatch, end);
  })().finally(() => {
    flushing = null;
  });
  return flushing;
}

/** Sends the kept ends now, as soon as the browser is back online, and every 30 s while any wait. */
export function useEndOutboxFlusher(): void {
  const dispatch = useAppDispatch();
  useEffect(() => {
    const flush = (): void => {
      if (pendingEnds().length > 0) void flushOutbox(dispatch);
    };
    flush();
    window.addEventListener("online", flush);
    const timer = setInterval(flush, RETRY_MS);
    return () => {
      window.removeEventListener("online", flush);
      clearInterval(timer);
    };
  }, [dispatch]);
}

export interface SessionEnder {
  /** Ends (or rates) the session: "sent", "retry" (kept, sent later) or "refused" (409, 404). */
  end: (body: SessionEnd) => Promise<SendOutcome>;
  /** An end of this session waits in the outbox. */
  pending: boolean;
}

/** Ending one session, whether or not the server can be reached right now. */
export function useSessionEnder(sessionId: number): SessionEnder {
  const dispatch = useAppDispatch();
  const pending = useSyncExternalStore(
    watchOutbox,
    () => pendingEndFor(sessionId) !== null,
    () => false,
  );
  const end = useCallback(
    async (body: SessionEnd): Promise<SendOutcome> => {
      const kept: PendingEnd = { sessionId, body, queuedAtMs: Date.now() };
      queueEnd(kept);
      return send(dispatch, pendingEndFor(sessionId) ?? kept);
    },
    [dispatch, sessionId],
  );
  return { end, pending };
}
