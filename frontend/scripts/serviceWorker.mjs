/**
 * Writes out/sw.js after `next build` (npm run build runs both): Workbox's generateSW precaches
 * every page of the static export, its RSC payloads, scripts, styles, icons and the manifest, so
 * the app opens with no network. Of the API only GET /auth/me is kept (network first, the last
 * answer when offline), so the app still knows who is signed in; everything else needs the server,
 * and the pages say so when it cannot be reached (components/OfflineBanner.tsx).
 *
 * - `/session/?id=7` is served by the precached `session/index.html`: the static export's files
 *   never depend on their query (and Next's `?_rsc=` cache-buster must not miss the cache either),
 *   so every query parameter is ignored when matching.
 * - A new build's worker waits until the listener chooses to reload (components/AppUpdates.tsx
 *   asks it to skip waiting), so a playing session is never cut off by an update.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";

import { generateSW } from "workbox-build";

/** Must match components/SiteHeader.tsx, which deletes it on signing out. */
const ME_CACHE = "neurotune-me";
const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../out");

const { count, size, warnings } = await generateSW({
  globDirectory: out,
  globPatterns: ["**/*.{html,txt,js,css,woff2,svg,png,ico,webmanifest}"],
  globIgnores: ["sw.js", "workbox-*.js"],
  swDest: path.join(out, "sw.js"),
  mode: "production",
  sourcemap: false,
  inlineWorkboxRuntime: true,
  cacheId: "neurotune",
  clientsClaim: true,
  skipWaiting: false,
  cleanupOutdatedCaches: true,
  directoryIndex: "index.html",
  ignoreURLParametersMatching: [/.*/],
  // Content-hashed names: the URL is the revision.
  dontCacheBustURLsMatching: /^_next\/static\//,
  maximumFileSizeToCacheInBytes: 4 * 1024 * 1024,
  runtimeCaching: [
    {
      // Only 200s are kept; signing out deletes this cache (components/SiteHeader.tsx).
      urlPattern: ({ url, sameOrigin }) => sameOrigin && url.pathname === "/auth/me",
      handler: "NetworkFirst",
      method: "GET",
      options: { cacheName: ME_CACHE, expiration: { maxEntries: 1 } },
    },
  ],
});
for (const warning of warnings) console.warn(`service worker: ${warning}`);
console.log(`service worker: out/sw.js precaches ${count} files, ${(size / 1024).toFixed(0)} kB`);
