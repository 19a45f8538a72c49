// First-load JavaScript per page of the built web app (gzip), against the 250 kB budget, and
// what the service worker adds (it is fetched after the page has loaded, so it is not first-load).
// Run: node bench/web_budget.mjs [--build]   (--build times `npm run build`: next build + sw.js)
import { execSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const frontend = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../frontend");
const out = path.join(frontend, "out");
const BUDGET_KB = 250;

if (process.argv.includes("--build")) {
  const started = performance.now();
  execSync("npm run build", { cwd: frontend, stdio: "ignore" });
  console.log(`npm run build (next build + service worker): ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

function pages(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === "_next" ? [] : pages(full);
    return name === "index.html" ? [full] : [];
  });
}

const rows = pages(out).map((html) => {
  // noModule scripts are legacy polyfills that current browsers never download.
  const tags = [...readFileSync(html, "utf8").matchAll(/<script([^>]+)>/g)].map((m) => m[1]);
  const scripts = tags.filter((t) => !/noModule/i.test(t)).map((t) => /src="([^"]+\.js)"/.exec(t)?.[1]).filter(Boolean);
  const bytes = [...new Set(scripts)].reduce((sum, src) => sum + gzipSync(readFileSync(path.join(out, src))).length, 0);
  const route = "/" + path.relative(out, path.dirname(html)).replace(/\\/g, "/");
  return { route: route === "/" ? "/" : `${route}/`, kb: bytes / 1024 };
});

console.log(`\n${"page".padEnd(14)}| ${"first-load JS (gzip kB)".padStart(24)} | ${"x budget (250 kB)".padStart(17)}`);
for (const { route, kb } of rows.sort((a, b) => a.route.localeCompare(b.route))) {
  console.log(`${route.padEnd(14)}| ${kb.toFixed(1).padStart(24)} | ${(kb / BUDGET_KB).toFixed(2).padStart(17)}`);
}

const sw = path.join(out, "sw.js");
if (existsSync(sw)) {
  const source = readFileSync(sw);
  const precached = [...source.toString("utf8").matchAll(/url:"([^"]+)"/g)].map((m) => m[1]);
  const precacheKb = precached.reduce((sum, url) => sum + statSync(path.join(out, url)).size, 0) / 1024;
  console.log(
    `\nservice worker: sw.js ${(gzipSync(source).length / 1024).toFixed(1)} kB gzip, installed after the first load; ` +
      `it precaches ${precached.length} files (${precacheKb.toFixed(0)} kB on disk) for offline use`,
  );
} else {
  console.log("\nno out/sw.js: run `npm run build` (next build alone does not write the service worker)");
}
