"use client";

import { useEffect, useState } from "react";

/**
 * Registers the service worker (out/sw.js, written by scripts/serviceWorker.mjs) in the built app,
 * so the app opens offline. When a newer build's worker is waiting, offers to switch to it: the
 * reload is the listener's choice, so a playing session is never cut short by an update.
 */
export default function AppUpdates() {
  const [waiting, setWaiting] = useState<ServiceWorker | null>(null);

  useEffect(() => {
    if (process.env.NODE_ENV !== "production" || !("serviceWorker" in navigator)) return;
    let cancelled = false;
    const offer = (registration: ServiceWorkerRegistration) => {
      if (!cancelled && registration.waiting && navigator.serviceWorker.controller) setWaiting(registration.waiting);
    };
    navigator.serviceWorker
      .register("/sw.js", { scope: "/" })
      .then((registration) => {
        offer(registration);
        registration.addEventListener("updatefound", () => {
          registration.installing?.addEventListener("statechange", () => offer(registration));
        });
      })
      .catch(() => {
        // No worker (a browser that refuses it, or no network on a first visit): the app works online as before.
      });
    return () => {
      cancelled = true;
    };
  }, []);

  if (!waiting) return null;
  return (
    <div className="update-banner" role="status">
      A new version of NeuroTune is ready.{" "}
      <button
        className="secondary"
        type="button"
        onClick={() => {
          navigator.serviceWorker.addEventListener("controllerchange", () => window.location.reload(), { once: true });
          waiting.postMessage({ type: "SKIP_WAITING" });
        }}
      >
        Reload to update
      </button>
    </div>
  );
}
