/**
 * The app as an installable, honest offline app, in headless Chromium against the real backend:
 * the manifest, icons and favicon are served; signed-out pages never ask /auth/me (no 401 in the
 * console), an expired token is forgotten without asking; the main flow, signed out and in, logs
 * no console error; the service worker serves the app with no network, a started session keeps
 * playing offline and every page says it is offline; a new build's worker waits until the listener
 * chooses to reload.
 *
 * Needs `npm run build` first (it writes out/sw.js), Debian's /usr/bin/chromium and the venv.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";

import { pageReady, watchConsole } from "./app-helpers.mjs";
import { registerListener, shots, signedInContext, startApp } from "./harness.mjs";

let app;

before(async () => {
  app = await startApp({ NEUROTUNE_LLM_MODEL: "none" });
});

after(async () => {
  await app?.stop();
});

/** Width and height from a PNG's IHDR chunk. */
function pngSize(bytes) {
  assert.equal(bytes.subarray(1, 4).toString("latin1"), "PNG");
  return `${bytes.readUInt32BE(16)}x${bytes.readUInt32BE(20)}`;
}

function watchMe(page) {
  const asked = [];
  page.on("request", (request) => {
    if (new URL(request.url()).pathname === "/auth/me") asked.push(request.url());
  });
  return asked;
}

test("installable: a manifest with PNG and SVG icons (any and maskable), a favicon", async () => {
  const context = await app.browser.newContext();
  const page = await context.newPage();
  const problems = watchConsole(page);
  await page.goto(`${app.baseUrl}/`);
  await pageReady(page);
  const links = await page.evaluate(() => ({
    manifest: document.querySelector("link[rel=manifest]")?.href,
    icons: [...document.querySelectorAll("link[rel~=icon]")].map((l) => l.href),
    theme: document.querySelector("meta[name=theme-color]")?.content,
  }));
  assert.ok(links.manifest, "a manifest link");
  assert.ok(links.theme, "a theme colour");
  const manifestResponse = await fetch(links.manifest);
  assert.equal(manifestResponse.status, 200);
  assert.match(manifestResponse.headers.get("content-type"), /manifest\+json|json/);
  const manifest = await manifestResponse.json();
  assert.equal(manifest.name, "NeuroTune");
  assert.equal(manifest.display, "standalone");
  assert.equal(manifest.start_url, "/");
  for (const want of ["192x192 any", "512x512 any", "192x192 maskable", "512x512 maskable"]) {
    const [size, purpose] = want.split(" ");
    const icon = manifest.icons.find((i) => i.sizes === size && i.purpose === purpose && i.type === "image/png");
    assert.ok(icon, `a ${want} PNG icon`);
    const response = await fetch(new URL(icon.src, app.baseUrl));
    assert.equal(response.status, 200);
    assert.equal(pngSize(Buffer.from(await response.arrayBuffer())), size);
  }
  assert.ok(manifest.icons.some((i) => i.type === "image/svg+xml" && i.sizes === "any"), "an SVG icon");
  for (const icon of links.icons) assert.equal((await fetch(icon)).status, 200, icon);
  const favicon = await fetch(`${app.baseUrl}/favicon.ico`);
  assert.equal(favicon.status, 200);
  assert.match(favicon.headers.get("content-type"), /icon/);

  // Chromium's own verdict, once the service worker is in charge.
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  const cdp = await context.newCDPSession(page);
  const { errors: manifestErrors } = await cdp.send("Page.getAppManifest");
  assert.deepEqual(manifestErrors, [], "the manifest parses cleanly");
  const { installabilityErrors } = await cdp.send("Page.getInstallabilityErrors");
  // A test's browser context is an off-the-record profile, where Chromium never offers to install
  // anything; that is the only objection allowed.
  const objections = installabilityErrors.map((e) => e.errorId).filter((id) => id !== "in-incognito");
  assert.deepEqual(objections, [], "Chromium finds the app installable");
  assert.deepEqual(problems, []);
  await context.close();
});

test("signed out: no /auth/me and no console error on any page; an expired token is forgotten quietly", async () => {
  const context = await app.browser.newContext();
  const page = await context.newPage();
  const problems = watchConsole(page);
  const asked = watchMe(page);
  for (const route of ["/", "/login/", "/signup/", "/history/", "/music/", "/settings/", "/session/?id=1"]) {
    await page.goto(`${app.baseUrl}${route}`);
    await pageReady(page);
  }
  assert.deepEqual(asked, [], "no token: nothing to ask");
  assert.deepEqual(problems, []);
  await context.close();

  const part = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const expired = `${part({ alg: "HS256", typ: "JWT" })}.${part({ sub: "1", exp: 1_000_000_000, typ: "access" })}.c2ln`;
  const stale = await signedInContext(app.browser, expired);
  const again = await stale.newPage();
  const staleProblems = watchConsole(again);
  const staleAsked = watchMe(again);
  await again.goto(`${app.baseUrl}/`);
  await again.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Sign in" }).waitFor();
  assert.deepEqual(staleAsked, []);
  assert.equal(await again.evaluate(() => localStorage.getItem("neurotune.token")), null, "the expired token is gone");
  assert.deepEqual(staleProblems, []);
  await stale.close();
});

test("the main flow, signed out then in, logs no console error", async () => {
  const context = await app.browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const problems = watchConsole(page);
  await page.goto(`${app.baseUrl}/`);
  await pageReady(page);
  await page.getByRole("link", { name: "Create account" }).first().click();
  await page.fill("#username", "e2e_flow");
  await page.fill("#email", "flow@example.org");
  await page.fill("#password", "a long enough password");
  await page.click("button[type=submit]");
  await page.waitForURL(/\/settings\//);
  await pageReady(page);
  await page.getByRole("link", { name: "Start", exact: true }).click();
  await page.getByRole("button", { name: "Start session" }).click();
  await page.waitForURL(/\/session\/\?id=\d+/);
  // Start was the tap that started the sound.
  await page.getByRole("button", { name: "Pause" }).waitFor();
  await page.getByRole("button", { name: "End session" }).click();
  await page.getByRole("button", { name: "4 of 5" }).click();
  await page.getByRole("button", { name: "Save and finish" }).click();
  await page.waitForURL(/\/history\//);
  await page.getByTestId("rating").first().waitFor();
  await page.getByRole("link", { name: "Music", exact: true }).click();
  await pageReady(page);
  await page.getByRole("button", { name: /^Sign out/ }).click();
  await page.waitForURL(/\/login\//);
  await page.fill("#email", "flow@example.org");
  await page.fill("#password", "a long enough password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${app.baseUrl}/`);
  await pageReady(page);
  assert.deepEqual(problems, []);
  await context.close();
});

/** Seconds elapsed, as the session page shows them ("1:05 elapsed"). */
async function elapsedSec(page) {
  const text = await page.locator("main").textContent();
  const match = /(\d+):(\d\d)\s*elapsed/.exec(text ?? "");
  assert.ok(match, "the session page shows the time elapsed");
  return Number(match[1]) * 60 + Number(match[2]);
}

test("offline: the app opens from the service worker, a started session keeps playing, pages say they are offline", async () => {
  const token = await registerListener(app.baseUrl, { username: "e2e_offline", email: "offline@example.org", password: "a long enough password" });
  const context = await signedInContext(app.browser, token, { viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.goto(`${app.baseUrl}/`);
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  // Opened again under the worker: this visit's answers (who is signed in) go through it.
  const reopened = await page.goto(`${app.baseUrl}/`);
  assert.equal(reopened.fromServiceWorker(), true, "the page comes from the service worker");
  await page.getByRole("button", { name: "Start session" }).click();
  await page.waitForURL(/\/session\/\?id=\d+/);
  // Start was the tap that started the sound.
  await page.getByRole("button", { name: "Pause" }).waitFor();

  await context.setOffline(true);
  await page.getByTestId("offline-banner").filter({ hasText: "You are offline" }).waitFor();
  const offlineAt = await elapsedSec(page);
  await page.waitForFunction(
    (from) => {
      const match = /(\d+):(\d\d)\s*elapsed/.exec(document.querySelector("main")?.textContent ?? "");
      return match && Number(match[1]) * 60 + Number(match[2]) >= from + 3;
    },
    offlineAt,
  );
  assert.ok(await page.evaluate(() => window.neurotune?.engine() !== null), "the engine is still playing");
  assert.ok(await page.getByRole("button", { name: "Pause" }).isVisible(), "still playing, not paused");
  await page.screenshot({ path: path.join(shots, "app-offline-session.png"), fullPage: true });

  // A new tab, no network: the app opens, knows who you are, and says what it cannot do.
  const tab = await context.newPage();
  const history = await tab.goto(`${app.baseUrl}/history/`);
  assert.equal(history.fromServiceWorker(), true);
  await tab.getByRole("heading", { level: 1, name: "History" }).waitFor();
  await tab.getByTestId("offline-banner").filter({ hasText: "You are offline" }).waitFor();
  await tab.getByRole("alert").filter({ hasText: "Cannot reach the NeuroTune server." }).first().waitFor();
  await tab.screenshot({ path: path.join(shots, "app-offline-history.png"), fullPage: true });
  await tab.goto(`${app.baseUrl}/session/?id=1`);
  await tab.getByTestId("offline-banner").filter({ hasText: "You are offline" }).waitFor();

  await context.setOffline(false);
  await page.waitForFunction(() => !/You are offline/.test(document.querySelector("[data-testid=offline-banner]")?.textContent ?? ""));
  await context.close();
});

test("a new build's service worker waits for the listener: 'Reload to update' switches to it", async () => {
  const context = await app.browser.newContext();
  // The first copy of sw.js the browser gets differs by a comment from the one on disk, as a
  // rebuilt app's would: the update check then finds a new worker.
  await context.route("**/sw.js", async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, body: `${await response.text()}\n// an older build\n` });
  });
  const page = await context.newPage();
  await page.goto(`${app.baseUrl}/`);
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await context.unroute("**/sw.js");
  await page.evaluate(async () => {
    await (await navigator.serviceWorker.getRegistration()).update();
  });
  const banner = page.getByRole("status").filter({ hasText: "A new version of NeuroTune is ready." });
  await banner.waitFor();
  assert.equal(await page.evaluate(async () => Boolean((await navigator.serviceWorker.getRegistration()).waiting)), true, "it waits");
  await Promise.all([page.waitForEvent("load"), banner.getByRole("button", { name: "Reload to update" }).click()]);
  await pageReady(page);
  assert.equal(await page.evaluate(async () => Boolean((await navigator.serviceWorker.getRegistration()).waiting)), false, "it took over");
  assert.equal(await banner.count(), 0);
  await context.close();
});
