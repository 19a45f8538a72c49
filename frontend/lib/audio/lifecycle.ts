/**
 * Page lifecycle for a live engine: tab switches, screen locks and sleep. (The lock-screen
 * controls belong to the session, not to an engine: `features/session/useMediaSession`.)
 */
import type { SoundEngine } from "./SoundEngine";

/**
 * Keeps a session audible through tab switches, screen locks and device sleep: resumes the
 * context when the page is shown or focused, on the next tap or key after a long sleep, and
 * whenever the browser suspends or interrupts it while the engine plays; asks Safari for a
 * "playback" audio session. Returns a function that removes it all.
 */
export function installLifecycleHandlers(engine: SoundEngine): () => void {
  const context = engine.context;
  const wake = (): void => {
    if (engine.isActive) void engine.resume().catch(() => undefined);
  };
  const onVisibility = (): void => {
    if (document.visibilityState === "visible") wake();
  };
  const onStateChange = (state: string): void => {
    if (state === "suspended" || state === "interrupted") wake();
  };

  document.addEventListener("visibilitychange", onVisibility);
  window.addEventListener("focus", wake);
  window.addEventListener("pageshow", wake);
  // After a long sleep some browsers only allow resuming from a gesture: the next tap does it.
  window.addEventListener("pointerdown", wake, { passive: true });
  window.addEventListener("keydown", wake);
  context.on("statechange", onStateChange);

  // Safari 16.4+: a "playback" session keeps Web Audio going with the screen locked.
  const audioSession = (navigator as Navigator & { audioSession?: { type: string } }).audioSession;
  if (audioSession) audioSession.type = "playback";

  return () => {
    document.removeEventListener("visibilitychange", onVisibility);
    window.removeEventListener("focus", wake);
    window.removeEventListener("pageshow", wake);
    window.removeEventListener("pointerdown", wake);
    window.removeEventListener("keydown", wake);
    context.off("statechange", onStateChange);
  };
}
