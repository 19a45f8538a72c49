import { useSyncExternalStore } from "react";

import { loadToken } from "./api";

function subscribe(onChange: () => void): () => void {
  window.addEventListener("storage", onChange); // signed in or out in another tab
  return () => window.removeEventListener("storage", onChange);
}

/**
 * Whether a token is stored, so the header can show the signed-in links before /auth/me answers.
 * False while prerendering (the static HTML is the signed-out page). In this tab the value is read
 * again on every render, and signing in or out re-renders the header (the API state is reset).
 */
export function useHasStoredToken(): boolean {
  return useSyncExternalStore(
    subscribe,
    () => loadToken() !== null,
    () => false,
  );
}
