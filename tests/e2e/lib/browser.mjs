// Debian's Chromium driven by playwright-core, plus helpers the tests share:
// screenshots to tests/artifacts/, axe-core checks, and a record of console
// errors, CSP violations and page errors for every page.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { REPO } from './server.mjs';

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const ARTIFACTS = path.join(REPO, 'tests', 'artifacts');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/**
 * A new context and page. Collected problems are in page.problems:
 * console errors (CSP "Refused to ..." lines among them) and page errors.
 */
export async function openPage(browser, { locale = 'fi-FI', width = 1280, height = 800, mobile = false } = {}) {
  const context = await browser.newContext({
    locale,
    viewport: { width, height },
    deviceScaleFactor: 1,
    isMobile: mobile,
    hasTouch: mobile,
    timezoneId: 'Europe/Helsinki',
  });
  const page = await context.newPage();
  page.problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') page.problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => page.problems.push(`pageerror: ${err.message}`));
  page.setDefaultTimeout(15000);
  return { context, page };
}

/** Problems other than the expected network noise of a test that goes offline. */
export function seriousProblems(page, { allow = [] } = {}) {
  return page.problems.filter((p) => !allow.some((re) => re.test(p)));
}

export async function screenshot(page, name, { fullPage = false } = {}) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  return file;
}

/** Run axe-core on the page (CDP evaluate is not bound by the page's CSP). */
export async function axe(page, label) {
  const loaded = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!loaded) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')} :: ${n.failureSummary}`),
    }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length) {
    const text = bad.map((v) => `[${v.impact}] ${v.id}: ${v.help}\n    ${v.nodes.join('\n    ')}`).join('\n');
    throw new Error(`axe (${label}): ${bad.length} serious/critical violation(s)\n${text}`);
  }
  return result;
}

export async function loginAdvisor(page, url, { username, password }) {
  await page.goto(`${url}/advisor/`);
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(password);
  await page.locator('#login-btn').click();
  await page.locator('#view-console').waitFor({ state: 'visible', timeout: 30000 });
}
