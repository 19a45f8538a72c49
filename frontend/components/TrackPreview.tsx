"use client";

import { useEffect, useRef } from "react";

import { clamp } from "@/lib/safetyLimits";
import type { LibraryTrack } from "@/lib/types";

interface Props {
  track: LibraryTrack;
  /** The listener's volume cap (0–1): the player starts at it and cannot be turned above it. */
  volumeCap: number;
  onClose: () => void;
  /** The signed link failed (expired, or the file went): refresh the list. */
  onFailed: () => void;
}

/** A plain audio player for one track. It never starts by itself: the listener presses play. */
export default function TrackPreview({ track, volumeCap, onClose, onFailed }: Props) {
  const audio = useRef<HTMLAudioElement>(null);
  const cap = clamp(volumeCap, 0, 1);

  useEffect(() => {
    const element = audio.current;
    if (!element) return;
    element.volume = Math.min(element.volume, cap);
    element.focus();
  }, [track.id, cap]);

  return (
    <section className="panel" aria-labelledby="preview-heading">
      <h2 id="preview-heading">Preview: {track.filename}</h2>
      <audio
        ref={audio}
        controls
        preload="metadata"
        src={track.stream_url ?? undefined}
        aria-label={`Preview of ${track.filename}`}
        data-testid="preview"
        onVolumeChange={(e) => {
          if (e.currentTarget.volume > cap) e.currentTarget.volume = cap;
        }}
        onError={onFailed}
      >
        Your browser cannot play this file here.
      </audio>
      <p className="muted">Volume is held at or below your cap ({Math.round(cap * 100)}%).</p>
      <button className="secondary" type="button" onClick={onClose}>
        Close preview
      </button>
    </section>
  );
}
