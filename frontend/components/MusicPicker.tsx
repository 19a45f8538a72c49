"use client";

import Link from "next/link";
import { useState } from "react";

import ErrorAlert from "@/components/ErrorAlert";
import { useLibraryQuery } from "@/lib/api";
import { describeFit, formatBpm, formatDuration, PAGE_LIMIT_MAX, rankForTempo, type TrackChoice } from "@/lib/library";
import type { LibraryTrack } from "@/lib/types";
import { useDebounced } from "@/lib/useDebounced";

const SHOWN = 8;

interface Props {
  targetBpm: number;
  currentTrackId: number | null;
  busy: boolean;
  onPick: (track: LibraryTrack) => void;
}

function TrackList({ choices, currentTrackId, busy, onPick, label }: Omit<Props, "targetBpm"> & { choices: TrackChoice[]; label: string }) {
  const [all, setAll] = useState(false);
  const shown = all ? choices : choices.slice(0, SHOWN);
  return (
    <>
      <ul className="tracks-pick" aria-label={label}>
        {shown.map(({ track, fit, unavailable }) => (
          <li key={track.id}>
            <button
              className="secondary"
              type="button"
              disabled={busy || unavailable !== null || track.id === currentTrackId}
              onClick={() => onPick(track)}
            >
              {/* The visible word starts the button's name (WCAG 2.5.3, label in name); the rest says which track. */}
              {track.id === currentTrackId ? "Playing" : "Play"}
              <span className="visually-hidden">
                {track.id === currentTrackId ? ` ${track.filename} now` : ` ${track.filename} under the session`}
              </span>
            </button>
            <span>
              <strong>{track.filename}</strong>{" "}
              <span className="muted">
                {formatBpm(track.bpm)} BPM · {track.key_signature ?? "key unknown"} · {formatDuration(track.duration_sec)} ·{" "}
                {unavailable ?? describeFit(fit)}
              </span>
            </span>
          </li>
        ))}
      </ul>
      {choices.length > SHOWN ? (
        <button className="secondary" type="button" onClick={() => setAll(!all)}>
          {all ? "Show fewer" : `Show all ${choices.length}`}
        </button>
      ) : null}
    </>
  );
}

/** The library, tracks that fit the session's tempo first, with a search. */
export default function MusicPicker({ targetBpm, currentTrackId, busy, onPick }: Props) {
  const [search, setSearch] = useState("");
  const q = useDebounced(search.trim());
  const { data, error, isFetching } = useLibraryQuery({ q, limit: PAGE_LIMIT_MAX, order: "bpm" });
  const { near, other } = rankForTempo(data?.tracks ?? [], targetBpm);
  const bpm = Math.round(targetBpm);

  return (
    <div>
      <label htmlFor="music-search">Search your library</label>
      <input id="music-search" type="search" value={search} onChange={(e) => setSearch(e.target.value)} autoComplete="off" />
      <ErrorAlert error={error} />
      {data && data.total > data.tracks.length ? (
        <p className="muted">
          Showing {data.tracks.length} of {data.total} tracks; search to find others.
        </p>
      ) : null}
      {data && data.total === 0 && !q ? (
        <p>
          Your library is empty. <Link href="/music/">Scan it on the Music page</Link>.
        </p>
      ) : null}
      {data && data.total === 0 && q ? <p className="muted">No track matches “{q}”.</p> : null}
      {isFetching && !data ? <p className="muted">Loading…</p> : null}
      {near.length > 0 ? (
        <>
          <h3>Fit the session&apos;s tempo (~{bpm} BPM)</h3>
          <TrackList choices={near} currentTrackId={currentTrackId} busy={busy} onPick={onPick} label={`Tracks near ${bpm} BPM`} />
        </>
      ) : null}
      {other.length > 0 ? (
        <>
          <h3>Other tracks</h3>
          {near.length === 0 ? (
            <p className="muted">No track is within 15 % of ~{bpm} BPM (at half, its own or double time).</p>
          ) : null}
          <TrackList choices={other} currentTrackId={currentTrackId} busy={busy} onPick={onPick} label="Other tracks" />
        </>
      ) : null}
    </div>
  );
}
