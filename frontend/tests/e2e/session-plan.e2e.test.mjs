/**
 * The plan explains itself and can be corrected, in headless Chromium against the real backend:
 * beside the chart the page says, in the server's words, how the intent was read (and from which
 * words), the band, what shaped it and the safety limits; "Not Focus / study? Choose" offers the
 * server's families, and choosing one re-plans the future (the past stays) while the sound plays.
 *
 * Needs `next build` first (make test does it), Debian's /usr/bin/chromium and the backend's venv.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";

import { shots } from "./harness.mjs";
import { api, newListener, sessionPage, soundStarts, startSessionApp } from "./session-helpers.mjs";

let app;
let token;

before(async () => {
  app = await startSessionApp();
  token = await newListener(app);
});

after(async () => {
  await app?.stop();
});

test("the plan in plain words from the server, and a misread intent corrected in one tap", async () => {
  const { session_id: id } = await api(app, token, "POST", "/sessions/start", { intent: "deep focus: coding", duration_min: 30 });
  const planned = await api(app, token, "GET", `/sessions/${id}`);
  const { page, errors, context } = await sessionPage(app, token);
  await page.goto(`${app.baseUrl}/session/?id=${id}`);
  const panel = page.getByRole("region", { name: "Why this plan" });
  await panel.waitFor();
  const text = await panel.textContent();
  const { reading, band, limits, shaping } = planned.explanation;
  assert.equal(reading.label, "Focus / study");
  assert.ok(reading.words.length > 0, "the server names the words that decided it");
  assert.ok(text.includes(`“deep focus: coding” read as ${reading.label}, from ${reading.words.map((w) => `“${w}”`).join(", ")}.`), text);
  assert.ok(text.includes(`${band.beat_hz[0]}–${band.beat_hz[1]} Hz and ${band.bpm[0]}–${band.bpm[1]} BPM`), text);
  for (const line of [...limits, ...shaping]) assert.ok(text.includes(line), `shows "${line}"`);

  await page.getByRole("button", { name: "Play", exact: true }).click();
  await soundStarts(page);
  await page.waitForTimeout(1000);
  await page.getByRole("button", { name: "Not Focus / study? Choose" }).click();
  const families = await api(app, token, "GET", "/intents/families");
  const choices = page.getByRole("group", { name: "Plan it as" });
  await choices.getByRole("button", { name: "Relax", exact: true }).waitFor(); // the families have arrived
  const offered = await choices.getByRole("button").allTextContents();
  assert.deepEqual(offered.sort(), families.filter((f) => f.family !== "focus").map((f) => f.label).sort());
  await page.screenshot({ path: path.join(shots, "session-plan.png"), fullPage: true });

  await page.getByRole("button", { name: "Relax", exact: true }).click();
  await panel.getByText("Planned for Relax: you chose this.").waitFor();
  const replanned = await api(app, token, "GET", `/sessions/${id}`);
  assert.equal(replanned.explanation.reading.family, "relax");
  assert.equal(replanned.explanation.reading.chosen_by_listener, true);
  const shown = await page.evaluate(() => window.neurotune.schedule);
  assert.deepEqual(shown.steps, replanned.schedule.steps, "the page follows the new plan");
  assert.notDeepEqual(replanned.schedule.steps, planned.schedule.steps, "the future changed");
  assert.deepEqual(replanned.schedule.steps[0], planned.schedule.steps[0], "the past stays");
  await page.getByText(/refined 1×/).waitFor(); // the stream's `refined` frame reached the page too
  assert.notEqual(await page.evaluate(() => window.neurotune.engine()), null, "and the sound plays on");
  assert.equal(await page.getByRole("button", { name: "Not Relax? Choose" }).count(), 1);
  assert.deepEqual(errors, []);
  await context.close();
});
