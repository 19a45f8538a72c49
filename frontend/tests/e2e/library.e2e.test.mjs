/**
 * The music library end to end, in headless Chromium against the real backend: a library folder
 * with real tracks of known tempo (and one file that is not audio) -> /music/ -> "Scan library"
 * shows its progress and then the tracks with their BPM -> filter by BPM -> preview one in the
 * <audio> player -> in a session, choose it as music and find the engine playing it, tempo-matched;
 * the manual beat slider glides no faster than 0.2 Hz/s. Screenshots go to test-results/.
 *
 * Needs `next build` first (make test does it), Debian's /usr/bin/chromium and the backend's venv.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";

import { python, registerListener, repo, shots, signedInContext, startApp } from "./harness.mjs";

/** Tracks rendered by backend/tests/audio_processor/synthetic_tracks.py: known tempo, key and beat phase. */
const TRACKS = [
  { name: "steady 120.wav", style: "four_on_floor", bpm: 120, tonic: 9, mode: "minor", seed: 1 },
  { name: "groove 100.wav", style: "syncopated", bpm: 100, tonic: 0, mode: "major", seed: 5 },
  { name: "half time 140.wav", style: "half_time", bpm: 140, tonic: 7, mode: "major", seed: 3 },
];
const BROKEN = "not really audio.wav";
const TRACK_SEC = 12;

let app;
let token;
let musicDir;

function writeLibrary(directory) {
  const script = `
import json, sys
from pathlib import Path
from backend.tests.audio_processor.synthetic_tracks import TrackSpec, write_track
target = Path(sys.argv[1])
for t in json.loads(sys.argv[2]):
    spec = TrackSpec(style=t["style"], bpm=t["bpm"], tonic=t["tonic"], mode=t["mode"], seed=t["seed"], duration_sec=${TRACK_SEC})
    write_track(spec, target, "wav").rename(target / t["name"])
`;
  execFileSync(python, ["-c", script, directory, JSON.stringify(TRACKS)], { cwd: repo, stdio: ["ignore", "ignore", "inherit"] });
  writeFileSync(path.join(directory, BROKEN), "RIFF but then nothing a decoder could use ".repeat(50));
}

before(async () => {
  musicDir = mkdtempSync(path.join(tmpdir(), "neurotune-music-"));
  writeLibrary(musicDir);
  app = await startApp({ NEUROTUNE_LIBRARY_ROOTS: JSON.stringify([musicDir]) });
  token = await registerListener(app.baseUrl, { username: "e2e_library", email: "library@example.org", password: "a long enough password" });
});

after(async () => {
  await app?.stop();
});

/** BPM shown in the table, by file name. */
async function shownTempos(page) {
  return page.$$eval("[data-testid=track-row]", (rows) =>
    Object.fromEntries(rows.map((row) => [row.querySelector("th")?.firstChild?.textContent ?? "", row.querySelector("[data-testid=bpm]")?.textContent ?? null])),
  );
}

test("scan the library with a progress bar, filter by tempo, preview a track, play it under a session", async () => {
  const context = await signedInContext(app.browser, token);
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(String(error)));

  await page.goto(`${app.baseUrl}/music/`);
  await page.getByText("No tracks match").waitFor();
  await page.getByRole("link", { name: "Music" }).waitFor(); // in the site's navigation

  // Record what the scan panel shows while it runs: the counts, the bar and the file being read.
  await page.evaluate(() => {
    window.scanSeen = [];
    const record = () => {
      const bar = document.querySelector("#scan-progress");
      const label = document.querySelector("label[for=scan-progress]");
      if (label) window.scanSeen.push({ label: label.textContent, value: bar?.value ?? null, max: bar?.max ?? null });
    };
    new MutationObserver(record).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  await page.getByRole("button", { name: "Scan library" }).click();
  await page.locator("#scan-progress").waitFor({ timeout: 60_000 });
  await page.screenshot({ path: path.join(shots, "10-library-scanning.png"), fullPage: true });
  await page.getByText(/Scan finished in/).waitFor({ timeout: 120_000 });
  const seen = await page.evaluate(() => window.scanSeen);
  assert.ok(seen.length > 0, "the scan's progress was shown");
  assert.ok(
    seen.some((s) => /of 4 files/.test(s.label) && s.max === 4 && s.value >= 0),
    `a real progress bar over the 4 files: ${JSON.stringify(seen.slice(-5))}`,
  );
  assert.match(await page.getByRole("status").filter({ hasText: "Scan finished" }).textContent(), /4 tracks found, 3 analysed, 1 could not be read/);

  // The list refreshed by itself: every track with its tempo, the broken file with its reason.
  await page.getByText("Tracks 1–4 of 4").waitFor();
  const tempos = await shownTempos(page);
  for (const track of TRACKS) {
    assert.ok(Math.abs(Number(tempos[track.name]) - track.bpm) <= 2, `${track.name}: shown ${tempos[track.name]} BPM, truth ${track.bpm}`);
  }
  const broken = page.locator("tr.failed");
  assert.equal(await broken.count(), 1);
  assert.match(await broken.textContent(), /not really audio\.wav.*Could not be read/);
  await page.screenshot({ path: path.join(shots, "11-library.png"), fullPage: true });

  // Filter by tempo: only the 100-BPM track is between 95 and 105.
  await page.fill("#bpm-min", "95");
  await page.fill("#bpm-max", "105");
  await page.getByText("Tracks 1–1 of 1").waitFor();
  assert.deepEqual(Object.keys(await shownTempos(page)), ["groove 100.wav"]);
  await page.fill("#bpm-min", "130");
  await page.getByRole("alert").filter({ hasText: "lowest tempo is above the highest" }).waitFor();
  await page.getByRole("button", { name: "Clear filters" }).click();
  await page.getByText("Tracks 1–4 of 4").waitFor();

  // Preview: a plain player that does not start by itself and stays under the volume cap.
  await page.getByRole("button", { name: "Preview groove 100.wav" }).click();
  const player = page.getByTestId("preview");
  await player.waitFor();
  assert.equal(await player.evaluate((audio) => audio.paused), true, "the preview never autoplays");
  const cap = await page.evaluate(async () => {
    const me = await fetch("/auth/me", { headers: { Authorization: `Bearer ${localStorage.getItem("neurotune.token")}` } });
    return (await me.json()).preferences.volume_max;
  });
  await player.evaluate((audio) => audio.play());
  await page.waitForFunction(() => {
    const audio = document.querySelector("[data-testid=preview]");
    return audio && audio.readyState >= 2 && audio.currentTime > 0.3;
  });
  assert.ok((await player.evaluate((audio) => audio.volume)) <= cap + 1e-6, "the preview starts at or below the cap");
  await player.evaluate((audio) => {
    audio.volume = 1; // as if the player's own slider were dragged all the way up
  });
  await page.waitForFunction((limit) => document.querySelector("[data-testid=preview]").volume <= limit + 1e-6, cap, { timeout: 2000 });
  await page.screenshot({ path: path.join(shots, "12-library-preview.png"), fullPage: true });
  await player.evaluate((audio) => audio.pause());

  // A session with that track as its music.
  await page.goto(`${app.baseUrl}/`);
  await page.getByRole("button", { name: /Deep focus/ }).click();
  await page.getByRole("button", { name: "Start session" }).click();
  await page.waitForURL(/\/session\/\?id=\d+/);
  await page.waitForFunction(() => window.neurotune?.schedule !== undefined);
  // Start was the tap that started the sound.
  await page.getByRole("button", { name: "Pause" }).waitFor();
  await page.getByRole("button", { name: "Choose a track" }).click();
  await page.getByRole("button", { name: "Play groove 100.wav under the session" }).waitFor();
  await page.screenshot({ path: path.join(shots, "13-session-picker.png"), fullPage: true });
  await page.getByRole("button", { name: "Play groove 100.wav under the session" }).click();
  await page.getByText("groove 100.wav plays under the session.").waitFor({ timeout: 30_000 });
  const music = await page.evaluate(() => window.neurotune.engine()?.music);
  assert.ok(music, "the engine has a music layer");
  assert.ok(Math.abs(music.durationSec - TRACK_SEC) < 0.1, `decoded ${music.durationSec} s`);
  assert.ok(Math.abs(music.trackBpm - 100) <= 2, `music tempo ${music.trackBpm}`);
  assert.equal(music.lockedToBeat, true, "the beat grid from the scan locks the pulse to the track's beats");
  await page.getByLabel(/Gentle pulse on my music/).check();
  await page.screenshot({ path: path.join(shots, "14-session-music.png"), fullPage: true });

  // The beat slider: the engine glides to a manual beat at no more than 0.2 Hz/s.
  const beatAt = () => page.evaluate(() => window.neurotune.engine()?.beatHz);
  const before = await beatAt();
  await page.locator("#beat").focus();
  for (let i = 0; i < 6; i += 1) await page.keyboard.press("ArrowDown"); // 3 Hz lower
  await page.getByText(/Gliding to/).waitFor();
  const t0 = Date.now();
  const first = await beatAt();
  await page.waitForTimeout(2000);
  const second = await beatAt();
  const rate = Math.abs(second - first) / ((Date.now() - t0) / 1000);
  assert.ok(second < before, `the beat went down: ${before} -> ${second}`);
  assert.ok(rate <= 0.2 + 0.02, `the beat moved at ${rate.toFixed(3)} Hz/s`);
  await page.getByRole("button", { name: "Follow the schedule" }).click();
  await page.getByText(/Gliding back to the schedule/).waitFor();

  await page.getByRole("button", { name: "Remove music" }).click();
  await page.getByText("No music chosen").waitFor();
  await page.waitForFunction(() => window.neurotune.engine()?.music === null);
  assert.deepEqual(errors, []);
  await context.close();
});

test("the library is usable at 200% zoom and by keyboard", async () => {
  const context = await signedInContext(app.browser, token, { viewport: { width: 640, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${app.baseUrl}/music/`);
  await page.getByText("Tracks 1–4 of 4").waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px at 640px width`);
  // Every control has a name a screen reader can read.
  const unnamed = await page.$$eval("input, select, button, audio", (controls) =>
    controls.filter((c) => !(c.labels?.length || c.getAttribute("aria-label") || c.textContent?.trim())).map((c) => c.outerHTML),
  );
  assert.deepEqual(unnamed, []);
  await page.locator("#q").focus();
  await page.keyboard.type("half");
  await page.getByText("Tracks 1–1 of 1").waitFor();
  await page.getByRole("button", { name: "Preview half time 140.wav" }).focus();
  await page.keyboard.press("Enter");
  await page.getByTestId("preview").waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.tagName), "AUDIO", "focus moves to the player");
  await page.screenshot({ path: path.join(shots, "15-library-zoomed.png"), fullPage: true });
  await context.close();
});
