/**
 * The session page's playback, in headless Chromium against the real backend: one tap on Start
 * is the sound (no Play), with its fade-in; Pause is the session's (its clock stops on the server
 * and on a second device, and resumes where it stopped); the lock-screen controls stay through a
 * pause and say where the session is; the keyboard shortcuts.
 *
 * Needs `next build` first (make test does it), Debian's /usr/bin/chromium and the backend's venv.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";

import { shots } from "./harness.mjs";
import { api, newListener, sessionPage, shownElapsedSec, soundStarts, soundStops, startSessionApp, until } from "./session-helpers.mjs";

let app;
let token;
let sessionId;
let device;

before(async () => {
  app = await startSessionApp();
  token = await newListener(app);
});

after(async () => {
  await app?.stop();
});

const stored = () => api(app, token, "GET", `/sessions/${sessionId}`);
const serverPaused = (paused) => until(stored, (session) => (session.paused_at !== null) === paused, { what: paused ? "paused on the server" : "playing on the server" });
const engineState = (page) => page.evaluate(() => window.neurotune.engine());
const media = (page) =>
  page.evaluate(() => ({
    title: navigator.mediaSession.metadata?.title ?? null,
    artwork: navigator.mediaSession.metadata?.artwork.map((image) => image.src) ?? [],
    state: navigator.mediaSession.playbackState,
    actions: Object.entries(window.mediaHandlers)
      .filter(([, handler]) => typeof handler === "function")
      .map(([action]) => action)
      .sort(),
  }));

test("one tap on Start: the session plays at once, fading in, with lock-screen controls", async () => {
  device = await sessionPage(app, token);
  const { page, errors } = device;
  await page.goto(`${app.baseUrl}/`);
  await page.getByRole("button", { name: /Deep focus/ }).click();
  await page.waitForLoadState("networkidle"); // a warm page: the engine has loaded while idle
  await page.getByRole("button", { name: "Start session" }).click();
  await page.waitForURL(/\/session\/\?id=\d+/);
  sessionId = Number(new URL(page.url()).searchParams.get("id"));

  await soundStarts(page);
  const early = (await engineState(page)).peakDb;
  await page.getByRole("button", { name: "Pause" }).waitFor();
  assert.equal(await page.getByRole("button", { name: "Play" }).count(), 0, "no second tap is asked for");
  await page.waitForTimeout(3500); // the fade-in is 3 s
  const settled = (await engineState(page)).peakDb;
  assert.ok(settled - early > 6, `the sound fades in: ${early.toFixed(1)} dB at first, ${settled.toFixed(1)} dB after 3.5 s`);

  const controls = await media(page);
  assert.match(controls.title, /^Focus \/ study · (arriving|settling|steady|returning) · \d+(\.\d)? Hz$/);
  assert.ok(controls.artwork.some((src) => src.endsWith("/icons/icon-192.png")), JSON.stringify(controls.artwork));
  assert.equal(controls.state, "playing");
  assert.deepEqual(controls.actions, ["pause", "play", "stop"]);
  await page.screenshot({ path: path.join(shots, "session-playing.png"), fullPage: true });
  assert.deepEqual(errors, []);
});

test("Pause stops the session's clock on every device; play resumes where it stopped", async () => {
  const { page, errors } = device;
  const other = await sessionPage(app, token);
  await other.page.goto(`${app.baseUrl}/session/?id=${sessionId}`);
  await other.page.getByText("Not playing on this device; the session's clock runs").waitFor();
  assert.equal(await other.page.evaluate(() => window.neurotune.engine()), null, "a second device does not start sound by itself");

  await page.locator("h1").click(); // nothing interactive has focus: Space is the shortcut
  await page.keyboard.press("Space");
  await page.getByRole("button", { name: "Play" }).waitFor();
  await soundStops(page);
  await serverPaused(true);
  await other.page.getByText("Paused: the session's clock has stopped").waitFor();

  const pausedAt = await shownElapsedSec(page);
  await page.waitForTimeout(2500);
  assert.equal(await shownElapsedSec(page), pausedAt, "the timer stands still");
  assert.equal(await shownElapsedSec(other.page), pausedAt, "on the other device too");

  const paused = await media(page);
  assert.equal(paused.state, "paused");
  assert.deepEqual(paused.actions, ["pause", "play", "stop"], "the lock-screen controls stay through the pause");
  assert.ok(paused.title, "and still say where the session is");

  await page.evaluate(() => window.mediaHandlers.play()); // the lock screen's play
  await soundStarts(page);
  await serverPaused(false);
  const position = (await engineState(page)).positionSec;
  assert.ok(Math.abs(position - pausedAt) < 2.5, `resumed at ${position.toFixed(1)} s, paused at ${pausedAt} s`);
  await other.page.waitForFunction((sec) => {
    const text = [...document.querySelectorAll("strong")].find((node) => node.parentElement?.textContent?.endsWith("elapsed"))?.textContent ?? "0:00";
    const [m, s] = text.split(":").map(Number);
    return m * 60 + s > sec;
  }, pausedAt);
  assert.equal(await media(page).then((m) => m.state), "playing");

  await page.evaluate(() => window.mediaHandlers.stop()); // stop pauses the session too
  await soundStops(page);
  await serverPaused(true);
  await page.getByRole("button", { name: "Play" }).click();
  await soundStarts(page);
  assert.deepEqual(errors, []);
  assert.deepEqual(other.errors, []);
  await other.context.close();
});

test("keyboard: arrows move the volume under the cap, ? lists the shortcuts", async () => {
  const { page, errors } = device;
  const volume = async () => Number((await page.locator("label[for=volume]").textContent()).match(/Volume (\d+)%/)[1]);
  const cap = Number((await page.locator("label[for=volume]").textContent()).match(/cap: (\d+)%/)[1]);
  await page.locator("h1").click();
  const before = await volume();
  await page.keyboard.press("ArrowDown");
  assert.equal(await volume(), before - 5);
  for (let i = 0; i < 30; i += 1) await page.keyboard.press("ArrowUp");
  assert.equal(await volume(), cap, "never above the cap");

  await page.keyboard.press("?");
  const dialog = page.getByRole("dialog", { name: "Keyboard shortcuts" });
  await dialog.waitFor();
  assert.match(await dialog.textContent(), /Space.*Play or pause/);
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "hidden" });
  await page.keyboard.press("?");
  await dialog.waitFor();
  await page.keyboard.press("Space"); // in the dialog Space presses its focused Close button, nothing else
  await dialog.waitFor({ state: "hidden" });
  assert.equal(await page.getByRole("button", { name: "Pause" }).count(), 1, "the session still plays");
  await page.screenshot({ path: path.join(shots, "session-shortcuts.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await device.context.close();
});
