import { useEffect, useEffectEvent } from "react";

import { loadToken } from "@/lib/api";
import type { ModulationSchedule, ModulationUpdate, SessionRecord } from "@/lib/types";
import { SessionStreamClient } from "@/lib/wsClient";
import { useAppDispatch } from "@/stores/store";
import { connectionChanged, frameReceived } from "./sessionSlice";

export interface StreamListener {
  /** A refined schedule arrived: the engine should glide onto it from `elapsedSec`. */
  onRefined: (schedule: ModulationSchedule, elapsedSec: number) => void;
  /** The server ended the session. */
  onEnd: () => void;
}

/**
 * Owns the live stream of a session that has not ended: opens a `SessionStreamClient` (resuming
 * from the last `seq` after a drop), dispatches every frame and the connection status to the
 * slice, tells `listener` about refinements and the end, and closes it when the session changes
 * or the page goes. `listener` may change between renders without reconnecting.
 */
export function useSessionStream(session: SessionRecord | undefined, listener: StreamListener): void {
  const dispatch = useAppDispatch();
  const onFrame = useEffectEvent((frame: ModulationUpdate, loaded: SessionRecord) => {
    dispatch(frameReceived(frame));
    if (frame.type === "refined") listener.onRefined({ ...loaded.schedule, steps: frame.steps }, frame.elapsed_sec);
    if (frame.type === "end") listener.onEnd();
  });

  useEffect(() => {
    const token = loadToken();
    if (!session || session.ended_at || !token) return;
    const client = new SessionStreamClient(session.id, token, {
      onFrame: (frame) => onFrame(frame, session),
      onStatus: (status) => dispatch(connectionChanged(status)),
    });
    client.open();
    return () => client.close();
  }, [session, dispatch]);
}
