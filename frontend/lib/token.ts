/**
 * What the app can tell about its access token without asking the server: the token is a JWT
 * whose payload carries `exp` (seconds since the epoch). Reading it is not verifying it (the server
 * does that); it only spares a request that could only answer 401.
 */

/** The token's expiry in seconds since the epoch, or null if it cannot be read. */
export function tokenExpiry(token: string): number | null {
  const payload = token.split(".")[1];
  if (!payload) return null;
  try {
    const base64 = payload.replace(/-/g, "+").replace(/_/g, "/");
    const claims: unknown = JSON.parse(atob(base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), "=")));
    const exp = (claims as { exp?: unknown } | null)?.exp;
    return typeof exp === "number" && Number.isFinite(exp) ? exp : null;
  } catch {
    return null;
  }
}

/** Whether the token has certainly expired (an unreadable token is left for the server to judge). */
export function tokenExpired(token: string, nowSec: number = Date.now() / 1000): boolean {
  const exp = tokenExpiry(token);
  return exp !== null && exp <= nowSec;
}
