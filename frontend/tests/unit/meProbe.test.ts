import { afterEach, describe, expect, it, vi } from "vitest";

import { api } from "@/lib/api";
import { makeStore } from "@/stores/store";

const PageRequest = class extends Request {
  constructor(input: RequestInfo | URL, init?: RequestInit) {
    super(typeof input === "string" ? new URL(input, "http://app.test") : input, init);
  }
};

function jwt(exp: number): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "HS256" })}.${part({ sub: "1", exp })}.sig`;
}

/** A page's window with a localStorage, holding `token` if given; fetch records its URLs. */
function page(token: string | null, status = 200) {
  const stored = new Map<string, string>(token ? [["neurotune.token", token]] : []);
  const localStorage = {
    getItem: (key: string) => stored.get(key) ?? null,
    setItem: (key: string, value: string) => void stored.set(key, value),
    removeItem: (key: string) => void stored.delete(key),
  };
  const urls: string[] = [];
  vi.stubGlobal("window", { localStorage });
  vi.stubGlobal("Request", PageRequest);
  vi.stubGlobal("fetch", async (request: Request) => {
    urls.push(request.url);
    const body = status === 200 ? { id: 1, username: "ada" } : { detail: "Not authenticated" };
    return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
  });
  return { stored, urls };
}

afterEach(() => vi.unstubAllGlobals());

describe("who is signed in (GET /auth/me)", () => {
  it("answers signed out without a request when no token is stored", async () => {
    const { urls } = page(null);
    const result = await makeStore().dispatch(api.endpoints.me.initiate());
    expect(result.error).toMatchObject({ status: 401 });
    expect(urls).toEqual([]);
  });

  it("forgets an expired token without a request", async () => {
    const { urls, stored } = page(jwt(Date.now() / 1000 - 60));
    const result = await makeStore().dispatch(api.endpoints.me.initiate());
    expect(result.error).toMatchObject({ status: 401 });
    expect(urls).toEqual([]);
    expect(stored.has("neurotune.token")).toBe(false);
  });

  it("asks the server with a live token", async () => {
    const { urls } = page(jwt(Date.now() / 1000 + 600));
    const result = await makeStore().dispatch(api.endpoints.me.initiate());
    expect(result.data).toMatchObject({ username: "ada" });
    expect(urls).toEqual(["http://app.test/auth/me"]);
  });

  it("forgets a token the server refuses", async () => {
    const { stored } = page(jwt(Date.now() / 1000 + 600), 401);
    const result = await makeStore().dispatch(api.endpoints.me.initiate());
    expect(result.error).toMatchObject({ status: 401 });
    expect(stored.has("neurotune.token")).toBe(false);
  });
});
