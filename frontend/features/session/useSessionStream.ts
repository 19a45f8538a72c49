import { useEffect } from "react";

import { loadToken } from "@/lib/api";
import { SessionStreamClient } from "@/lib/wsClient";
import { useAppDispatch } from "@/stores/store";
import { connectionChanged, frameReceived } from "./sessionSlice";

/**
 * Owns the live stream of a session that has not ended: opens a `SessionStreamClient` (resuming
 * from the last `seq` after a drop, at once when the browser is back online), dispatches every
 * frame and the connection status to the slice, and closes it when the session changes, ends or
 * the page goes. The slice (and through it the engine) does the rest: pauses, refinements, the end.
 */
export function useSessionStream(sessionId: number | undefined, live: boolean): void {
  const dispatch = useAppDispatch();

  useEffect(() => {
    const token = loadToken();
    if (sessionId === undefined || !live || !token) return;
    const client = new SessionStreamClient(sessionId, token, {
      onFrame: (frame) => dispatch(frameReceived(frame)),
      onStatus: (status) => dispatch(connectionChanged(status)),
    });
    client.open();
    const reconnect = (): void => client.reconnectNow();
    window.addEventListener("online", reconnect);
    return () => {
      window.removeEventListener("online", reconnect);
      client.close();
    };
  }, [sessionId, live, dispatch]);
}
