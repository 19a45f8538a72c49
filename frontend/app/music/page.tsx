"use client";

import { skipToken } from "@reduxjs/toolkit/query/react";
import Link from "next/link";
import { useState } from "react";

import ErrorAlert from "@/components/ErrorAlert";
import LibraryScan from "@/components/LibraryScan";
import TrackPreview from "@/components/TrackPreview";
import TrackTable from "@/components/TrackTable";
import { api, useLibraryQuery, useMeQuery } from "@/lib/api";
import { FORMATS, KEYS, NO_FILTERS, ORDERS, filtersToQuery, pageInfo, type LibraryFilters } from "@/lib/library";
import type { LibraryOrder, LibraryTrack } from "@/lib/types";
import { useDebounced } from "@/lib/useDebounced";
import { useAppDispatch } from "@/stores/store";

const PAGE_SIZES = [25, 50, 100] as const;

function Library({ volumeCap }: { volumeCap: number }) {
  const dispatch = useAppDispatch();
  const [filters, setFilters] = useState<LibraryFilters>(NO_FILTERS);
  const [limit, setLimit] = useState<number>(50);
  const [offset, setOffset] = useState(0);
  const [preview, setPreview] = useState<LibraryTrack | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);
  const [refreshedFor, setRefreshedFor] = useState<number | null>(null);
  const applied = useDebounced(filters, 350);
  const request = filtersToQuery(applied, limit, offset);
  const { data, error, isFetching } = useLibraryQuery("query" in request ? request.query : skipToken);

  const set = <K extends keyof LibraryFilters>(key: K, value: LibraryFilters[K]) => {
    setFilters({ ...filters, [key]: value });
    setOffset(0);
  };
  // A refetched list carries fresh signed links: the player follows its track's new one.
  const previewTrack = preview ? (data?.tracks.find((t) => t.id === preview.id) ?? preview) : null;
  const paging = data ? pageInfo(data.total, data.tracks.length, limit, offset) : null;

  function startPreview(track: LibraryTrack) {
    setPreview(track);
    setPreviewError(null);
  }

  function previewFailed() {
    if (!previewTrack) return;
    if (refreshedFor !== previewTrack.id) {
      // Most likely the signed link expired: fetch the list again for a fresh one, once.
      setRefreshedFor(previewTrack.id);
      dispatch(api.util.invalidateTags(["Library"]));
      return;
    }
    setPreviewError(`${previewTrack.filename} could not be played in this browser.`);
  }

  return (
    <>
      <section className="panel" aria-labelledby="library-heading">
        <h1 id="library-heading">Your music</h1>
        <p className="muted">
          Tracks from your own folders, with the tempo and key NeuroTune found in each. Pick one in a session to play it
          under the session&apos;s sounds.
        </p>
        <form role="search" aria-label="Filter tracks" className="filters" onSubmit={(e) => e.preventDefault()}>
          <div>
            <label htmlFor="q">Name contains</label>
            <input id="q" type="search" autoComplete="off" value={filters.q} onChange={(e) => set("q", e.target.value)} />
          </div>
          <div>
            <label htmlFor="bpm-min">Tempo from (BPM)</label>
            <input id="bpm-min" type="number" inputMode="decimal" min={0} max={300} value={filters.bpmMin} onChange={(e) => set("bpmMin", e.target.value)} />
          </div>
          <div>
            <label htmlFor="bpm-max">Tempo to (BPM)</label>
            <input id="bpm-max" type="number" inputMode="decimal" min={0} max={300} value={filters.bpmMax} onChange={(e) => set("bpmMax", e.target.value)} />
          </div>
          <div>
            <label htmlFor="key">Key</label>
            <select id="key" value={filters.key} onChange={(e) => set("key", e.target.value)}>
              <option value="">Any key</option>
              {KEYS.map((key) => (
                <option key={key} value={key}>
                  {key}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="format">Format</label>
            <select id="format" value={filters.format} onChange={(e) => set("format", e.target.value)}>
              <option value="">Any format</option>
              {FORMATS.map((format) => (
                <option key={format} value={format}>
                  {format}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="order">Sort by</label>
            <select id="order" value={filters.order} onChange={(e) => set("order", e.target.value as LibraryOrder)}>
              {ORDERS.map((order) => (
                <option key={order.value} value={order.value}>
                  {order.label}
                </option>
              ))}
            </select>
          </div>
          <div className="filters-actions">
            <button
              className="secondary"
              type="button"
              onClick={() => {
                setFilters(NO_FILTERS);
                setOffset(0);
              }}
            >
              Clear filters
            </button>
          </div>
        </form>
        {"error" in request ? (
          <p className="error" role="alert">
            {request.error}
          </p>
        ) : null}
      </section>

      <LibraryScan />

      {previewTrack ? (
        <TrackPreview
          track={previewTrack}
          volumeCap={volumeCap}
          onClose={() => setPreview(null)}
          onFailed={previewFailed}
        />
      ) : null}
      {previewError ? (
        <p className="error" role="alert">
          {previewError}
        </p>
      ) : null}

      <section className="panel" aria-labelledby="tracks-heading">
        <h2 id="tracks-heading">Tracks</h2>
        <ErrorAlert error={error} />
        <p role="status" className="muted">
          {isFetching && !data
            ? "Loading…"
            : paging && data
              ? data.total === 0
                ? "No tracks match. Scan your folders, or loosen the filters."
                : `Tracks ${paging.first}–${paging.last} of ${data.total}`
              : ""}
        </p>
        {data && data.tracks.length > 0 ? (
          <TrackTable tracks={data.tracks} busy={isFetching} previewingId={previewTrack?.id ?? null} onPreview={startPreview} />
        ) : null}
        {paging && paging.pages > 1 ? (
          <nav className="row pager" aria-label="Pages of tracks">
            <button
              className="secondary"
              type="button"
              disabled={paging.previousOffset === null}
              onClick={() => setOffset(paging.previousOffset ?? 0)}
            >
              Previous page
            </button>
            <span>
              Page {paging.page} of {paging.pages}
            </span>
            <button
              className="secondary"
              type="button"
              disabled={paging.nextOffset === null}
              onClick={() => setOffset(paging.nextOffset ?? offset)}
            >
              Next page
            </button>
          </nav>
        ) : null}
        <label htmlFor="page-size">Tracks per page</label>
        <select
          id="page-size"
          className="narrow"
          value={limit}
          onChange={(e) => {
            setLimit(Number(e.target.value));
            setOffset(0);
          }}
        >
          {PAGE_SIZES.map((size) => (
            <option key={size} value={size}>
              {size}
            </option>
          ))}
        </select>
      </section>
    </>
  );
}

export default function MusicPage() {
  const { data: me, error, isLoading } = useMeQuery();
  if (isLoading) return <p className="muted">Loading…</p>;
  if (error || !me) {
    return (
      <section className="panel">
        <h1>Your music</h1>
        <p>
          <Link href="/login/">Sign in</Link> to see your music library.
        </p>
      </section>
    );
  }
  return <Library volumeCap={me.preferences.volume_max} />;
}
