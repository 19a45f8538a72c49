/**
 * The live audio context (Tone's global one) as the page's gestures see it. Browsers let a context
 * start only from a user gesture: `resumeLiveContext` is called synchronously inside click and key
 * handlers (Start, Play, Play again), before anything is awaited, so the same document's context
 * runs when the session page plays a moment later.
 */
import { getContext } from "tone";

/** Asks the live context to run; call it inside a user gesture. Never throws. */
export function resumeLiveContext(): Promise<void> {
  const context = getContext();
  if (context.state === "running") return Promise.resolve();
  return context.resume().catch(() => undefined);
}

/** Whether the live context runs (false: a gesture is still needed). */
export function liveContextRunning(): boolean {
  return getContext().state === "running";
}
