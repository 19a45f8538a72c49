/**
 * End to end, in real headless Chromium against the real backend (SQLite in a temp dir) serving
 * the built app: sign up -> start a focus session -> check the sound by measuring it -> end ->
 * rate -> the rating appears in history. Screenshots of every page go to test-results/.
 *
 * Needs `next build` first (make test does it) and Debian's /usr/bin/chromium.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";

import { envelopeRateHz, fftPeakHz, maxSampleJump } from "./audioAnalysis.mjs";
import { shots, startApp } from "./harness.mjs";

let app;
let browser;
let baseUrl;

before(async () => {
  app = await startApp();
  ({ browser, baseUrl } = app);
});

after(async () => {
  await app?.stop();
});

/** Render `durationSec` of the schedule from `fromSec` offline in the page, with the app's own engine. */
async function render(page, schedule, fromSec, durationSec = 2) {
  const result = await page.evaluate(
    async ({ schedule, fromSec, durationSec }) => {
      const { left, right, sampleRate } = await window.neurotune.renderOffline(schedule, {
        fromSec,
        durationSec,
        carrierHz: 200,
        volumeCap: 1,
        fadeInSec: 0,
      });
      return { left: Array.from(left), right: Array.from(right), sampleRate };
    },
    { schedule, fromSec, durationSec },
  );
  return { left: Float32Array.from(result.left), right: Float32Array.from(result.right), sampleRate: result.sampleRate };
}

/** The step in force (fully ramped) after `fromSec`: the last step that has finished its ramp. */
function settledStep(schedule) {
  const steps = schedule.steps;
  for (let i = steps.length - 1; i >= 0; i -= 1) {
    const next = steps[i + 1];
    const settledAt = steps[i].timestamp_sec + steps[i].ramp_duration_sec;
    if (!next || next.timestamp_sec - settledAt >= 3) return { step: steps[i], at: settledAt + 0.5 };
  }
  throw new Error("no settled step");
}

test("sign up, play a focus session that measures right, end it with a rating", async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(String(error)));

  await page.goto(`${baseUrl}/`);
  await page.screenshot({ path: path.join(shots, "01-welcome.png"), fullPage: true });

  await page.goto(`${baseUrl}/signup/`);
  await page.fill("#username", "e2e_listener");
  await page.fill("#email", "e2e@example.org");
  await page.fill("#password", "a long enough password");
  await page.selectOption("#neurotype", "adhd");
  await page.screenshot({ path: path.join(shots, "02-signup.png"), fullPage: true });
  await page.click("button[type=submit]");
  await page.waitForURL(/\/settings\//);
  await page.screenshot({ path: path.join(shots, "03-settings.png"), fullPage: true });

  await page.goto(`${baseUrl}/`);
  await page.getByRole("button", { name: /Deep focus/ }).click();
  // The server loads the bundled model in the background; the dashboard follows it until it is ready.
  await page.getByTestId("model-status").getByText("Local model: ready", { exact: false }).waitFor({ timeout: 90_000 });
  await page.screenshot({ path: path.join(shots, "04-dashboard.png"), fullPage: true });
  await page.getByRole("button", { name: "Start session" }).click();
  await page.waitForURL(/\/session\/\?id=\d+/);
  await page.waitForFunction(() => window.neurotune?.schedule !== undefined);
  await page.getByRole("button", { name: "Pause" }).waitFor(); // Start was the tap that started the sound
  await page.waitForTimeout(1500); // the chart's "now" marker and the visualizer move
  await page.screenshot({ path: path.join(shots, "05-session.png"), fullPage: true });

  const schedule = await page.evaluate(() => window.neurotune.schedule);
  assert.ok(schedule.steps.length >= 2, "a focus schedule has an arrival and a hold");

  // Binaural: the ears' peaks differ by the step's beat frequency.
  const binaural = { ...schedule, steps: schedule.steps.map((s) => ({ ...s, layer: "binaural", noise: "none" })) };
  const { step, at } = settledStep(binaural);
  const audio = await render(page, binaural, at);
  const leftHz = fftPeakHz(audio.left, audio.sampleRate, { minHz: 100, maxHz: 600 });
  const rightHz = fftPeakHz(audio.right, audio.sampleRate, { minHz: 100, maxHz: 600 });
  assert.ok(Math.abs(Math.abs(rightHz - leftHz) - step.binaural_freq) <= 0.5, `ears ${leftHz} / ${rightHz} Hz vs beat ${step.binaural_freq} Hz`);

  // Isochronic: the envelope repeats at the pulse rate.
  const isochronic = { ...schedule, steps: schedule.steps.map((s) => ({ ...s, layer: "isochronic", noise: "none" })) };
  const pulses = await render(page, isochronic, at);
  const rate = envelopeRateHz(pulses.left, pulses.sampleRate);
  assert.ok(Math.abs(rate - step.binaural_freq) <= 0.5, `envelope ${rate} Hz vs pulse rate ${step.binaural_freq} Hz`);

  // A step change glides: no sample-to-sample jump beyond what a smooth 600 Hz tone could make.
  const change = binaural.steps[1];
  const across = await render(page, binaural, Math.max(0, change.timestamp_sec - 1));
  const limit = (2 * Math.PI * 600) / across.sampleRate; // full-scale 600 Hz sine's steepest step
  assert.ok(maxSampleJump(across.left) <= limit, `left jump ${maxSampleJump(across.left)} > ${limit}`);
  assert.ok(maxSampleJump(across.right) <= limit, `right jump ${maxSampleJump(across.right)} > ${limit}`);

  await page.getByRole("button", { name: "End session" }).click();
  await page.getByRole("button", { name: "4 of 5" }).click();
  await page.fill("#feedback-note", "calm and steady");
  await page.screenshot({ path: path.join(shots, "06-feedback.png"), fullPage: true });
  await page.getByRole("button", { name: "Save and finish" }).click();
  await page.waitForURL(/\/history\//);
  await page.getByTestId("rating").first().waitFor();
  assert.equal(await page.getByTestId("rating").first().textContent(), "4/5");
  await page.screenshot({ path: path.join(shots, "07-history.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});

test("keyboard alone: sign in, pick an intent, start and play; readable at 200% zoom", async () => {
  // 200% zoom of a 1280-px window is a 640-px CSS viewport.
  const context = await browser.newContext({ viewport: { width: 640, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${baseUrl}/login/`);
  await page.keyboard.press("Tab"); // skip link
  await page.keyboard.press("Tab"); // brand
  await page.keyboard.press("Tab"); // Sign in
  await page.keyboard.press("Tab"); // Create account
  await page.keyboard.press("Tab");
  await page.keyboard.type("e2e@example.org"); // the user from the first test
  await page.keyboard.press("Tab");
  await page.keyboard.type("a long enough password");
  await page.keyboard.press("Enter");
  await page.waitForURL(`${baseUrl}/`);

  await page.getByRole("button", { name: /Reading/ }).focus();
  await page.keyboard.press("Space");
  assert.equal(await page.inputValue("#intent"), "reading");
  await page.getByRole("button", { name: "Start session" }).focus();
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/session\/\?id=\d+/);
  await page.getByRole("button", { name: "Pause" }).waitFor(); // Enter on Start was the gesture that started the sound

  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px at 640px width`);
  await page.screenshot({ path: path.join(shots, "08-session-zoomed.png"), fullPage: true });
  await context.close();
});
