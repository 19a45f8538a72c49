/**
 * The music library's pure parts: query parameters for GET /library, paging from X-Total-Count,
 * scan progress wording, and which tracks fit a session's tempo. No fetching here (lib/api.ts does
 * that), so all of it is unit-tested.
 */
import { clamp } from "./safetyLimits";
import { formatClock } from "./scheduleMath";
import { tempoFit, type TempoFit } from "./tempoMatch";
import type { AudioFormat, LibraryOrder, LibraryTrack, ScanJob } from "./types";

export const PAGE_LIMIT_MAX = 500;
export const FORMATS: readonly AudioFormat[] = ["wav", "flac", "mp3", "ogg", "opus"];
const PITCH_CLASSES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"] as const;
/** Every key the analyzer reports, spelled as it spells them ("F# major", "A minor"). */
export const KEYS: readonly string[] = (["major", "minor"] as const).flatMap((mode) => PITCH_CLASSES.map((pc) => `${pc} ${mode}`));

export const ORDERS: readonly { value: LibraryOrder; label: string }[] = [
  { value: "filename", label: "Name (A–Z)" },
  { value: "-filename", label: "Name (Z–A)" },
  { value: "bpm", label: "Tempo (slowest first)" },
  { value: "-bpm", label: "Tempo (fastest first)" },
  { value: "duration", label: "Length (shortest first)" },
  { value: "-duration", label: "Length (longest first)" },
  { value: "-added", label: "Newest first" },
  { value: "added", label: "Oldest first" },
];

/** Arguments of GET /library; absent ones are not sent. */
export interface LibraryQuery {
  bpm_min?: number;
  bpm_max?: number;
  key?: string;
  format?: string;
  q?: string;
  limit?: number;
  offset?: number;
  order?: LibraryOrder;
  /** Also list the files that could not be analysed (the API leaves them out by default). */
  include_failed?: boolean;
}

/** One page of the library and how many tracks match in all. */
export interface LibraryPage {
  tracks: LibraryTrack[];
  total: number;
}

/** The query string for GET /library: blanks dropped, limit 1–500, offset a whole number ≥ 0. */
export function libraryParams(query: LibraryQuery): Record<string, string | number> {
  const params: Record<string, string | number> = {};
  if (query.bpm_min !== undefined && Number.isFinite(query.bpm_min)) params.bpm_min = query.bpm_min;
  if (query.bpm_max !== undefined && Number.isFinite(query.bpm_max)) params.bpm_max = query.bpm_max;
  for (const name of ["key", "format", "q"] as const) {
    const value = query[name]?.trim();
    if (value) params[name] = value;
  }
  if (query.limit !== undefined) params.limit = clamp(Math.floor(query.limit), 1, PAGE_LIMIT_MAX);
  if (query.offset !== undefined) params.offset = Math.max(0, Math.floor(query.offset));
  if (query.order) params.order = query.order;
  if (query.include_failed) params.include_failed = "true";
  return params;
}

/** The filter form as typed: strings, "" meaning "any". */
export interface LibraryFilters {
  bpmMin: string;
  bpmMax: string;
  key: string;
  format: string;
  q: string;
  order: LibraryOrder;
}

export const NO_FILTERS: LibraryFilters = { bpmMin: "", bpmMax: "", key: "", format: "", q: "", order: "filename" };

/** The form as a query, or why it cannot be one (the form shows the reason, nothing is sent). */
export function filtersToQuery(filters: LibraryFilters, limit: number, offset: number): { query: LibraryQuery } | { error: string } {
  const bpm = (text: string, label: string): number | undefined | string => {
    if (text.trim() === "") return undefined;
    const value = Number(text);
    return Number.isFinite(value) && value >= 0 ? value : `${label} must be a number of beats per minute.`;
  };
  const bpmMin = bpm(filters.bpmMin, "Lowest tempo");
  const bpmMax = bpm(filters.bpmMax, "Highest tempo");
  if (typeof bpmMin === "string") return { error: bpmMin };
  if (typeof bpmMax === "string") return { error: bpmMax };
  if (bpmMin !== undefined && bpmMax !== undefined && bpmMin > bpmMax) {
    return { error: "The lowest tempo is above the highest." };
  }
  return {
    query: {
      bpm_min: bpmMin,
      bpm_max: bpmMax,
      key: filters.key,
      format: filters.format,
      q: filters.q,
      order: filters.order,
      include_failed: true,
      limit,
      offset,
    },
  };
}

/** X-Total-Count as a number; `fallback` when the header is missing or not a count. */
export function totalCount(header: string | null | undefined, fallback: number): number {
  if (header === null || header === undefined || header.trim() === "") return fallback;
  const value = Number(header);
  return Number.isInteger(value) && value >= 0 ? value : fallback;
}

export interface PageInfo {
  /** 1-based positions of the first and last track shown; 0 and 0 when there are none. */
  first: number;
  last: number;
  page: number;
  pages: number;
  previousOffset: number | null;
  nextOffset: number | null;
}

export function pageInfo(total: number, shown: number, limit: number, offset: number): PageInfo {
  const pages = Math.max(1, Math.ceil(total / limit));
  return {
    first: shown > 0 ? offset + 1 : 0,
    last: offset + shown,
    page: Math.floor(offset / limit) + 1,
    pages,
    previousOffset: offset > 0 ? Math.max(0, offset - limit) : null,
    nextOffset: offset + limit < total ? offset + limit : null,
  };
}

/** The scanned folder in words ("." is the library root itself). */
export function scanTarget(job: ScanJob): string {
  return job.directory === "." || job.directory === "" ? "your music folder" : job.directory;
}

export function isScanFinished(job: ScanJob): boolean {
  return job.status === "done" || job.status === "failed";
}

/** "about 40 s left", rounded so that it does not flicker; "" when unknown. */
export function formatEta(sec: number | null): string {
  if (sec === null || !Number.isFinite(sec) || sec < 0) return "";
  if (sec < 10) return "a few seconds left";
  if (sec < 60) return `about ${Math.round(sec / 5) * 5} s left`;
  const minutes = Math.round(sec / 60);
  if (minutes < 60) return `about ${minutes} min left`;
  return `about ${Math.floor(minutes / 60)} h ${minutes % 60} min left`;
}

export interface ScanProgress {
  /** Done / total in 0–1, or null while the total is not known yet. */
  fraction: number | null;
  /** One line for the bar's label: "12 of 40 files", "Counting files…". */
  counts: string;
  eta: string;
  /** One sentence when the scan is over, for a polite announcement. */
  outcome: string | null;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

export function scanProgress(job: ScanJob): ScanProgress {
  const total = job.files_total;
  const fraction = total === null ? null : total === 0 ? 1 : Math.min(1, job.files_done / total);
  const counts =
    job.status === "queued"
      ? "Waiting to start…"
      : total === null
        ? `Counting files… ${plural(job.files_done, "file")} read so far`
        : `${job.files_done} of ${plural(total, "file")}`;
  let outcome: string | null = null;
  if (job.status === "done") {
    const parts = [
      `${plural(job.tracks_found, "track")} found`,
      `${job.tracks_analyzed} analysed`,
      job.skipped ? `${job.skipped} unchanged` : "",
      job.failed ? `${job.failed} could not be read` : "",
      job.removed ? `${job.removed} removed` : "",
    ];
    outcome = `Scan finished in ${formatClock(job.elapsed_sec)}: ${parts.filter(Boolean).join(", ")}.`;
  } else if (job.status === "failed") {
    outcome = `The scan stopped: ${job.errors.at(-1)?.error ?? "unknown error"}.`;
  }
  return { fraction, counts, eta: isScanFinished(job) ? "" : formatEta(job.eta_sec), outcome };
}

export function formatBpm(bpm: number | null): string {
  return bpm === null ? "—" : `${Math.round(bpm * 10) / 10}`;
}

export function formatDuration(sec: number | null): string {
  return sec === null ? "—" : formatClock(sec);
}

/** Where the analyzer put the first downbeat, if the scan kept it (in `tags`), for beat locking. */
export function beatOffsetSec(track: LibraryTrack): number | undefined {
  const value = track.tags?.beat_offset_sec;
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * Longest track the picker will decode: a decoded track is held whole in memory as 32-bit
 * samples (~23 MB a minute in stereo at 48 kHz), and the engine loops it anyway.
 */
export const MUSIC_MAX_SEC = 10 * 60;

export interface TrackChoice {
  track: LibraryTrack;
  /** How it fits the session's tempo; null when the track has no tempo. */
  fit: TempoFit | null;
  /** Why it cannot be chosen, or null. */
  unavailable: string | null;
}

/**
 * The picker's list: playable tracks that fit the session's tempo first (closest fit first),
 * then the rest in the order given. Failed files are left out; over-long ones say why.
 */
export function rankForTempo(tracks: readonly LibraryTrack[], targetBpm: number): { near: TrackChoice[]; other: TrackChoice[] } {
  const choices = tracks
    .filter((track) => track.error === null && track.stream_url !== null)
    .map((track): TrackChoice => ({
      track,
      fit: track.bpm !== null && track.bpm > 0 && targetBpm > 0 ? tempoFit(track.bpm, targetBpm) : null,
      unavailable:
        track.duration_sec !== null && track.duration_sec > MUSIC_MAX_SEC
          ? `longer than ${MUSIC_MAX_SEC / 60} minutes, too big to loop`
          : null,
    }));
  const near = choices
    .filter((c) => c.fit?.fits && c.unavailable === null)
    .sort((a, b) => Math.abs(Math.log(a.fit?.rate ?? 1)) - Math.abs(Math.log(b.fit?.rate ?? 1)));
  return { near, other: choices.filter((c) => !near.includes(c)) };
}

/** "plays 4 % faster, matched at double time": how a track will be fitted, in words. */
export function describeFit(fit: TempoFit | null): string {
  if (fit === null) return "tempo unknown: plays at its own speed";
  if (!fit.fits) return "too far from the session's tempo to match";
  const percent = Math.round((fit.rate - 1) * 100);
  const speed = percent === 0 ? "plays at its own speed" : `plays ${Math.abs(percent)} % ${percent > 0 ? "faster" : "slower"}`;
  const time = fit.factor === 2 ? ", matched at double time" : fit.factor === 0.5 ? ", matched at half time" : "";
  return speed + time;
}
