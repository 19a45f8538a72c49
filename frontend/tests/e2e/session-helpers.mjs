/**
 * What the session-page e2e files share on top of harness.mjs: the app on a data directory the
 * test can reach (to give a session a one-minute schedule), API calls as a listener, a recorder
 * of the page's Media Session handlers, and probes of the page's sound.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { python, registerListener, repo, signedInContext, startApp } from "./harness.mjs";

/**
 * The app with its SQLite file and its music library in a directory this process knows (and the
 * planner alone: quicker). `tracks` are written to the library first: { name, seconds }.
 */
export async function startSessionApp({ tracks = [] } = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), "neurotune-session-e2e-"));
  const musicDir = path.join(dataDir, "music");
  mkdirSync(musicDir);
  for (const track of tracks) writeFileSync(path.join(musicDir, track.name), pulsedToneWav(track.seconds));
  const app = await startApp({ NEUROTUNE_DATA_DIR: dataDir, NEUROTUNE_LIBRARY_ROOTS: JSON.stringify([musicDir]), NEUROTUNE_LLM_MODEL: "none" });
  return { ...app, dataDir };
}

/** A mono 16-bit WAV: a 220 Hz tone pulsed twice a second (120 BPM). */
function pulsedToneWav(seconds, sampleRate = 22050) {
  const samples = Math.round(seconds * sampleRate);
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write("RIFF", 0);
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write("WAVEfmt ", 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(sampleRate, 24);
  wav.writeUInt32LE(sampleRate * 2, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write("data", 36);
  wav.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i += 1) {
    const t = i / sampleRate;
    const pulse = Math.exp(-12 * (t % 0.5));
    wav.writeInt16LE(Math.round(12000 * pulse * Math.sin(2 * Math.PI * 220 * t)), 44 + i * 2);
  }
  return wav;
}

/** Sets a range input as a listener's drag would (React hears the input event). */
export async function setRange(page, selector, value) {
  await page.locator(selector).evaluate((input, next) => {
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set.call(input, String(next));
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }, value);
}

let listeners = 0;

/** A new listener, signed in through the API; `preferences` are laid over the defaults. */
export async function newListener(app, preferences = {}) {
  listeners += 1;
  const name = `e2e_session_${process.pid}_${listeners}`;
  const token = await registerListener(app.baseUrl, { username: name, email: `${name}@example.org`, password: "a long enough password" });
  if (Object.keys(preferences).length > 0) {
    const me = await api(app, token, "GET", "/auth/me");
    await api(app, token, "PATCH", "/auth/me", { preferences: { ...me.preferences, ...preferences } });
  }
  return token;
}

/** Calls the API as the listener; returns the parsed answer (null for 204), throws on another status. */
export async function api(app, token, method, route, body, expected = [200, 201, 204]) {
  const response = await fetch(`${app.baseUrl}${route}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(expected.includes(response.status), `${method} ${route}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/**
 * An ended session of `intent` whose stored schedule is cut to one minute (the API's shortest is
 * five): "Play again: same schedule" on it starts a session that runs out a minute later.
 */
export async function oneMinuteSource(app, token, intent) {
  const { session_id: id } = await api(app, token, "POST", "/sessions/start", { intent, duration_min: 5 });
  await api(app, token, "PATCH", `/sessions/${id}/end`, {});
  const script = `
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
schedule = json.loads(db.execute("select schedule from sessions where id = ?", (int(sys.argv[2]),)).fetchone()[0])
first = {**schedule["steps"][0], "timestamp_sec": 0, "ramp_duration_sec": 0}
db.execute("update sessions set schedule = ? where id = ?", (json.dumps({**schedule, "total_duration_sec": 60, "steps": [first]}), int(sys.argv[2])))
db.commit()
`;
  execFileSync(python, ["-c", script, path.join(app.dataDir, "neurotune.db"), String(id)], { cwd: repo, stdio: ["ignore", "ignore", "inherit"] });
  return id;
}

/** A signed-in page whose Media Session handlers are recorded in `window.mediaHandlers`. */
export async function sessionPage(app, token, options = {}) {
  const context = await signedInContext(app.browser, token, options);
  await context.addInitScript(() => {
    window.mediaHandlers = {};
    const set = navigator.mediaSession.setActionHandler.bind(navigator.mediaSession);
    navigator.mediaSession.setActionHandler = (action, handler) => {
      window.mediaHandlers[action] = handler;
      set(action, handler);
    };
  });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  return { context, page, errors };
}

/** Waits until the page's engine is making sound (its output spectrum is not silent). */
export async function soundStarts(page, timeout = 15_000) {
  await page.waitForFunction(() => (window.neurotune?.engine()?.peakDb ?? -Infinity) > -160, null, { timeout });
}

/** Waits until the page has no engine (faded out and let go). */
export async function soundStops(page, timeout = 15_000) {
  await page.waitForFunction(() => window.neurotune?.engine() === null, null, { timeout });
}

/** The session clock the page shows, in seconds ("1:05 elapsed" -> 65). */
export async function shownElapsedSec(page) {
  const text = await page.getByText(/elapsed$/).first().textContent();
  const [minutes, seconds] = text.replace(" elapsed", "").split(":").map(Number);
  return minutes * 60 + seconds;
}

/** Polls `read` (e.g. the API) until `accept` holds for its answer; returns that answer. */
export async function until(read, accept, { timeout = 10_000, what = "the condition" } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not hold within ${timeout} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
