import { describe, expect, it } from "vitest";

import { tokenExpired, tokenExpiry } from "@/lib/token";

function jwt(claims: object): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "HS256", typ: "JWT" })}.${part(claims)}.signature`;
}

describe("tokenExpiry", () => {
  it("reads exp from a base64url payload", () => {
    expect(tokenExpiry(jwt({ sub: "1", exp: 1_900_000_000, note: "ü?>" }))).toBe(1_900_000_000);
  });

  it("is null for what it cannot read", () => {
    expect(tokenExpiry("not a token")).toBeNull();
    expect(tokenExpiry("a.%%%.c")).toBeNull();
    expect(tokenExpiry(jwt({ sub: "1" }))).toBeNull();
    expect(tokenExpiry(jwt({ exp: "soon" }))).toBeNull();
  });
});

describe("tokenExpired", () => {
  it("is true only once exp has passed", () => {
    const token = jwt({ exp: 1000 });
    expect(tokenExpired(token, 999)).toBe(false);
    expect(tokenExpired(token, 1000)).toBe(true);
  });

  it("leaves an unreadable token to the server", () => {
    expect(tokenExpired("opaque", 5e9)).toBe(false);
  });
});
