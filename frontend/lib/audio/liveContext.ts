/**
 * The live audio context (Tone's global one) as the page's gestures see it. Browsers let a context
 * start only from a user gesture: `resumeLiveContext` is called synchronously inside click and key
 * handlers (Start, Play, Play again), before anything is awaited, so the same document's context
 * runs when the session page plays a moment later.
 */
import { getContext } from "tone";

import { seamlessNoise } from "./noise";

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

/** Does the live engine's slow set-up ahead of the tap (the noise loops), while the page is idle. */
export function prepareLiveContext(): void {
  const context = getContext();
  seamlessNoise(context, "pink");
  seamlessNoise(context, "brown");
}
