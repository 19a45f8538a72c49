/**
 * What the app-wide e2e files share on top of harness.mjs: axe-core injected into the page, the
 * sideways-overflow measure, a console watcher, API calls as a listener, and small WAV files for
 * a library.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const AXE_SCRIPT = require.resolve("axe-core/axe.min.js");

/** axe-core's violations on the page as it is now (every rule axe runs by default), in short. */
export async function axeViolations(page) {
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ path: AXE_SCRIPT });
  const violations = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ["violations"] })).violations);
  return violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(" ")} :: ${n.failureSummary?.split("\n").slice(1, 3).join(" ")}`),
  }));
}

/** How far the page scrolls sideways (CSS px); 0 when nothing overflows. */
export async function sidewaysOverflow(page) {
  return page.evaluate(() => {
    const root = document.scrollingElement ?? document.documentElement;
    return root.scrollWidth - root.clientWidth;
  });
}

/** The open modal dialog's overflow: wider than the screen, or scrolling sideways inside. */
export async function dialogOverflow(page) {
  return page.evaluate(() => {
    const dialog = document.querySelector("dialog[open]");
    if (!dialog) throw new Error("no open dialog");
    const box = dialog.getBoundingClientRect();
    return {
      outside: Math.max(0, box.right - document.documentElement.clientWidth, -box.left),
      inside: dialog.scrollWidth - dialog.clientWidth,
    };
  });
}

/** Collects console errors and uncaught page errors, with where they came from. */
export function watchConsole(page) {
  const problems = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()} @ ${message.location()?.url ?? "?"}`);
  });
  page.on("pageerror", (error) => problems.push(`pageerror: ${String(error)}`));
  return problems;
}

/** Calls the API as the listener with `token`; returns the parsed answer, throws on an unexpected status. */
export async function callApi(baseUrl, token, method, path, body, { expect = [200, 201, 204] } = {}) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!expect.includes(response.status)) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** A mono 16-bit WAV of a tone pulsed at `bpm`, `seconds` long: something the scanner can analyse. */
export function wavBytes({ seconds = 4, hz = 330, bpm = 120, sampleRate = 22050 } = {}) {
  const samples = Math.round(seconds * sampleRate);
  const data = Buffer.alloc(samples * 2);
  const beat = 60 / bpm;
  for (let i = 0; i < samples; i += 1) {
    const t = i / sampleRate;
    const envelope = Math.exp(-((t % beat) / 0.05));
    data.writeInt16LE(Math.round(12000 * envelope * Math.sin(2 * Math.PI * hz * t)), i * 2);
  }
  const header = Buffer.alloc(44);
  header.write("RIFF", 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write("WAVEfmt ", 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** Scans the library through the API and waits for the job to finish. */
export async function scanLibrary(baseUrl, token) {
  let job = await callApi(baseUrl, token, "POST", "/library/scan", { wait_sec: 30 }, { expect: [200, 202] });
  while (job.status === "queued" || job.status === "running") {
    await new Promise((resolve) => setTimeout(resolve, 300));
    job = await callApi(baseUrl, token, "GET", `/library/scan/${job.job_id}`);
  }
  return job;
}

/** Waits until the page has its main heading and has stopped saying "Loading…". */
export async function pageReady(page) {
  await page.waitForFunction(() => {
    const main = document.getElementById("main");
    return main?.querySelector("h1") && !/Loading/.test(main.textContent ?? "");
  });
}
