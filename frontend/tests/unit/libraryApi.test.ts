import { afterEach, describe, expect, it, vi } from "vitest";

import { api } from "@/lib/api";
import { makeStore } from "@/stores/store";

/** Node's Request refuses relative URLs; the app's are same-origin, so resolve them like a page would. */
const PageRequest = class extends Request {
  constructor(input: RequestInfo | URL, init?: RequestInit) {
    super(typeof input === "string" ? new URL(input, "http://app.test") : input, init);
  }
};

afterEach(() => vi.unstubAllGlobals());

describe("the library endpoint", () => {
  it("sends the filters and exposes X-Total-Count", async () => {
    const urls: string[] = [];
    vi.stubGlobal("Request", PageRequest);
    vi.stubGlobal("fetch", async (request: Request) => {
      urls.push(request.url);
      return new Response(JSON.stringify([{ id: 1 }]), { headers: { "Content-Type": "application/json", "X-Total-Count": "321" } });
    });
    const store = makeStore();
    const result = await store.dispatch(api.endpoints.library.initiate({ bpm_min: 80, key: "F# major", q: "", limit: 50, offset: 50, order: "-bpm" }));
    expect(result.data).toEqual({ tracks: [{ id: 1 }], total: 321 });
    expect(urls).toEqual(["http://app.test/library?bpm_min=80&key=F%23+major&limit=50&offset=50&order=-bpm"]);
  });

  it("counts what it got when the header is missing", async () => {
    vi.stubGlobal("Request", PageRequest);
    vi.stubGlobal("fetch", async () => new Response("[{}, {}]", { headers: { "Content-Type": "application/json" } }));
    const store = makeStore();
    const result = await store.dispatch(api.endpoints.library.initiate({ limit: 50, offset: 100 }));
    expect(result.data?.total).toBe(102);
  });
});
