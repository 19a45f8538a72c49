import { describe, expect, it } from "vitest";

import {
  KEYS,
  NO_FILTERS,
  beatOffsetSec,
  describeFit,
  filtersToQuery,
  formatEta,
  libraryParams,
  pageInfo,
  rankForTempo,
  scanProgress,
  totalCount,
} from "@/lib/library";
import { tempoFit } from "@/lib/tempoMatch";
import type { LibraryTrack, ScanJob } from "@/lib/types";

function track(id: number, bpm: number | null, extra: Partial<LibraryTrack> = {}): LibraryTrack {
  return {
    id,
    filename: `t${id}.wav`,
    file_path: `t${id}.wav`,
    format: "wav",
    duration_sec: 120,
    bpm,
    key_signature: "A minor",
    tags: null,
    size_bytes: 1000,
    analyzed_at: "2025-01-01T00:00:00Z",
    error: null,
    stream_url: `/library/${id}/stream?exp=1&sig=x`,
    ...extra,
  };
}

function job(extra: Partial<ScanJob> = {}): ScanJob {
  return {
    job_id: "j",
    status: "running",
    directory: "/music",
    tracks_found: 0,
    tracks_analyzed: 0,
    skipped: 0,
    failed: 0,
    removed: 0,
    files_done: 0,
    files_total: null,
    current_file: null,
    errors: [],
    eta_sec: null,
    started_at: "2025-01-01T00:00:00Z",
    finished_at: null,
    elapsed_sec: 0,
    ...extra,
  };
}

describe("libraryParams", () => {
  it("sends only what is set, trimmed", () => {
    expect(libraryParams({ key: " ", format: "", q: "  rain ", order: "bpm" })).toEqual({ q: "rain", order: "bpm" });
    expect(libraryParams({ bpm_min: 0, bpm_max: 120, key: "F# major" })).toEqual({ bpm_min: 0, bpm_max: 120, key: "F# major" });
  });

  it("keeps limit and offset inside what the API accepts", () => {
    expect(libraryParams({ limit: 1000, offset: -5 })).toEqual({ limit: 500, offset: 0 });
    expect(libraryParams({ limit: 0, offset: 10.7 })).toEqual({ limit: 1, offset: 10 });
    expect(libraryParams({ bpm_min: Number.NaN })).toEqual({});
  });
});

describe("filtersToQuery", () => {
  it("turns the form into a query", () => {
    const result = filtersToQuery({ ...NO_FILTERS, bpmMin: "80", bpmMax: "", key: "A minor", q: "rain" }, 50, 100);
    expect(result).toEqual({
      query: { bpm_min: 80, bpm_max: undefined, key: "A minor", format: "", q: "rain", order: "filename", include_failed: true, limit: 50, offset: 100 },
    });
    expect(libraryParams("query" in result ? result.query : {})).toEqual({
      bpm_min: 80,
      key: "A minor",
      q: "rain",
      order: "filename",
      include_failed: "true",
      limit: 50,
      offset: 100,
    });
  });

  it("refuses a range upside down or a tempo that is not a number", () => {
    expect(filtersToQuery({ ...NO_FILTERS, bpmMin: "130", bpmMax: "90" }, 50, 0)).toEqual({ error: "The lowest tempo is above the highest." });
    expect(filtersToQuery({ ...NO_FILTERS, bpmMin: "fast" }, 50, 0)).toHaveProperty("error");
    expect(filtersToQuery({ ...NO_FILTERS, bpmMax: "-3" }, 50, 0)).toHaveProperty("error");
  });

  it("offers every key spelled as the analyzer spells it", () => {
    expect(KEYS).toHaveLength(24);
    expect(KEYS).toContain("F# major");
    expect(KEYS).toContain("A minor");
  });
});

describe("paging", () => {
  it("reads X-Total-Count, falling back when it is missing or odd", () => {
    expect(totalCount("123", 5)).toBe(123);
    expect(totalCount(null, 5)).toBe(5);
    expect(totalCount("", 5)).toBe(5);
    expect(totalCount("12.5", 5)).toBe(5);
    expect(totalCount("-1", 5)).toBe(5);
  });

  it("says where a page is", () => {
    expect(pageInfo(123, 50, 50, 50)).toEqual({ first: 51, last: 100, page: 2, pages: 3, previousOffset: 0, nextOffset: 100 });
    expect(pageInfo(123, 23, 50, 100)).toMatchObject({ first: 101, last: 123, page: 3, nextOffset: null });
    expect(pageInfo(0, 0, 50, 0)).toEqual({ first: 0, last: 0, page: 1, pages: 1, previousOffset: null, nextOffset: null });
  });
});

describe("scan progress", () => {
  it("counts before the total is known, then shows a fraction and an ETA", () => {
    expect(scanProgress(job({ status: "queued" }))).toMatchObject({ fraction: null, counts: "Waiting to start…" });
    expect(scanProgress(job({ files_done: 3 }))).toMatchObject({ fraction: null, counts: "Counting files… 3 files read so far" });
    const running = scanProgress(job({ files_done: 10, files_total: 40, eta_sec: 92 }));
    expect(running).toEqual({ fraction: 0.25, counts: "10 of 40 files", eta: "about 2 min left", outcome: null });
  });

  it("sums up a finished or failed scan", () => {
    const done = scanProgress(job({ status: "done", files_done: 3, files_total: 3, tracks_found: 3, tracks_analyzed: 2, failed: 1, elapsed_sec: 65, eta_sec: 0 }));
    expect(done).toMatchObject({ fraction: 1, eta: "" });
    expect(done.outcome).toBe("Scan finished in 1:05: 3 tracks found, 2 analysed, 1 could not be read.");
    expect(scanProgress(job({ status: "done", files_total: 0 })).fraction).toBe(1);
    const failed = scanProgress(job({ status: "failed", errors: [{ file: "", error: "directory is not readable" }] }));
    expect(failed.outcome).toBe("The scan stopped: directory is not readable.");
  });

  it("words the ETA calmly", () => {
    expect(formatEta(null)).toBe("");
    expect(formatEta(3)).toBe("a few seconds left");
    expect(formatEta(42)).toBe("about 40 s left");
    expect(formatEta(59)).toBe("about 60 s left");
    expect(formatEta(3 * 3600 + 5 * 60)).toBe("about 3 h 5 min left");
  });
});

describe("tempo fit", () => {
  it("matches at half, own or double time within 15 %", () => {
    expect(tempoFit(160, 80)).toMatchObject({ factor: 0.5, rate: 1, fits: true });
    expect(tempoFit(42, 80)).toMatchObject({ factor: 2, fits: true });
    expect(tempoFit(100, 80)).toMatchObject({ factor: 1, fits: false }); // 0.8× is too slow
    expect(describeFit(tempoFit(84, 80))).toBe("plays 5 % slower");
    expect(describeFit(tempoFit(40, 80))).toBe("plays at its own speed, matched at double time");
    expect(describeFit(null)).toBe("tempo unknown: plays at its own speed");
  });

  it("lists the tracks that fit first, closest first, and leaves out the unplayable", () => {
    const tracks = [
      track(1, 100),
      track(2, 84),
      track(3, 160),
      track(4, null),
      track(5, 80, { error: "not audio", stream_url: null }),
      track(6, 80, { duration_sec: 3600 }),
    ];
    const { near, other } = rankForTempo(tracks, 80);
    expect(near.map((c) => c.track.id)).toEqual([3, 2]);
    expect(other.map((c) => c.track.id)).toEqual([1, 4, 6]);
    expect(other.find((c) => c.track.id === 6)?.unavailable).toMatch(/too big/);
  });

  it("reads the beat grid's offset from the tags when the scan kept it", () => {
    expect(beatOffsetSec(track(1, 80, { tags: { beat_offset_sec: 0.25 } }))).toBe(0.25);
    expect(beatOffsetSec(track(1, 80, { tags: { beat_offset_sec: "x" } }))).toBeUndefined();
    expect(beatOffsetSec(track(1, 80))).toBeUndefined();
  });
});
