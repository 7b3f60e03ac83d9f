// Open invlint HTML reports in headless Chromium and check them like a reader would.
//
// Usage: node browser-check.mjs OUT_DIR REPORT.html...
// For each report: no console error or page error, no request other than the file itself
// (data: URLs are not network requests and are allowed), size under 10 MB, loaded (load event)
// in under 3 s; the findings filter and a sortable header work; screenshots go to OUT_DIR.
// Prints one line of figures per report and exits 1 on any failure.
import { chromium } from "playwright-core";
import { statSync } from "node:fs";
import { basename, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const MAX_BYTES = 10 * 1024 * 1024;
const MAX_LOAD_MS = 3000;

const [outDir, ...reports] = process.argv.slice(2);
if (!outDir || reports.length === 0) {
  console.error("usage: node browser-check.mjs OUT_DIR REPORT.html...");
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

let failed = false;
for (const report of reports) {
  const path = resolve(report);
  const url = pathToFileURL(path).href;
  const name = basename(path, ".html");
  const bytes = statSync(path).size;
  const problems = [];
  // A fresh context per report: empty profile, no cache.
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  const requests = [];
  page.on("request", (r) => requests.push(r.url()));
  const notes = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
    else if (m.type() === "warning") notes.push(`console warning: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  const started = Date.now();
  await page.goto(url, { waitUntil: "load", timeout: 60000 });
  const wallMs = Date.now() - started;
  const nav = await page.evaluate(() => {
    const n = performance.getEntriesByType("navigation")[0];
    const paint = performance.getEntriesByName("first-contentful-paint")[0];
    return {
      domContentLoaded: n ? n.domContentLoadedEventEnd : null,
      load: n ? n.loadEventEnd : null,
      fcp: paint ? paint.startTime : null,
      rows: document.querySelectorAll("#findings-table tbody tr").length,
      scripts: document.scripts.length,
    };
  });
  // The only request allowed is the report itself.
  const foreign = requests.filter((r) => r !== url && !r.startsWith("data:"));
  for (const r of foreign) problems.push(`network request: ${r}`);
  if (bytes > MAX_BYTES) problems.push(`size ${bytes} bytes is over ${MAX_BYTES}`);
  const loadMs = Math.max(wallMs, nav.load || 0);
  if (loadMs > MAX_LOAD_MS) problems.push(`load took ${loadMs} ms (over ${MAX_LOAD_MS} ms)`);

  const top = resolve(outDir, `${name}.png`);
  const full = resolve(outDir, `${name}-full.png`);
  await page.screenshot({ path: top });
  // The whole page, or its first 8,000 pixels for a long one (a huge bitmap helps nobody).
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.screenshot({
    path: full,
    fullPage: true,
    clip: { x: 0, y: 0, width: 1366, height: Math.min(height, 8000) },
  });
  // One picture per section (its first 3,000 pixels), to review the page part by part.
  const sections = await page.evaluate(() =>
    [...document.querySelectorAll("main > section")].map((e) => {
      const r = e.getBoundingClientRect();
      return { id: e.id, x: r.x + window.scrollX, y: r.y + window.scrollY, width: r.width, height: r.height };
    }),
  );
  for (const s of sections) {
    await page.screenshot({
      path: resolve(outDir, `${name}-${s.id}.png`),
      fullPage: true,
      clip: { x: Math.max(0, s.x - 8), y: Math.max(0, s.y - 8), width: s.width + 16, height: Math.min(s.height + 16, 3000) },
    });
  }
  // How it prints: the top of the page in print media.
  await page.emulateMedia({ media: "print" });
  await page.screenshot({ path: resolve(outDir, `${name}-print.png`), fullPage: true, clip: { x: 0, y: 0, width: 1366, height: 2400 } });
  await page.emulateMedia({ media: "screen" });
  // The script works: the controls show, filtering by the first row's code keeps only rows
  // with that code, and a header click sorts.
  if (nav.rows > 0) {
    const visible = await page.isVisible("#findings-controls");
    if (!visible) problems.push("findings filter controls stayed hidden (script did not run)");
    const code = (await page.textContent("#findings-table tbody tr td:nth-child(2)")).trim();
    await page.fill("#findings-query", code);
    const check = await page.evaluate((code) => {
      const rows = [...document.querySelectorAll("#findings-table tbody tr")];
      const shown = rows.filter((r) => !r.hidden);
      return {
        shown: shown.length,
        wrong: shown.filter((r) => !r.textContent.includes(code)).length,
        count: document.getElementById("findings-count").textContent,
      };
    }, code);
    if (check.shown === 0 || check.wrong > 0) problems.push(`filter by ${code} failed: ${JSON.stringify(check)}`);
    await page.fill("#findings-query", "");
    await page.click("#findings-table thead th:nth-child(4)");
    const sorted = await page.evaluate(() =>
      document.querySelector("#findings-table thead th:nth-child(4)").getAttribute("aria-sort"),
    );
    if (sorted !== "ascending") problems.push(`sorting by Line did not happen (aria-sort=${sorted})`);
    await page.evaluate(() => window.scrollTo(0, 0));
  }

  await context.close();

  const mb = (bytes / 1024 / 1024).toFixed(2);
  console.log(
    `${problems.length ? "FAIL" : "ok  "} ${path}: ${bytes} bytes (${mb} MB), load ${loadMs} ms ` +
      `(DOMContentLoaded ${Math.round(nav.domContentLoaded)} ms, load event ${Math.round(nav.load)} ms, ` +
      `first paint ${nav.fcp === null ? "?" : Math.round(nav.fcp)} ms), ${nav.rows} table rows, ` +
      `${requests.length} request(s), screenshots ${top} ${full}`,
  );
  for (const p of problems) console.log(`     ${p}`);
  for (const n of notes) console.log(`     (${n})`);
  failed ||= problems.length > 0;
}
await browser.close();
process.exit(failed ? 1 : 0);
