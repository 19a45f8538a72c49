/**
 * History end to end, in headless Chromium against the real backend: every session says how it
 * ended (ended / completed / abandoned, "playing" only while it has no end), how long it was
 * listened to and its rating; an unrated session is rated there; favourites and their filter;
 * play again (the same schedule); presets saved from History (a taken name is refused in words),
 * started and deleted; the insights' words follow their confidence; the ratings chart has a time
 * axis and tells the kinds of session apart by colour, shape and name. No console errors.
 *
 * Needs `npm run build` first, Debian's /usr/bin/chromium and the backend's venv.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";

import { callApi, watchConsole } from "./app-helpers.mjs";
import { registerListener, shots, signedInContext, startApp } from "./harness.mjs";

let app;
let token;
const ids = {};

const api = (method, route, body, options) => callApi(app.baseUrl, token, method, route, body, options);

before(async () => {
  // A session paused for a second is closed as abandoned once it is a minute old (the shortest a
  // session can be, plus a second's grace), so one can be seen in the list.
  app = await startApp({
    NEUROTUNE_LLM_MODEL: "none",
    NEUROTUNE_SESSION_MAX_PAUSE_SEC: "1",
    NEUROTUNE_SESSION_ABANDON_GRACE_SEC: "1",
    NEUROTUNE_SESSION_SWEEP_INTERVAL_SEC: "0.5",
  });
  token = await registerListener(app.baseUrl, { username: "e2e_history", email: "history@example.org", password: "a long enough password" });
  const start = async (intent) => (await api("POST", "/sessions/start", { intent, duration_min: 10 })).session_id;
  ids.abandoned = await start("relax");
  await api("POST", `/sessions/${ids.abandoned}/pause`);
  ids.focusA = await start("deep focus: coding");
  await api("PATCH", `/sessions/${ids.focusA}/end`, { rating: 5 });
  ids.focusB = await start("deep focus: writing");
  await api("PATCH", `/sessions/${ids.focusB}/end`, { rating: 3 });
  // A third rated focus session: enough for a first guess of the listener's own (confidence 3/11).
  await api("PATCH", `/sessions/${await start("deep focus: study")}/end`, { rating: 4 });
  ids.unrated = await start("reading");
  await api("PATCH", `/sessions/${ids.unrated}/end`, {});
  while ((await api("GET", `/sessions/${ids.abandoned}`)).end_reason !== "abandoned") {
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  ids.playing = await start("sleep");
});

after(async () => {
  await app?.stop();
});

const card = (page, id) => page.locator(`[data-testid=session][data-session-id="${id}"]`);

test("History: how each session ended, rate later, favourites, presets, play again", async () => {
  const context = await signedInContext(app.browser, token);
  const page = await context.newPage();
  const problems = watchConsole(page);
  await page.goto(`${app.baseUrl}/history/`);
  await card(page, ids.playing).waitFor();

  // How each one ended; "playing" only while it has no end; listened time; rating.
  const state = (id) => card(page, id).getByTestId("state").getAttribute("data-state");
  assert.equal(await state(ids.playing), "playing");
  assert.equal(await state(ids.abandoned), "abandoned");
  assert.match(await card(page, ids.abandoned).getByTestId("state").textContent(), /Abandoned/);
  assert.equal(await state(ids.focusA), "ended");
  assert.equal(await card(page, ids.playing).getByTestId("listened").textContent(), "not yet known");
  assert.match(await card(page, ids.focusA).getByTestId("listened").textContent(), /^\d+:\d\d$/);
  assert.equal(await card(page, ids.focusA).getByTestId("rating").textContent(), "5/5");
  assert.equal(await card(page, ids.playing).getByRole("button", { name: /^Rate \d of 5$/ }).count(), 0, "a playing session is rated when it ends");

  // Rate the unrated one here; the server fills the missing rating.
  await card(page, ids.unrated).getByRole("button", { name: "Rate 4 of 5" }).click();
  await card(page, ids.unrated).getByTestId("rating").waitFor();
  assert.equal(await card(page, ids.unrated).getByTestId("rating").textContent(), "4/5");
  assert.equal((await api("GET", `/sessions/${ids.unrated}`)).rating, 4);

  // Favourite, then only favourites.
  const favourite = card(page, ids.focusA).getByRole("button", { name: /^Favourite/ });
  assert.equal(await favourite.getAttribute("aria-pressed"), "false");
  await favourite.click();
  await page.waitForFunction((id) => document.querySelector(`[data-session-id="${id}"] button.favourite`)?.getAttribute("aria-pressed") === "true", ids.focusA);
  assert.equal((await api("GET", `/sessions/${ids.focusA}`)).favourite, true);
  await page.getByLabel("Favourites only").check();
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=session]").length === 1);
  assert.equal(await card(page, ids.focusA).count(), 1);
  await page.screenshot({ path: path.join(shots, "app-history-favourites.png"), fullPage: true });
  await page.getByLabel("Favourites only").uncheck();
  await card(page, ids.playing).waitFor();

  // Save a preset; the same name again is refused in words.
  await card(page, ids.focusA).getByRole("button", { name: /^Save as preset/ }).click();
  await page.getByLabel("Name").fill("Morning focus");
  await page.getByRole("button", { name: "Save preset" }).click();
  await page.getByRole("status").filter({ hasText: "Saved as the preset “Morning focus”." }).waitFor();
  await page.getByTestId("preset").filter({ hasText: "Morning focus" }).waitFor();
  await card(page, ids.unrated).getByRole("button", { name: /^Save as preset/ }).click();
  await page.getByLabel("Name").fill("Morning focus");
  await page.getByRole("button", { name: "Save preset" }).click();
  await page.getByRole("alert").filter({ hasText: "You already have a preset of that name" }).waitFor();
  await page.screenshot({ path: path.join(shots, "app-history-preset-taken.png"), fullPage: true });
  await page.getByRole("button", { name: "Cancel" }).click();
  assert.equal((await api("GET", "/presets")).length, 1);

  // Start the preset as kept: a new session with the kept schedule opens.
  await page.getByRole("button", { name: "Start Morning focus" }).click();
  await page.waitForURL(/\/session\/\?id=\d+/);
  const fromPreset = Number(new URL(page.url()).searchParams.get("id"));
  const kept = await api("GET", `/sessions/${ids.focusA}`);
  assert.deepEqual((await api("GET", `/sessions/${fromPreset}`)).schedule.steps, kept.schedule.steps);

  // Play the rated reading session again, exactly the same.
  await page.goto(`${app.baseUrl}/history/`);
  await card(page, ids.unrated).getByRole("button", { name: /^Play again/ }).click();
  await page.getByLabel("Exactly the same schedule as last time").check();
  await page.getByRole("button", { name: "Start", exact: true }).click();
  await page.waitForURL(/\/session\/\?id=\d+/);
  const again = Number(new URL(page.url()).searchParams.get("id"));
  assert.notEqual(again, ids.unrated);
  const original = await api("GET", `/sessions/${ids.unrated}`);
  assert.deepEqual((await api("GET", `/sessions/${again}`)).schedule.steps, original.schedule.steps);

  // Delete the preset, after saying yes.
  await page.goto(`${app.baseUrl}/history/`);
  await page.getByRole("button", { name: "Delete Morning focus" }).click();
  await page.getByRole("button", { name: "Delete preset" }).click();
  await page.getByText("No presets yet.").waitFor();
  assert.deepEqual(await api("GET", "/presets"), []);

  // The taken name's 409 is the one failed request the browser logs; nothing else went wrong.
  const conflict = (p) => /status of 409 \(Conflict\) @ .*\/presets$/.test(p);
  assert.equal(problems.filter(conflict).length, 1);
  assert.deepEqual(problems.filter((p) => !conflict(p)), []);
  await context.close();
});

test("History at a phone's width: insights say how sure they are; the chart has a time axis and tells kinds apart", async () => {
  const context = await signedInContext(app.browser, token, { viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const problems = watchConsole(page);
  await page.goto(`${app.baseUrl}/history/`);
  await page.getByTestId("insight").first().waitFor();

  // The words follow the server's confidence: "not enough ratings yet" only at zero.
  const report = await api("GET", "/insights/me");
  assert.ok(report.families.some((f) => f.confidence > 0 && f.confidence < 0.5), "a first guess to word");
  for (const family of report.families.filter((f) => f.you.n_sessions > 0 || f.confidence > 0)) {
    const headline = await page.locator(`[data-testid=insight][data-family="${family.family}"] [data-testid=confidence]`).textContent();
    if (family.confidence > 0) {
      assert.doesNotMatch(headline, /not enough/i, `${family.family} at ${family.confidence}: ${headline}`);
      assert.match(headline, new RegExp(`${Math.round(family.confidence * 100)}% sure, ${family.you.n_sessions} rating`));
    } else {
      assert.match(headline, /Not enough ratings yet/);
    }
  }

  // The chart: drawn at its real width (text does not shrink), a time axis, one shape per kind, a legend naming them.
  const chart = page.locator(".rating-chart svg.chart");
  const sizes = await chart.evaluate((svg) => ({ drawn: svg.getBoundingClientRect().width, viewBox: svg.viewBox.baseVal.width, font: getComputedStyle(svg.querySelector("text")).fontSize }));
  assert.ok(Math.abs(sizes.drawn - sizes.viewBox) <= 1, `drawn ${sizes.drawn}px for a ${sizes.viewBox}px viewBox`);
  assert.ok(parseFloat(sizes.font) >= 11, `chart text ${sizes.font}`);
  const tickLabels = await chart.locator("text[text-anchor]").allTextContents();
  assert.ok(tickLabels.length >= 2 && tickLabels.every((label) => /\d/.test(label)), `time axis: ${JSON.stringify(tickLabels)}`);
  const kinds = await chart.locator("g[data-family]").evaluateAll((groups) =>
    groups.map((g) => ({ family: g.dataset.family, shape: g.querySelector("path[data-shape]")?.dataset.shape })),
  );
  const rated = new Set(report.ratings_over_time.map((p) => p.family));
  assert.deepEqual(new Set(kinds.map((k) => k.family)), rated);
  assert.equal(new Set(kinds.map((k) => k.shape)).size, kinds.length, `each kind has its own shape: ${JSON.stringify(kinds)}`);
  const legend = await page.getByRole("list", { name: "Kinds of session in the chart" }).getByRole("listitem").allTextContents();
  assert.equal(legend.length, rated.size);
  assert.ok(legend.some((item) => item.startsWith("Focus / study")), JSON.stringify(legend));
  await page.screenshot({ path: path.join(shots, "app-history-390.png"), fullPage: true });
  await page.locator(".rating-chart").screenshot({ path: path.join(shots, "app-history-chart-390.png") });
  assert.deepEqual(problems, []);
  await context.close();
});
