/**
 * Every session ends, with a reason, in headless Chromium against the real backend. An ended
 * session's page is a static summary (why it ended, how long it was listened to, its rating or
 * "Rate it"); "Play again" on it starts a session that plays at once. Two one-minute sessions (a
 * power nap and a focus session) run their course side by side: both fade out and ask for a
 * rating, only the nap chimes (wake_chime "auto"), and both are recorded `completed` with the
 * rating given (or given later). Favourites and presets are kept from the summary.
 *
 * Needs `next build` first (make test does it), Debian's /usr/bin/chromium and the backend's venv.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";

import { shots } from "./harness.mjs";
import { api, newListener, oneMinuteSource, sessionPage, soundStarts, soundStops, startSessionApp, until } from "./session-helpers.mjs";

let app;
let token;

before(async () => {
  app = await startSessionApp();
  token = await newListener(app);
});

after(async () => {
  await app?.stop();
});

const RUN_OUT_TIMEOUT_MS = 120_000;

/** Opens the ended `sourceId`, checks it is a static summary, and plays it again (same schedule). */
async function playAgainFrom(sourceId) {
  const device = await sessionPage(app, token);
  const { page } = device;
  await page.goto(`${app.baseUrl}/session/?id=${sourceId}`);
  await page.getByTestId("end-reason").waitFor();
  assert.equal(await page.getByTestId("end-reason").textContent(), "ended");
  assert.match(await page.getByTestId("listened").textContent(), /^\d+:\d\d of 1:00$/);
  assert.equal(await page.getByRole("button", { name: "Rate it" }).count(), 1);
  assert.equal(await page.getByRole("button", { name: /^(Play|Pause)$/ }).count(), 0, "no player on an ended session");
  assert.equal(await page.getByText(/elapsed$/).count(), 0, "no running clock");
  await page.getByRole("button", { name: "Play again: same schedule" }).click();
  await page.waitForURL((url) => url.searchParams.get("id") !== String(sourceId));
  device.sessionId = Number(new URL(page.url()).searchParams.get("id"));
  await soundStarts(page); // the tap on Play again was the gesture: no Play needed
  return device;
}

test("sessions that run their course fade out, chime after a nap, ask for a rating and are recorded completed", { timeout: 240_000 }, async () => {
  const [napSource, focusSource] = [await oneMinuteSource(app, token, "power nap"), await oneMinuteSource(app, token, "deep focus: coding")];
  const nap = await playAgainFrom(napSource);
  const focus = await playAgainFrom(focusSource);

  const over = (device) => device.page.getByRole("dialog", { name: "The session is over. How was it?" }).waitFor({ timeout: RUN_OUT_TIMEOUT_MS });
  await Promise.all([over(nap), over(focus)]);
  await Promise.all([soundStops(nap.page), soundStops(focus.page)]); // an 8-s fade
  await nap.page.waitForFunction(() => window.neurotune.chimes === 1, null, { timeout: 15_000 });
  await nap.page.screenshot({ path: path.join(shots, "session-ran-out.png"), fullPage: true });
  assert.equal(await focus.page.evaluate(() => window.neurotune.chimes), 0, "a focus session ends without the wake chime");

  // The nap is rated at once.
  await nap.page.getByRole("button", { name: "5 of 5" }).click();
  await nap.page.fill("#feedback-note", "woke gently");
  await nap.page.getByRole("button", { name: "Save and finish" }).click();
  await nap.page.getByTestId("summary-rating").waitFor();
  assert.equal(await nap.page.getByTestId("end-reason").textContent(), "completed");
  assert.equal(await nap.page.getByTestId("summary-rating").textContent(), "5/5");
  const napStored = await api(app, token, "GET", `/sessions/${nap.sessionId}`);
  assert.equal(napStored.end_reason, "completed");
  assert.equal(napStored.rating, 5);
  assert.equal(napStored.feedback_note, "woke gently");

  // The focus session is rated later, from its summary.
  await focus.page.getByRole("button", { name: "Not now" }).click();
  await focus.page.getByRole("button", { name: "Rate it" }).click();
  await focus.page.getByRole("button", { name: "3 of 5" }).click();
  await focus.page.getByRole("button", { name: "Save and finish" }).click();
  await focus.page.getByTestId("summary-rating").waitFor();
  assert.equal(await focus.page.getByTestId("summary-rating").textContent(), "3/5");
  const focusStored = await until(() => api(app, token, "GET", `/sessions/${focus.sessionId}`), (session) => session.rating === 3);
  assert.equal(focusStored.end_reason, "completed");
  await focus.page.screenshot({ path: path.join(shots, "session-summary.png"), fullPage: true });
  assert.deepEqual(nap.errors, []);
  assert.deepEqual(focus.errors, []);
  await nap.context.close();
  await focus.context.close();
});

test("keep what works: a favourite and a preset from the summary, then play it again re-planned", async () => {
  const { session_id: id } = await api(app, token, "POST", "/sessions/start", { intent: "reading", duration_min: 5 });
  await api(app, token, "PATCH", `/sessions/${id}/end`, { rating: 4 });
  const { page, errors, context } = await sessionPage(app, token);
  await page.goto(`${app.baseUrl}/session/?id=${id}`);
  assert.equal(await page.getByTestId("summary-rating").textContent(), "4/5");

  await page.getByRole("button", { name: "☆ Mark as favourite" }).click();
  await page.getByRole("button", { name: "★ Favourite", pressed: true }).waitFor();
  assert.equal((await api(app, token, "GET", `/sessions/${id}`)).favourite, true);

  await page.fill("#preset-name", "Evening reading");
  await page.getByRole("button", { name: "Save as preset" }).click();
  await page.getByText("Saved as the preset “Evening reading”.").waitFor();
  const presets = await api(app, token, "GET", "/presets");
  assert.deepEqual(presets.map((preset) => preset.name), ["Evening reading"]);
  await page.fill("#preset-name", "Evening reading ");
  await page.getByRole("button", { name: "Save as preset" }).click();
  await page.getByText("You already have a preset named “Evening reading”: choose another name.").waitFor();

  await page.getByRole("button", { name: "Play again: planned afresh" }).click();
  await page.waitForURL((url) => url.searchParams.get("id") !== String(id));
  await soundStarts(page);
  assert.equal(await page.locator("h1").textContent(), "reading");
  assert.deepEqual(errors, []);
  await context.close();
});
