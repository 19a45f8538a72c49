/**
 * Ownership you can test, in real headless Chromium: an engine with everything built (two
 * session graphs, one fading out after a restart, music beds including one fading out, layers
 * toggled) lists the Tone nodes it owns, and after `dispose()` every one of them, and every Tone
 * node or parameter reachable from the engine's own fields, reports `disposed`. Then the session
 * page's own engine: pausing and leaving the page dispose every node it owned.
 *
 * Needs `next build` first (make test does it), Debian's /usr/bin/chromium and the backend's venv.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { registerListener, signedInContext, startApp } from "./harness.mjs";

let app;
let token;
let sessionId;

before(async () => {
  app = await startApp();
  token = await registerListener(app.baseUrl, { username: "e2e_disposal", email: "disposal@example.org", password: "a long enough password" });
  const response = await fetch(`${app.baseUrl}/sessions/start`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ intent: "deep focus: coding", duration_min: 30 }),
  });
  assert.equal(response.status, 201, await response.clone().text());
  sessionId = (await response.json()).session_id;
});

after(async () => {
  await app?.stop();
});

async function openSession(context) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  await page.goto(`${app.baseUrl}/session/?id=${sessionId}`);
  await page.waitForFunction(() => window.neurotune?.schedule !== undefined);
  return { page, errors };
}

test("an engine with every part built disposes every node it owns", async () => {
  const context = await signedInContext(app.browser, token);
  const { page, errors } = await openSession(context);
  const report = await page.evaluate(async () => {
    const audio = await window.neurotune.loadAudio();
    const schedule = window.neurotune.schedule;
    const track = (seconds, hz) => {
      const sampleRate = 44100;
      const buffer = new AudioBuffer({ length: seconds * sampleRate, sampleRate, numberOfChannels: 2 });
      for (let channel = 0; channel < 2; channel += 1) {
        buffer.getChannelData(channel).set(Float32Array.from({ length: buffer.length }, (_, i) => 0.1 * Math.sin((2 * Math.PI * hz * i) / sampleRate)));
      }
      return buffer;
    };
    // Tone's objects carry their class name and their context; the engine's own classes do not.
    const isTone = (value) =>
      value !== null && typeof value === "object" && typeof value.disposed === "boolean" && typeof value.name === "string" && "context" in value;
    const isNode = (value) => isTone(value) && "numberOfInputs" in value;
    /** Tone objects reachable from the engine's own fields (not from inside Tone's objects). */
    const reachableTone = (engine) => {
      const found = new Set();
      const seen = new Set([engine.context]);
      const walk = (value) => {
        if (value === null || typeof value !== "object" || seen.has(value)) return;
        seen.add(value);
        if (isTone(value)) return void found.add(value);
        const children = value instanceof Map ? [...value.keys(), ...value.values()] : Object.values(value);
        for (const child of children) walk(child);
      };
      walk(engine);
      return [...found];
    };
    /** Engine, graphs and beds: the engine's own objects that hold Tone objects. */
    const holders = (engine) => {
      const found = [];
      const seen = new Set([engine.context]);
      const walk = (value) => {
        if (value === null || typeof value !== "object" || seen.has(value) || isTone(value)) return;
        seen.add(value);
        if (typeof value.ownedNodes === "function") found.push(value);
        for (const child of value instanceof Map ? [...value.keys(), ...value.values()] : Object.values(value)) walk(child);
      };
      walk(engine);
      return found;
    };
    const kinds = (nodes) => nodes.reduce((count, node) => ({ ...count, [node.name]: (count[node.name] ?? 0) + 1 }), {});

    const engine = new audio.SoundEngine();
    engine.setMusicBuffer(track(8, 220), { trackBpm: 120, firstBeatSec: 0, lockToBeat: true }); // AM locked to its beats
    await engine.start(schedule, { atSec: 5, fadeInSec: 0 });
    engine.setLayerEnabled("binaural", false);
    engine.setLayerEnabled("noise", false);
    engine.setLayerEnabled("binaural", true);
    engine.setMusicEntrainment(true);
    engine.setMusicBuffer(track(6, 330), { trackBpm: 100 }); // the first track fades out, owned until it has
    await engine.start(schedule, { atSec: 10, fadeInSec: 0 }); // the first graph fades out, owned until it has
    engine.setBeatOverride(6);

    const owned = engine.ownedNodes();
    const ownedSet = new Set(owned);
    const reachable = reachableTone(engine);
    const result = {
      owned: owned.length,
      unique: ownedSet.size,
      kinds: kinds(owned),
      disposedBefore: owned.filter((node) => node.disposed).map((node) => node.name),
      holders: holders(engine).length,
      reachable: reachable.length,
      reachableNodesNotOwned: reachable.filter((value) => isNode(value) && !ownedSet.has(value)).map((node) => node.name),
    };
    engine.dispose();
    result.engineDisposed = engine.disposed;
    result.undisposedOwned = owned.filter((node) => !node.disposed).map((node) => node.name);
    result.undisposedReachable = reachable.filter((value) => !value.disposed).map((value) => value.name);
    result.ownedAfter = engine.ownedNodes().length;
    // After dispose: idempotent, and every verb a no-op (queries answer as stopped).
    engine.dispose();
    engine.setCarrier(300);
    engine.setLayerEnabled("ambient", false);
    engine.setMusicBuffer(track(2, 440));
    await engine.start(schedule);
    result.setMusicAfter = await engine.setMusic("/nowhere");
    result.activeAfter = engine.isActive;
    result.ownedAfterVerbs = engine.ownedNodes().length;
    result.spectrumAfter = engine.spectrum();
    return result;
  });

  assert.deepEqual(report.disposedBefore, [], "a live graph's nodes are not disposed");
  assert.equal(report.unique, report.owned, "each node has one owner, listed once");
  for (const kind of ["Gain", "Oscillator", "Signal", "Merge", "Split", "WaveShaper", "Analyser", "ToneBufferSource"]) {
    assert.ok(report.kinds[kind] > 0, `owns ${kind} nodes: ${JSON.stringify(report.kinds)}`);
  }
  // Two graphs with two noise loops each, and three music beds (the first track's, faded out;
  // the second track's on the first graph, fading out with it; the second track's on the second).
  assert.equal(report.kinds.ToneBufferSource, 2 * 2 + 3, JSON.stringify(report.kinds));
  // Four oscillators a graph, and the lock oscillator of the first track's bed.
  assert.equal(report.kinds.Oscillator, 2 * 4 + 1, JSON.stringify(report.kinds));
  // The engine, two graphs and three beds; every node they own, and the parameters they automate.
  assert.equal(report.holders, 1 + 2 + 3, "the walk reaches every graph and bed");
  assert.ok(report.reachable > report.owned, `reached ${report.reachable} Tone objects, ${report.owned} nodes owned`);
  assert.deepEqual(report.reachableNodesNotOwned, [], "every node the engine holds is in its ownership list");
  assert.equal(report.engineDisposed, true);
  assert.deepEqual(report.undisposedOwned, [], `of ${report.owned} owned nodes`);
  assert.deepEqual(report.undisposedReachable, [], "every Tone node and parameter the engine holds is disposed");
  assert.equal(report.ownedAfter, 0);
  assert.deepEqual(report.setMusicAfter, { ok: false, reason: "The sound engine has been disposed." });
  assert.equal(report.activeAfter, false, "start after dispose plays nothing");
  assert.equal(report.ownedAfterVerbs, 0, "verbs after dispose build nothing");
  assert.equal(report.spectrumAfter, null);
  assert.deepEqual(errors, []);
  await context.close();
});

test("the session page's engine is disposed on pause and when the page goes", async () => {
  const context = await signedInContext(app.browser, token);
  const { page, errors } = await openSession(context);
  const captureOwned = () =>
    page.evaluate(() => {
      window.ownedByPage = window.neurotune.engine().ownedNodes();
      return { count: window.ownedByPage.length, disposed: window.ownedByPage.filter((node) => node.disposed).length };
    });
  const allDisposed = () => window.ownedByPage.every((node) => node.disposed);

  await page.getByRole("button", { name: "Play" }).click();
  await page.getByRole("button", { name: "Pause" }).waitFor();
  await page.getByLabel("Binaural beats (headphones)").uncheck();
  const playing = await captureOwned();
  assert.ok(playing.count > 30, `the page's engine owns its graph: ${playing.count} nodes`);
  assert.equal(playing.disposed, 0);
  await page.getByRole("button", { name: "Pause" }).click(); // fades out over 2 s, then disposes
  await page.waitForFunction(allDisposed, null, { timeout: 10_000 });

  await page.getByRole("button", { name: "Play" }).click();
  await page.getByRole("button", { name: "Pause" }).waitFor();
  const again = await captureOwned();
  assert.equal(again.disposed, 0);
  await page.getByRole("link", { name: "History" }).click(); // client-side: the page unmounts
  await page.waitForURL(/\/history\//);
  await page.waitForFunction(allDisposed, null, { timeout: 2_000 });
  assert.deepEqual(errors, []);
  await context.close();
});
