"use client";

import dynamic from "next/dynamic";
import { useEffect, useEffectEvent, useRef, useState } from "react";

import { api } from "@/lib/api";
import { describeProgress, fetchTrackBytes, TrackLoadError, type LoadProgress } from "@/lib/musicLoader";
import type { LibraryTrack } from "@/lib/types";
import type { MusicChoice } from "@/features/session/sessionState";
import { useAppDispatch } from "@/stores/store";

// The track list (and its library request) loads only when the listener opens it.
const MusicPicker = dynamic(() => import("./MusicPicker"), {
  ssr: false,
  loading: () => <p className="muted">Loading your library…</p>,
});

type Load =
  | { phase: "idle" }
  | { phase: "downloading"; track: LibraryTrack; progress: LoadProgress }
  | { phase: "decoding"; track: LibraryTrack }
  | { phase: "error"; track: LibraryTrack; message: string };

interface Props {
  /** The session's tempo, to list the tracks that fit it first. */
  targetBpm: number;
  music: MusicChoice | null;
  entrain: boolean;
  playing: boolean;
  /** A track was downloaded and decoded: play it under the session. */
  onLoaded: (track: LibraryTrack, buffer: AudioBuffer) => void;
  onRemove: () => void;
  onEntrainChange: (on: boolean) => void;
  /** A track to load again at once (the one playing before a reload). */
  resumeTrack?: LibraryTrack | null;
}

/** Music from the library under the session: choose, see it download and decode, pulse, remove. */
export default function MusicPanel({ targetBpm, music, entrain, playing, onLoaded, onRemove, onEntrainChange, resumeTrack }: Props) {
  const dispatch = useAppDispatch();
  const [open, setOpen] = useState(false);
  const [load, setLoad] = useState<Load>({ phase: "idle" });
  const inFlight = useRef<AbortController | null>(null);

  useEffect(() => () => inFlight.current?.abort(), []);

  // Only the track present when the panel first showed: later choices go through the list.
  const [resumeOnce] = useState(resumeTrack);
  const resume = useEffectEvent((track: LibraryTrack) => void pick(track));
  useEffect(() => {
    if (resumeOnce) resume(resumeOnce);
  }, [resumeOnce]);

  /** A signed link may have expired since the list was fetched: ask for this track afresh. */
  async function freshTrack(track: LibraryTrack): Promise<LibraryTrack | null> {
    dispatch(api.util.invalidateTags(["Library"]));
    const request = dispatch(api.endpoints.library.initiate({ q: track.filename, limit: 50 }, { forceRefetch: true }));
    const result = await request;
    request.unsubscribe();
    return result.data?.tracks.find((t) => t.id === track.id) ?? null;
  }

  async function pick(chosen: LibraryTrack) {
    inFlight.current?.abort();
    const controller = new AbortController();
    inFlight.current = controller;
    const signal = controller.signal;
    let track = chosen;
    const download = async (): Promise<ArrayBuffer> =>
      fetchTrackBytes(track.stream_url ?? "", {
        signal,
        expectedBytes: track.size_bytes,
        onProgress: (progress) => setLoad({ phase: "downloading", track, progress }),
      });
    try {
      setLoad({ phase: "downloading", track, progress: { loadedBytes: 0, totalBytes: track.size_bytes } });
      let bytes: ArrayBuffer;
      try {
        bytes = await download();
      } catch (error) {
        if (!(error instanceof TrackLoadError && error.expired)) throw error;
        const fresh = await freshTrack(track);
        if (!fresh?.stream_url) throw new TrackLoadError("The track is no longer in the library (scan again?).");
        track = fresh;
        bytes = await download();
      }
      setLoad({ phase: "decoding", track });
      const { decodeTrack } = await import("@/lib/audio");
      let buffer: AudioBuffer;
      try {
        buffer = await decodeTrack(bytes);
      } catch {
        throw new TrackLoadError(`Your browser cannot decode this ${track.format ?? "audio"} file.`);
      }
      if (signal.aborted) return;
      onLoaded(track, buffer);
      setLoad({ phase: "idle" });
      setOpen(false);
    } catch (error) {
      if (signal.aborted) return;
      const message = error instanceof Error ? error.message : String(error);
      setLoad({ phase: "error", track, message });
    } finally {
      if (inFlight.current === controller) inFlight.current = null;
    }
  }

  function cancel() {
    inFlight.current?.abort();
    setLoad({ phase: "idle" });
  }

  function remove() {
    cancel();
    onRemove();
  }

  const busy = load.phase === "downloading" || load.phase === "decoding";
  const progress = load.phase === "downloading" ? load.progress : null;

  return (
    <section className="panel" aria-labelledby="music-heading">
      <h2 id="music-heading">Your music under the session</h2>
      <p role="status">
        {music
          ? `${music.filename} ${playing ? "plays under the session" : "will play under the session when you press Play"}.`
          : "No music chosen: the session plays its own sounds."}
      </p>
      {load.phase === "downloading" ? (
        <div className="load">
          <label htmlFor="music-progress">Downloading {load.track.filename}: {progress ? describeProgress(progress) : ""}</label>
          {progress?.totalBytes ? <progress id="music-progress" max={progress.totalBytes} value={progress.loadedBytes} /> : null}
        </div>
      ) : null}
      {load.phase === "decoding" ? <p className="muted">Decoding {load.track.filename}…</p> : null}
      {load.phase === "error" ? (
        <p className="error" role="alert">
          {load.track.filename} could not be used: {load.message}
        </p>
      ) : null}
      <label className="check">
        <input type="checkbox" checked={entrain} onChange={(e) => onEntrainChange(e.target.checked)} />
        <span>
          Gentle pulse on my music <span className="muted">(a soft rise and fall in loudness in time with the session, all the way
          through rather than only in its ambient parts)</span>
        </span>
      </label>
      <div className="row">
        <button className="secondary" type="button" aria-expanded={open} aria-controls="music-picker" onClick={() => setOpen(!open)}>
          {open ? "Hide the track list" : music ? "Choose another track" : "Choose a track"}
        </button>
        {busy ? (
          <button className="secondary" type="button" onClick={cancel}>
            Cancel loading
          </button>
        ) : null}
        {music ? (
          <button className="secondary" type="button" onClick={remove}>
            Remove music
          </button>
        ) : null}
      </div>
      <div id="music-picker">{open ? <MusicPicker targetBpm={targetBpm} currentTrackId={music?.trackId ?? null} busy={busy} onPick={pick} /> : null}</div>
    </section>
  );
}
