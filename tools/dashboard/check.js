// Load every page of a built dashboard from file:// in headless Chromium (Debian's, driven
// by playwright-core) and report, as one JSON object on stdout, per page: console errors and
// uncaught exceptions, failed requests, the charts drawn (SVG present) against the charts on
// the page, the tables, and whether it shows a "no data yet" state. A screenshot per page
// goes to SCREENSHOT_DIR. Exit 0 when no page has an error or an undrawn chart, 1 otherwise,
// 2 on a usage problem.
//
//   node check.js SITE_DIR SCREENSHOT_DIR [CHROMIUM]
"use strict";
const fs = require("fs");
const path = require("path");
const { pathToFileURL } = require("url");
const { chromium } = require("playwright-core");

async function checkPage(browser, file, shots) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(`console: ${msg.text()}`);
  });
  page.on("pageerror", (err) => errors.push(`exception: ${err.message}`));
  page.on("requestfailed", (req) => errors.push(`request failed: ${req.url()}`));
  await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
  try {
    await page.waitForSelector("body[data-charts-ready]", { timeout: 20000 });
  } catch (e) {
    errors.push("charts never settled (body[data-charts-ready] missing)");
  }
  const dom = await page.evaluate(() => ({
    title: document.title,
    charts: document.querySelectorAll("figure.chart").length,
    drawn: document.querySelectorAll("figure.chart[data-rendered=true] svg").length,
    tables: Array.from(document.querySelectorAll("table[data-table]")).map((t) => t.getAttribute("data-table")),
    empty: document.querySelectorAll("[data-empty=true]").length,
    text: document.body.innerText.slice(0, 20000),
  }));
  const shot = path.join(shots, path.basename(file).replace(/\.html$/, ".png"));
  await page.screenshot({ path: shot, fullPage: true });
  await page.close();
  return { page: path.basename(file), errors, screenshot: shot, ...dom };
}

async function main() {
  const [site, shots, executable] = process.argv.slice(2);
  if (!site || !shots) {
    console.error("usage: node check.js SITE_DIR SCREENSHOT_DIR [CHROMIUM]");
    process.exit(2);
  }
  fs.mkdirSync(shots, { recursive: true });
  const files = fs.readdirSync(site).filter((f) => f.endsWith(".html")).sort()
    .map((f) => path.resolve(site, f));
  const browser = await chromium.launch({
    executablePath: executable || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  const pages = [];
  try {
    for (const file of files) pages.push(await checkPage(browser, file, shots));
  } finally {
    await browser.close();
  }
  const ok = pages.length > 0 && pages.every((p) => p.errors.length === 0 && p.drawn === p.charts);
  process.stdout.write(JSON.stringify({ ok, pages }, null, 1) + "\n");
  process.exit(ok ? 0 : 1);
}

main().catch((e) => {
  console.error(`check.js: ${e.stack || e}`);
  process.exit(2);
});
