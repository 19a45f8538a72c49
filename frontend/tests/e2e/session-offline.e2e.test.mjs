/**
 * Nothing the listener does is lost when the server cannot be reached, in headless Chromium
 * against the real backend: a failed read shows a notice that keeps a way to stop the sound (and
 * the whole player); ending offline stops the sound, keeps the end (and its rating) in
 * localStorage with a visible status and leaves the controls in place; back online, the end is
 * sent and the page becomes the session's summary without a reload.
 *
 * Needs `next build` first (make test does it), Debian's /usr/bin/chromium and the backend's venv.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";

import { shots } from "./harness.mjs";
import { api, newListener, sessionPage, soundStarts, soundStops, startSessionApp, until } from "./session-helpers.mjs";

let app;
let token;

before(async () => {
  app = await startSessionApp();
  token = await newListener(app);
});

after(async () => {
  await app?.stop();
});

test("offline: the sound can always be stopped, an end is kept and sent once back online", async () => {
  const { session_id: id } = await api(app, token, "POST", "/sessions/start", { intent: "calm my anxiety", duration_min: 20 });
  const { page, errors, context } = await sessionPage(app, token);
  await page.goto(`${app.baseUrl}/session/?id=${id}`);
  await page.getByRole("button", { name: "Play" }).click();
  await soundStarts(page);
  await page.evaluate(() => {
    window.sameDocument = true; // gone if the page reloads
  });

  await context.setOffline(true);
  // The browser believes it is back, but the server still cannot be reached: the read fails.
  await page.evaluate(() => window.dispatchEvent(new Event("online")));
  const notice = page.getByText(/The server cannot be reached right now/);
  await notice.waitFor();
  assert.equal(await page.getByRole("button", { name: "Pause" }).count(), 1, "the player stays");
  await page.getByRole("button", { name: "Stop the sound" }).click();
  await soundStops(page);
  await page.getByText(/Stopped here, but the session could not be paused/).waitFor();
  await page.screenshot({ path: path.join(shots, "session-offline-stop.png"), fullPage: true });

  await page.getByRole("button", { name: "Play" }).click(); // its clock still runs on the server: play on
  await soundStarts(page);
  await page.getByRole("button", { name: "End session" }).click();
  await page.getByRole("button", { name: "3 of 5" }).click();
  await page.getByRole("button", { name: "Save and finish" }).click();
  await page.getByText("Saved offline — will send when you're back online.").first().waitFor();
  await soundStops(page);
  assert.equal(await page.getByRole("dialog").count(), 0, "the dialog is closed, the page is still there");
  for (const control of ["Play", "Keyboard shortcuts"]) assert.equal(await page.getByRole("button", { name: control }).count(), 1, `${control} is still there`);
  assert.equal(await page.locator("#volume").count(), 1);
  const kept = await page.evaluate(() => JSON.parse(localStorage.getItem("neurotune.pendingEnds")));
  assert.deepEqual(kept.map((end) => [end.sessionId, end.body.rating]), [[id, 3]]);
  assert.equal((await api(app, token, "GET", `/sessions/${id}`)).ended_at, null, "the server has not heard of it yet");
  await page.screenshot({ path: path.join(shots, "session-offline-ended.png"), fullPage: true });

  await context.setOffline(false);
  await page.getByTestId("end-reason").waitFor({ timeout: 20_000 });
  assert.equal(await page.getByTestId("summary-rating").textContent(), "3/5");
  const stored = await until(() => api(app, token, "GET", `/sessions/${id}`), (session) => session.ended_at !== null);
  assert.equal(stored.rating, 3);
  assert.equal(stored.end_reason, "ended");
  assert.equal(await page.evaluate(() => localStorage.getItem("neurotune.pendingEnds")), null);
  assert.equal(await page.evaluate(() => window.sameDocument), true, "recovered without a reload");
  assert.deepEqual(errors, []);
  await context.close();
});
