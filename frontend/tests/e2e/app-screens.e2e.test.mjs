/**
 * Every screen (/, /login/, /signup/, a playing and an ended /session/, /history/, /settings/,
 * /import/, /music/) at a phone's width (390x844) and at 200% zoom (a 1280x800 window zoomed 200% is a
 * 640x400 CSS viewport at device scale 2), signed out and signed in, against the real backend:
 * no page or dialog scrolls sideways (document.scrollingElement.scrollWidth <= clientWidth, long
 * names included), axe-core (injected from npm) reports no violations on any page or dialog, the
 * track lists' buttons included, and a client-side navigation puts focus on the new page's <h1>.
 * Screenshots go to test-results/app-*.png.
 *
 * Needs `npm run build` first, Debian's /usr/bin/chromium and the backend's venv.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";

import { axeViolations, callApi, dialogOverflow, pageReady, scanLibrary, sidewaysOverflow, wavBytes } from "./app-helpers.mjs";
import { registerListener, shots, signedInContext, startApp } from "./harness.mjs";

const LONG_FILE = `${"a-very-long-file-name-without-a-single-space-".repeat(2)}that-has-to-wrap.wav`;
const LONG_INTENT = "reading Schwarzschild-radius-documentation-and-supercalifragilistic-notes-without-breaks";
const LONG_PRESET = "My-evening-wind-down-preset-whose-name-is-far-longer-than-a-phone-is-wide";
const LONG_USER = "listener_with_an_unusually_long_name_for_a_header";

const SETUPS = [
  { name: "390", options: { viewport: { width: 390, height: 844 } } },
  { name: "zoom200", options: { viewport: { width: 640, height: 400 }, deviceScaleFactor: 2 } },
];

let app;
let token;
let playingId;
let endedId;

before(async () => {
  const music = mkdtempSync(path.join(tmpdir(), "neurotune-screens-"));
  writeFileSync(path.join(music, "calm pulse 120.wav"), wavBytes({ bpm: 120 }));
  writeFileSync(path.join(music, LONG_FILE), wavBytes({ bpm: 90, hz: 262 }));
  app = await startApp({ NEUROTUNE_LLM_MODEL: "none", NEUROTUNE_LIBRARY_ROOTS: JSON.stringify([music]) });
  token = await registerListener(app.baseUrl, { username: LONG_USER, email: "screens@example.org", password: "a long enough password" });
  const start = (intent) => callApi(app.baseUrl, token, "POST", "/sessions/start", { intent, duration_min: 20 });
  const rated = await start("deep focus: coding");
  await callApi(app.baseUrl, token, "PATCH", `/sessions/${rated.session_id}/end`, { rating: 4 });
  const unrated = await start(LONG_INTENT);
  await callApi(app.baseUrl, token, "PATCH", `/sessions/${unrated.session_id}/end`, {});
  endedId = unrated.session_id;
  playingId = (await start("relax")).session_id;
  await callApi(app.baseUrl, token, "POST", "/presets", { name: LONG_PRESET, session_id: rated.session_id });
  await scanLibrary(app.baseUrl, token);
});

after(async () => {
  await app?.stop();
});

/** Pages, and what shows that each has finished loading. */
function pages(signedIn) {
  return [
    { path: "/", ready: pageReady },
    { path: "/login/", ready: pageReady },
    { path: "/signup/", ready: pageReady },
    {
      path: `/session/?id=${playingId}`,
      ready: signedIn ? (page) => page.waitForFunction(() => window.neurotune?.schedule !== undefined && document.querySelector("main h1")) : pageReady,
    },
    { path: `/session/?id=${endedId}`, ready: pageReady },
    { path: "/history/", ready: signedIn ? (page) => page.getByTestId("session").first().waitFor() : pageReady },
    { path: "/settings/", ready: pageReady },
    { path: "/import/", ready: pageReady },
    { path: "/music/", ready: signedIn ? (page) => page.getByText("Tracks 1–2 of 2").waitFor() : pageReady },
  ];
}

/** Overflow and axe on what is on screen now, every <details> opened; what is wrong is added to `problems`. */
async function check(page, where, problems, { dialog = false } = {}) {
  await page.evaluate(() => {
    for (const details of document.querySelectorAll("details")) details.open = true;
  });
  const overflow = await sidewaysOverflow(page);
  if (overflow > 0) problems.push(`${where}: the page scrolls sideways by ${overflow}px`);
  if (dialog) {
    const { outside, inside } = await dialogOverflow(page);
    if (outside > 0 || inside > 0) problems.push(`${where}: the dialog overflows (${outside}px past the screen, ${inside}px inside)`);
  }
  const violations = await axeViolations(page);
  if (violations.length > 0) problems.push(`${where}: axe: ${JSON.stringify(violations, null, 1)}`);
}

/** Opens each dialog (and the track list) a page has, checks it, and closes it again. */
async function checkDialogs(page, route, where, problems, shot) {
  if (route.startsWith("/history/")) {
    const card = page.getByTestId("session").first();
    for (const [button, name] of [
      ["Play again", "play-again"],
      ["Save as preset", "save-preset"],
    ]) {
      await card.getByRole("button", { name: new RegExp(`^${button}`) }).click();
      await page.locator("dialog[open]").waitFor();
      await check(page, `${where} ${name} dialog`, problems, { dialog: true });
      await shot(name);
      await page.keyboard.press("Escape");
      await page.locator("dialog[open]").waitFor({ state: "detached" });
    }
    await page.getByTestId("preset").first().getByRole("button", { name: /^Delete/ }).click();
    await page.locator("dialog[open]").waitFor();
    await check(page, `${where} delete-preset dialog`, problems, { dialog: true });
    await shot("delete-preset");
    await page.getByRole("button", { name: "Keep it" }).click();
    await page.locator("dialog[open]").waitFor({ state: "detached" });
  } else if (route === `/session/?id=${playingId}`) {
    await page.getByRole("button", { name: "Keyboard shortcuts" }).click();
    await page.locator("dialog[open]").waitFor();
    await check(page, `${where} shortcuts dialog`, problems, { dialog: true });
    await shot("shortcuts");
    await page.keyboard.press("Escape");
    await page.locator("dialog[open]").waitFor({ state: "detached" });
    await page.getByRole("button", { name: "End session" }).click();
    await page.locator("dialog[open]").waitFor();
    await check(page, `${where} feedback dialog`, problems, { dialog: true });
    await shot("feedback");
    await page.getByRole("button", { name: "Keep listening" }).click();
    await page.locator("dialog[open]").waitFor({ state: "detached" });
    await page.getByRole("button", { name: "Choose a track" }).click();
    await page.getByRole("button", { name: /calm pulse 120\.wav/ }).waitFor();
    await check(page, `${where} track picker`, problems);
    await shot("track-picker");
  } else if (route.startsWith("/music/")) {
    await page.getByRole("button", { name: `Preview ${LONG_FILE}` }).click();
    await page.getByTestId("preview").waitFor();
    await check(page, `${where} preview`, problems);
    await shot("preview");
  }
}

for (const setup of SETUPS) {
  for (const signedIn of [false, true]) {
    test(`every page at ${setup.name}, signed ${signedIn ? "in" : "out"}: no sideways scrolling, no axe violations`, async () => {
      const context = signedIn ? await signedInContext(app.browser, token, setup.options) : await app.browser.newContext(setup.options);
      const page = await context.newPage();
      const problems = [];
      for (const route of pages(signedIn)) {
        const where = `${route.path} at ${setup.name}, signed ${signedIn ? "in" : "out"}`;
        const slug = `${setup.name}-${signedIn ? "in" : "out"}-${route.path.split("/")[1] || "home"}${route.path === `/session/?id=${endedId}` ? "-ended" : ""}`;
        const shot = (suffix) => page.screenshot({ path: path.join(shots, `app-${slug}${suffix ? `-${suffix}` : ""}.png`), fullPage: true });
        await page.goto(`${app.baseUrl}${route.path}`);
        await route.ready(page);
        await check(page, where, problems);
        await shot("");
        if (signedIn) await checkDialogs(page, route.path, where, problems, shot);
      }
      assert.deepEqual(problems, []);
      await context.close();
    });
  }
}

test("a client-side navigation moves focus to the new page's main heading", async () => {
  const context = await signedInContext(app.browser, token, SETUPS[0].options);
  const page = await context.newPage();
  await page.goto(`${app.baseUrl}/`);
  await pageReady(page);
  for (const [link, heading] of [
    ["History", "History"],
    ["Music", "Your music"],
    ["Start", "What would you like help with?"],
  ]) {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: link, exact: true }).click();
    await page.waitForFunction((text) => document.activeElement?.tagName === "H1" && document.activeElement.textContent === text, heading);
    const current = await page.getByRole("navigation", { name: "Main" }).locator("[aria-current=page]").textContent();
    assert.equal(current, link, "the header marks the page you are on");
  }
  await context.close();
});
