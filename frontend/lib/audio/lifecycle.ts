/** Page lifecycle for a live engine: tab switches, screen locks, sleep and lock-screen controls. */
import type { SoundEngine } from "./SoundEngine";

export interface LifecycleMetadata {
  title: string;
  artist?: string;
}

/**
 * Keeps a session audible through tab switches, screen locks and device sleep: resumes the
 * context when the page is shown or focused and whenever the browser suspends or interrupts it
 * (unless the user paused), asks Safari for a "playback" audio session, and wires the Media
 * Session (lock-screen controls) to pause/play. Returns a function that removes it all.
 */
export function installLifecycleHandlers(
  engine: SoundEngine,
  metadata: LifecycleMetadata = { title: "NeuroTune session" },
): () => void {
  const context = engine.context;
  const wake = (): void => {
    if (engine.isActive && !engine.isPaused) void engine.resume().catch(() => undefined);
  };
  const onVisibility = (): void => {
    if (document.visibilityState === "visible") wake();
  };
  const onStateChange = (state: string): void => {
    if (state === "suspended" || state === "interrupted") wake();
    syncPlaybackState();
  };
  const mediaSession = typeof navigator !== "undefined" && "mediaSession" in navigator ? navigator.mediaSession : null;
  const syncPlaybackState = (): void => {
    if (!mediaSession) return;
    mediaSession.playbackState = !engine.isActive ? "none" : engine.isPaused ? "paused" : "playing";
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

  const handlers: [MediaSessionAction, () => Promise<void>][] = [
    ["play", () => engine.play()],
    ["pause", () => engine.pause()],
    ["stop", () => engine.stop()],
  ];
  // Browsers throw for actions they do not offer; those simply stay unset.
  const setAction = (action: MediaSessionAction, handler: MediaSessionActionHandler | null): void => {
    try {
      mediaSession?.setActionHandler(action, handler);
    } catch {
      return;
    }
  };
  if (mediaSession) {
    mediaSession.metadata = new MediaMetadata({ title: metadata.title, artist: metadata.artist ?? "NeuroTune" });
    for (const [action, run] of handlers) setAction(action, () => void run().then(syncPlaybackState));
    syncPlaybackState();
  }

  return () => {
    document.removeEventListener("visibilitychange", onVisibility);
    window.removeEventListener("focus", wake);
    window.removeEventListener("pageshow", wake);
    window.removeEventListener("pointerdown", wake);
    window.removeEventListener("keydown", wake);
    context.off("statechange", onStateChange);
    if (mediaSession) {
      for (const [action] of handlers) setAction(action, null);
      mediaSession.metadata = null;
      mediaSession.playbackState = "none";
    }
  };
}
