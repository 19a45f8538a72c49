/**
 * Nothing the listener set is lost on a reload, in headless Chromium against the real backend:
 * a paused session reloads paused (the server's pause wins) at the same position, with the beat
 * set by hand, the balance, the layers, the mix and the library track it had; Play resumes it
 * there, and a session reloaded while playing plays on by itself. Balance and mix are saved as
 * preferences; the calibrated volume cap is saved the moment calibration ends.
 *
 * Needs `next build` first (make test does it), Debian's /usr/bin/chromium and the backend's venv.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";

import { shots } from "./harness.mjs";
import { api, newListener, sessionPage, setRange, shownElapsedSec, soundStarts, startSessionApp, until } from "./session-helpers.mjs";

let app;
let token;

before(async () => {
  app = await startSessionApp({ tracks: [{ name: "rain.wav", seconds: 8 }] });
  token = await newListener(app);
  const scan = await api(app, token, "POST", "/library/scan", { wait_sec: 30 });
  assert.equal(scan.tracks_analyzed, 1, JSON.stringify(scan));
});

after(async () => {
  await app?.stop();
});

const exact = (name) => ({ name, exact: true });
const engineState = (page) => page.evaluate(() => window.neurotune.engine());

/** What the page shows of the listener's settings. */
async function shownSettings(page) {
  return {
    beat: await page.locator("#beat").getAttribute("aria-valuetext"),
    balance: await page.locator("#balance").inputValue(),
    isochronic: await page.getByLabel("Isochronic pulses").isChecked(),
    tone: await page.locator("#mix-tone").inputValue(),
    music: await page.getByText(/rain\.wav (plays|will play) under the session/).count(),
  };
}

test("a reload resumes the session as it was: position, pause, beat, balance, layers, mix, music", async () => {
  const { page, errors, context } = await sessionPage(app, token);
  await page.goto(`${app.baseUrl}/`);
  await page.getByRole("button", { name: "Start session" }).click();
  await page.waitForURL(/\/session\/\?id=\d+/);
  const id = Number(new URL(page.url()).searchParams.get("id"));
  await soundStarts(page);

  await setRange(page, "#beat", 6);
  await setRange(page, "#balance", -0.5);
  await page.getByLabel("Isochronic pulses").uncheck();
  await setRange(page, "#mix-tone", 0.6);
  await page.getByRole("button", { name: "Choose a track" }).click();
  await page.getByRole("button", { name: "Play rain.wav under the session" }).click();
  await page.getByText("rain.wav plays under the session.").waitFor();
  await page.waitForFunction(() => window.neurotune.engine()?.music !== null);
  const set = await shownSettings(page);
  assert.deepEqual(set, { beat: "6.0 hertz", balance: "-0.5", isochronic: false, tone: "0.6", music: 1 });

  await page.getByRole("button", exact("Pause")).click();
  await until(() => api(app, token, "GET", `/sessions/${id}`), (session) => session.paused_at !== null, { what: "paused" });
  const pausedAt = await shownElapsedSec(page);
  await page.waitForTimeout(500); // what was set is written a moment after the change

  await page.reload();
  await page.getByRole("button", exact("Play")).waitFor();
  await page.getByText("rain.wav will play under the session when you press Play.").waitFor();
  assert.deepEqual(await shownSettings(page), set);
  assert.equal(await shownElapsedSec(page), pausedAt, "paused where it was");
  assert.equal(await engineState(page), null, "a paused session stays silent after a reload");

  await page.getByRole("button", exact("Play")).click();
  await soundStarts(page);
  const resumed = await engineState(page);
  assert.ok(Math.abs(resumed.positionSec - pausedAt) < 2.5, `resumed at ${resumed.positionSec.toFixed(1)} s, paused at ${pausedAt} s`);
  await page.waitForFunction(() => window.neurotune.engine()?.music !== null);

  const beforeReload = await shownElapsedSec(page);
  await page.reload();
  await soundStarts(page); // it was playing: it plays on, without a tap
  const after = await engineState(page);
  assert.ok(after.positionSec >= beforeReload - 1 && after.positionSec < beforeReload + 15, `plays on at ${after.positionSec.toFixed(1)} s (was ${beforeReload} s)`);
  assert.deepEqual(await shownSettings(page), { ...set, music: 1 });
  await page.screenshot({ path: path.join(shots, "session-reloaded.png"), fullPage: true });

  const me = await api(app, token, "GET", "/auth/me");
  assert.equal(me.preferences.balance, -0.5, "balance is a saved preference");
  assert.equal(me.preferences.tone_volume, 0.6, "so is the mix");
  assert.deepEqual(errors, []);
  await context.close();
});

test("the calibrated volume cap is saved when calibration ends, without pressing Save", async () => {
  const { page, errors, context } = await sessionPage(app, token);
  await page.goto(`${app.baseUrl}/settings/`);
  await page.getByRole("button", { name: "Start the quiet tone" }).click();
  await page.getByRole("button", { name: "I can hear it now" }).click();
  await page.getByText("Your volume cap is saved.").waitFor();
  const shownCap = Number((await page.getByText(/^Volume cap:/).textContent()).match(/(\d+)%/)[1]);
  const me = await api(app, token, "GET", "/auth/me");
  assert.equal(Math.round(me.preferences.volume_max * 100), shownCap);
  assert.notEqual(me.preferences.volume_max, 0.5, "not the default any more");
  assert.equal(me.preferences.balance, -0.5, "the other preferences are left as they were");
  assert.deepEqual(errors, []);
  await context.close();
});
