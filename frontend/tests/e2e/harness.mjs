/**
 * What every e2e file needs: the real backend on a free port (SQLite in a temp dir) serving the
 * built app, headless Debian Chromium, a signed-up listener, and a place for screenshots.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
export const frontend = path.resolve(here, "../..");
export const repo = path.resolve(frontend, "..");
export const python = path.join(repo, ".venv/bin/python");
export const shots = path.join(frontend, "test-results");

const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--autoplay-policy=no-user-gesture-required",
];

async function freePort() {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts `neurotune serve` with a fresh data dir and `env` on top, waits for /health, and
 * launches Chromium. `stop()` closes both.
 */
export async function startApp(env = {}) {
  mkdirSync(shots, { recursive: true });
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), "neurotune-e2e-"));
  const serverEnv = {
    ...process.env,
    NEUROTUNE_DATA_DIR: dataDir,
    NEUROTUNE_WEB_DIR: path.join(frontend, "out"),
    // The server creates its first library root: keep it in the temp dir, not the checkout.
    NEUROTUNE_LIBRARY_ROOTS: JSON.stringify([path.join(dataDir, "music")]),
    ...env,
  };
  delete serverEnv.NEUROTUNE_DATABASE_URL;
  const server = spawn(python, ["-m", "backend.cli", "serve", "--port", String(port)], {
    cwd: repo,
    env: serverEnv,
    stdio: ["ignore", "ignore", "inherit"],
  });
  let browser;
  try {
    for (let i = 0; i < 300; i += 1) {
      try {
        if ((await fetch(`${baseUrl}/health`)).ok) break;
      } catch {
        // not up yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  } catch (error) {
    server.kill("SIGTERM"); // else the test process waits on it forever
    throw error;
  }
  return {
    baseUrl,
    browser,
    async stop() {
      await browser.close();
      server.kill("SIGTERM");
    },
  };
}

/** Registers a listener through the API and returns the access token. */
export async function registerListener(baseUrl, { username, email, password, neurotype = "adhd" }) {
  const response = await fetch(`${baseUrl}/auth/register`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, email, password, neurotype, preferences: {} }),
  });
  if (!response.ok) throw new Error(`register: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()).token;
}

/** A browser context already signed in with `token` (the app keeps it in localStorage). */
export async function signedInContext(browser, token, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, ...options });
  await context.addInitScript((value) => window.localStorage.setItem("neurotune.token", value), token);
  return context;
}
