/**
 * The server's render (POST /schedules/render, backend/audio_render) against the browser's own engine
 * rendered offline in the page (window.neurotune.renderOffline, the code that plays live), for the
 * same schedule and settings. Per 2-second window: the beat (the ears' carrier peaks apart) within
 * 0.05 Hz, each carrier within 0.5 Hz, each ear's level within 1 dB.
 *
 * Needs `next build` first and Debian's /usr/bin/chromium (as the other e2e tests).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { fftPeakHz } from "./audioAnalysis.mjs";
import { registerListener, signedInContext, startApp } from "./harness.mjs";

const WINDOW_SEC = 2;
const SAMPLE_RATE = 44100;
const CARRIER_HZ = 200;
const VOLUME_CAP = 0.5; // the server renders with the listener's preferences: the defaults here

// Binaural at 10 Hz, a glide to 6 Hz, then the isochronic and ambient layers (crossfaded in 2 s).
const SCHEDULE = {
  intent: "render parity",
  total_duration_sec: 60,
  steps: [
    { timestamp_sec: 0, target_bpm: 80, binaural_freq: 10, ramp_duration_sec: 0, layer: "binaural", noise: "none" },
    { timestamp_sec: 8, target_bpm: 80, binaural_freq: 6, ramp_duration_sec: 20, layer: "binaural", noise: "none" },
    { timestamp_sec: 34, target_bpm: 80, binaural_freq: 6, ramp_duration_sec: 0, layer: "isochronic", noise: "none" },
    { timestamp_sec: 46, target_bpm: 80, binaural_freq: 5, ramp_duration_sec: 5, layer: "ambient", noise: "none" },
  ],
};

// An imported session's own carrier (gliding 200 -> 240 -> 180 Hz), tone and noise levels per step.
const OWN_CARRIER = {
  intent: "render parity, own carrier",
  total_duration_sec: 60,
  steps: [
    { timestamp_sec: 0, target_bpm: 80, binaural_freq: 10, ramp_duration_sec: 0, layer: "binaural", noise: "pink", carrier_hz: 200, tone_level: 1, noise_level: 1 },
    { timestamp_sec: 12, target_bpm: 80, binaural_freq: 10, ramp_duration_sec: 10, layer: "binaural", noise: "pink", carrier_hz: 240, tone_level: 0.5, noise_level: 0.4 },
    { timestamp_sec: 30, target_bpm: 80, binaural_freq: 8, ramp_duration_sec: 10, layer: "binaural", noise: "pink", carrier_hz: 240, tone_level: 0.5, noise_level: 0.4 },
    { timestamp_sec: 40, target_bpm: 80, binaural_freq: 8, ramp_duration_sec: 10, layer: "binaural", noise: "pink", carrier_hz: 180, tone_level: 0.8, noise_level: 0.7 },
  ],
};

let app;
let token;

before(async () => {
  app = await startApp({ NEUROTUNE_LLM_MODEL: "none" });
  token = await registerListener(app.baseUrl, {
    username: "parity_listener",
    email: "parity@example.org",
    password: "a long enough password",
    neurotype: "neurotypical",
  });
});

after(async () => {
  await app?.stop();
});

/** The server's WAV (16-bit PCM, 44-byte header) as two Float32Arrays. */
async function serverRender(schedule) {
  const response = await fetch(`${app.baseUrl}/schedules/render?format=wav`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(schedule),
  });
  assert.equal(response.status, 200, await response.clone().text());
  const bytes = new Uint8Array(await response.arrayBuffer());
  const view = new DataView(bytes.buffer, 44);
  const frames = (bytes.length - 44) / 4;
  const left = new Float32Array(frames);
  const right = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    left[i] = view.getInt16(i * 4, true) / 32767;
    right[i] = view.getInt16(i * 4 + 2, true) / 32767;
  }
  return { left, right };
}

/** One window of the browser engine's offline render, from `fromSec`. */
async function browserWindow(page, schedule, fromSec) {
  const result = await page.evaluate(
    async ({ schedule, fromSec, durationSec, carrierHz, volumeCap }) => {
      const { left, right } = await window.neurotune.renderOffline(schedule, {
        fromSec,
        durationSec,
        carrierHz,
        volumeCap,
        fadeInSec: 0,
      });
      return { left: Array.from(left), right: Array.from(right) };
    },
    { schedule, fromSec, durationSec: WINDOW_SEC, carrierHz: CARRIER_HZ, volumeCap: VOLUME_CAP },
  );
  return { left: Float32Array.from(result.left), right: Float32Array.from(result.right) };
}

function rmsDb(samples) {
  let sum = 0;
  for (const v of samples) sum += v * v;
  return 10 * Math.log10(sum / samples.length + 1e-20);
}

/** The layer in force across the whole window (null while layers crossfade). */
function layerOf(schedule, startSec) {
  const steps = schedule.steps;
  const current = [...steps].reverse().find((s) => s.timestamp_sec <= startSec);
  const next = steps.find((s) => s.timestamp_sec > startSec);
  const crossfadeEnd = current.timestamp_sec + Math.max(current.ramp_duration_sec, 2);
  if (startSec < crossfadeEnd && current !== steps[0]) return null;
  if (next && next.timestamp_sec < startSec + WINDOW_SEC) return null;
  return current.layer;
}

/** Window by window, the server's render against the browser's; how many windows were compared. */
async function compareWindows(schedule) {
  const server = await serverRender(schedule);
  assert.equal(server.left.length, schedule.total_duration_sec * SAMPLE_RATE);

  const context = await signedInContext(app.browser, token);
  const page = await context.newPage();
  const started = await fetch(`${app.baseUrl}/schedules/start`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(schedule),
  });
  assert.equal(started.status, 201);
  const { session_id: sessionId } = await started.json();
  await page.goto(`${app.baseUrl}/session/?id=${sessionId}`);
  await page.waitForFunction(() => window.neurotune?.renderOffline !== undefined);

  const compared = { beat: 0, level: 0, carriersHz: new Set() };
  // From 4 s (after the server's 3-s fade-in) to 56 s (before its 2-s fade-out).
  for (let startSec = 4; startSec + WINDOW_SEC <= 56; startSec += WINDOW_SEC) {
    const at = Math.round(startSec * SAMPLE_RATE);
    const size = WINDOW_SEC * SAMPLE_RATE;
    const ours = { left: server.left.subarray(at, at + size), right: server.right.subarray(at, at + size) };
    const theirs = await browserWindow(page, schedule, startSec);
    const where = `${schedule.intent}, window at ${startSec} s`;

    const peaks = (audio) => ({
      left: fftPeakHz(audio.left, SAMPLE_RATE, { minHz: 120, maxHz: 400 }),
      right: fftPeakHz(audio.right, SAMPLE_RATE, { minHz: 120, maxHz: 400 }),
    });
    const a = peaks(ours);
    const b = peaks(theirs);
    assert.ok(Math.abs(a.left - b.left) <= 0.5, `${where}: left carrier ${a.left} vs ${b.left} Hz`);
    assert.ok(Math.abs(a.right - b.right) <= 0.5, `${where}: right carrier ${a.right} vs ${b.right} Hz`);
    compared.carriersHz.add(Math.round((b.left + b.right) / 2 / 10) * 10);
    const layer = layerOf(schedule, startSec);
    if (layer === "binaural" || (startSec < 34 && layer !== "isochronic" && schedule === SCHEDULE)) {
      const beatServer = a.right - a.left;
      const beatBrowser = b.right - b.left;
      assert.ok(Math.abs(beatServer - beatBrowser) <= 0.05, `${where}: beat ${beatServer} vs ${beatBrowser} Hz`);
      compared.beat += 1;
    }
    for (const ear of ["left", "right"]) {
      const difference = rmsDb(ours[ear]) - rmsDb(theirs[ear]);
      assert.ok(Math.abs(difference) <= 1, `${where}: ${ear} level differs by ${difference.toFixed(2)} dB`);
    }
    compared.level += 1;
  }
  await context.close();
  return compared;
}

test("the server renders what the browser plays, window by window", async () => {
  const compared = await compareWindows(SCHEDULE);
  assert.ok(compared.beat >= 10, `beat compared in ${compared.beat} windows`);
  assert.equal(compared.level, 26);
});

test("a session's own carrier, tone and noise levels sound the same in the browser as in the file", async () => {
  const compared = await compareWindows(OWN_CARRIER);
  assert.equal(compared.level, 26);
  assert.ok(compared.beat >= 10, `beat compared in ${compared.beat} windows`);
  // The browser followed the schedule's carriers, not the listener's 200 Hz throughout.
  for (const hz of [200, 240, 180]) assert.ok(compared.carriersHz.has(hz), `carrier ${hz} Hz heard: ${[...compared.carriersHz]}`);
});

test("Download as audio saves the session as a file that plays", async () => {
  const context = await signedInContext(app.browser, token);
  const page = await context.newPage();
  const started = await fetch(`${app.baseUrl}/schedules/start`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(SCHEDULE),
  });
  const { session_id: sessionId } = await started.json();
  await page.goto(`${app.baseUrl}/session/?id=${sessionId}`);
  await page.getByLabel("Format").selectOption("ogg");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download as audio" }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^neurotune-render-parity\.ogg$/);
  const chunks = [];
  for await (const chunk of await download.createReadStream()) chunks.push(chunk);
  const file = Buffer.concat(chunks);
  assert.equal(file.subarray(0, 4).toString("latin1"), "OggS");
  assert.ok(file.length > 20_000, `a minute of Opus is more than ${file.length} bytes`);
  await page.getByText("Downloaded.").waitFor();
  await context.close();
});
