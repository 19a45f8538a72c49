/**
 * The app's icons, drawn once as SVG (public/icon.svg, public/icon-maskable.svg) and rasterised
 * here with resvg into the PNG sizes that browsers and home screens ask for, plus favicon.ico.
 * The outputs are committed, so a build never needs this script:
 *
 *   node scripts/icons.mjs         write public/icons/*.png and public/favicon.ico
 *   node scripts/icons.mjs check   fail if a committed file differs from what the SVGs give
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { Resvg } from "@resvg/resvg-js";

const publicDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../public");

/** [source SVG, output, size in px]. "any" icons keep their rounded corners; maskable ones fill the square. */
const PNGS = [
  ["icon.svg", "icons/icon-192.png", 192],
  ["icon.svg", "icons/icon-512.png", 512],
  ["icon-maskable.svg", "icons/maskable-192.png", 192],
  ["icon-maskable.svg", "icons/maskable-512.png", 512],
  ["icon-maskable.svg", "icons/apple-touch-icon.png", 180],
];
const FAVICON_SIZES = [16, 32, 48];

function rasterise(svgName, size) {
  const svg = readFileSync(path.join(publicDir, svgName));
  return Buffer.from(new Resvg(svg, { fitTo: { mode: "width", value: size } }).render().asPng());
}

/** An .ico holding PNG images (every browser since IE Vista reads PNG entries). */
function ico(images) {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0); // reserved
  header.writeUInt16LE(1, 2); // 1 = icon
  header.writeUInt16LE(images.length, 4);
  let offset = 6 + 16 * images.length;
  const entries = images.map(({ size, png }) => {
    const entry = Buffer.alloc(16);
    entry.writeUInt8(size >= 256 ? 0 : size, 0); // width (0 means 256)
    entry.writeUInt8(size >= 256 ? 0 : size, 1); // height
    entry.writeUInt8(0, 2); // no palette
    entry.writeUInt8(0, 3); // reserved
    entry.writeUInt16LE(1, 4); // colour planes
    entry.writeUInt16LE(32, 6); // bits per pixel
    entry.writeUInt32LE(png.length, 8);
    entry.writeUInt32LE(offset, 12);
    offset += png.length;
    return entry;
  });
  return Buffer.concat([header, ...entries, ...images.map((image) => image.png)]);
}

function outputs() {
  const files = PNGS.map(([svg, out, size]) => [out, rasterise(svg, size)]);
  files.push(["favicon.ico", ico(FAVICON_SIZES.map((size) => ({ size, png: rasterise("icon.svg", size) })))]);
  return files;
}

const stale = [];
for (const [name, bytes] of outputs()) {
  const target = path.join(publicDir, name);
  if (process.argv[2] === "check") {
    let current = null;
    try {
      current = readFileSync(target);
    } catch {
      // missing: stale
    }
    if (!current?.equals(bytes)) stale.push(name);
  } else {
    writeFileSync(target, bytes);
    console.log(`wrote public/${name} (${bytes.length} bytes)`);
  }
}
if (stale.length > 0) {
  console.error(`Icons out of date: ${stale.join(", ")}. Run: npm run gen:icons`);
  process.exit(1);
}
