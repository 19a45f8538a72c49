// First-load JavaScript per page of the built web app (gzip), against the 250 kB budget.
// Run: node bench/web_budget.mjs [--build]   (--build times `next build` first)
import { execSync } from "node:child_process";
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const frontend = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../frontend");
const out = path.join(frontend, "out");
const BUDGET_KB = 250;

if (process.argv.includes("--build")) {
  const started = performance.now();
  execSync("npm run build", { cwd: frontend, stdio: "ignore" });
  console.log(`next build: ${((performance.now() - started) / 1000).toFixed(1)} s`);
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
