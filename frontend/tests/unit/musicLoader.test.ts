import { afterEach, describe, expect, it, vi } from "vitest";

import { describeProgress, fetchTrackBytes, TrackLoadError } from "@/lib/musicLoader";

function streamOf(chunks: number[][]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(Uint8Array.from(chunk));
      controller.close();
    },
  });
}

afterEach(() => vi.unstubAllGlobals());

describe("fetchTrackBytes", () => {
  it("joins the chunks and reports progress against Content-Length", async () => {
    vi.stubGlobal("fetch", async () => new Response(streamOf([[1, 2], [3], [4, 5, 6]]), { headers: { "Content-Length": "6" } }));
    const seen: [number, number | null][] = [];
    const bytes = await fetchTrackBytes("/library/1/stream?exp=1&sig=x", { onProgress: (p) => seen.push([p.loadedBytes, p.totalBytes]) });
    expect([...new Uint8Array(bytes)]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(seen).toEqual([
      [0, 6],
      [2, 6],
      [3, 6],
      [6, 6],
    ]);
  });

  it("falls back to the size the library recorded", async () => {
    vi.stubGlobal("fetch", async () => new Response(streamOf([[1]])));
    const totals: (number | null)[] = [];
    await fetchTrackBytes("/x", { expectedBytes: 10, onProgress: (p) => totals.push(p.totalBytes) });
    expect(totals.at(-1)).toBe(10);
  });

  it("says when the signed link expired, so the caller can get a fresh one", async () => {
    vi.stubGlobal("fetch", async () => new Response("{}", { status: 403 }));
    const error = await fetchTrackBytes("/x").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrackLoadError);
    expect((error as TrackLoadError).expired).toBe(true);
    vi.stubGlobal("fetch", async () => new Response("{}", { status: 500 }));
    expect(await fetchTrackBytes("/x").catch((e: TrackLoadError) => [e.expired, e.message])).toEqual([false, "The track could not be downloaded (HTTP 500)."]);
  });
});

describe("describeProgress", () => {
  it("reads sizes in kB and MB", () => {
    expect(describeProgress({ loadedBytes: 512 * 1024, totalBytes: 3 * 1024 * 1024 })).toBe("512 kB of 3.0 MB");
    expect(describeProgress({ loadedBytes: 1.5 * 1024 * 1024, totalBytes: null })).toBe("1.5 MB");
  });
});
