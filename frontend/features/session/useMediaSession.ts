import { useEffect } from "react";

import { heardBeatHz } from "@/lib/beatOverride";
import { useAppStore } from "@/stores/store";
import { mediaTitle } from "./mediaTitle";
import type { SessionState } from "./sessionState";
import type { Playback } from "./usePlayback";

/** The app icon, as the lock screen and media controls show it. */
const ARTWORK: MediaImage[] = [
  { src: "/icons/icon-192.png", sizes: "192x192", type: "image/png" },
  { src: "/icons/icon-512.png", sizes: "512x512", type: "image/png" },
];

function playbackState(state: SessionState): MediaSessionPlaybackState {
  if (state.ended) return "none";
  return state.sound === "on" || state.sound === "starting" ? "playing" : "paused";
}

/**
 * The lock-screen and media-key controls of a live session, for as long as its page is open:
 * play, pause and stop (stop pauses the session and lets the sound go) stay through a pause, the
 * artwork is the app icon, and the title says where the session is ("Focus / study · settling ·
 * 16 Hz"), kept current as the clock moves. `label` is the plan's family in words.
 */
export function useMediaSession(label: string, live: boolean, playback: Playback): void {
  const store = useAppStore();

  useEffect(() => {
    const media = typeof navigator !== "undefined" && "mediaSession" in navigator ? navigator.mediaSession : null;
    if (!media || !live) return;
    // Browsers throw for actions they do not offer; those simply stay unset.
    const setAction = (action: MediaSessionAction, handler: MediaSessionActionHandler | null): void => {
      try {
        media.setActionHandler(action, handler);
      } catch {
        return;
      }
    };
    const actions: [MediaSessionAction, () => void][] = [
      ["play", playback.play],
      ["pause", playback.pause],
      ["stop", playback.pause],
    ];
    for (const [action, run] of actions) setAction(action, run);

    let title = "";
    let last: SessionState | null = null;
    const update = (): void => {
      const state = store.getState().session;
      if (state === last) return;
      last = state;
      media.playbackState = playbackState(state);
      if (!state.schedule) return;
      const next = mediaTitle(label, state.schedule, state.elapsedSec, heardBeatHz(state.schedule, state.beat, state.elapsedSec));
      if (next === title) return;
      title = next;
      media.metadata = new MediaMetadata({ title, artist: "NeuroTune", album: state.schedule.intent, artwork: ARTWORK });
    };
    update();
    const unsubscribe = store.subscribe(update);
    return () => {
      unsubscribe();
      for (const [action] of actions) setAction(action, null);
      media.metadata = null;
      media.playbackState = "none";
    };
  }, [label, live, playback, store]);
}
