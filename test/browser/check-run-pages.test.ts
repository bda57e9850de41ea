// Renders each scenario's check run as the page a reviewer sees (GitHub-flavoured markdown with GitHub's
// stylesheet) in Debian's Chromium, driven by playwright-core, and saves screenshots to out/screenshots/.
// It checks what a person would: the verdict is visible, and nothing hostile came alive on the page.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const PAGES = "out/pages";
const SHOTS = "out/screenshots";
const CHROMIUM = "/usr/bin/chromium";

test("every scenario's check run renders in Chromium as an inert page with its verdict", async () => {
  assert.ok(existsSync(CHROMIUM), `expected Debian's chromium at ${CHROMIUM} (scripts/install-tools.sh installs it)`);
  rmSync(PAGES, { recursive: true, force: true });
  const demo = spawnSync(process.execPath, ["bin/agent-gate.js", "demo", "--quiet", "--pages", PAGES], { encoding: "utf8" });
  assert.equal(demo.status, 0, demo.stdout + demo.stderr);
  mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    // The pages are local files: any request leaving the machine would be a link or image that came alive.
    const outbound: string[] = [];
    page.on("request", (r) => {
      if (!r.url().startsWith("file:")) outbound.push(r.url());
    });
    const files = readdirSync(PAGES).filter((f) => f.endsWith(".html")).sort();
    assert.ok(files.length >= 12, `expected a page per scenario step, got ${files.length}`);
    for (const f of files) {
      await page.goto(pathToFileURL(`${PAGES}/${f}`).href);
      const heading = await page.locator(".markdown-body h3").first().innerText();
      assert.match(heading, /Mergeable|Not mergeable|Not evaluated/, `${f}: the verdict leads the page`);
      assert.equal(await page.locator(".markdown-body img, .markdown-body script, .markdown-body iframe").count(), 0, `${f}: no image, script or frame`);
      const links = await page.locator(".markdown-body a").evaluateAll((as) => as.map((a) => (a as { href: string }).href));
      assert.deepEqual(links.filter((h) => h.includes("evil.example")), [], `${f}: no link to a hostile address`);
      await page.screenshot({ path: `${SHOTS}/${f.replace(/\.html$/, ".png")}`, fullPage: true });
    }
    assert.deepEqual(outbound, [], "the rendered pages make no network request");
  } finally {
    await browser.close();
  }
});
