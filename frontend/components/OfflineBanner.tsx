"use client";

import { useOnline } from "@/lib/useOnline";

/**
 * Says so while the browser is offline, on every page (the layout shows it). The app itself opens
 * from the service worker's cache; what needs the server waits for the connection.
 */
export default function OfflineBanner() {
  const online = useOnline();
  return (
    <div role="status" className={online ? "visually-hidden" : "offline-banner"} data-testid="offline-banner">
      {online
        ? ""
        : "You are offline. A session you have started keeps playing (ending it is sent when you are back online); starting sessions, your history and your music need the server."}
    </div>
  );
}
