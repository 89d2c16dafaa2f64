/**
 * Real-browser tests of the console: Debian's chromium (apt-get install chromium; CI's .ci/run
 * installs it when missing) driven by puppeteer-core, which downloads no browser. A missing
 * chromium fails the test: browser tests never skip quietly.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

/** Screenshots of each run (git-ignored); docs/images/console-*.png are copies of some. */
export const BROWSER_OUTPUT_DIR = path.resolve(__dirname, '../../test-output/browser');

export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  const found = candidates.find((candidate) => candidate && existsSync(candidate));
  if (!found) {
    throw new Error('chromium not found: apt-get install -y chromium, or set CHROMIUM_PATH');
  }
  return found;
}

export function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    // Tests run as root here and in CI, where chromium's sandbox cannot start.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--lang=en-GB'],
  });
}

export interface ConsoleTab {
  page: Page;
  /** Scripts or styles the CSP refused, and uncaught page errors: a test expects none. */
  problems: string[];
}

/** A tab on the console's sign-in page, recording CSP refusals and page errors. */
export async function openConsole(browser: Browser, adminUrl: string): Promise<ConsoleTab> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  await page.emulateTimezone('UTC');
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) {
      problems.push(message.text());
    }
  });
  page.on('pageerror', (error) => problems.push(String(error)));
  await page.goto(`${adminUrl}/console/`, { waitUntil: 'networkidle0' });
  return { page, problems };
}

/**
 * Presses Tab until the focused element matches `selector`: proof that it is reachable from
 * the keyboard. Fails after `limit` presses.
 */
export async function tabTo(page: Page, selector: string, limit = 60): Promise<void> {
  for (let presses = 0; presses < limit; presses++) {
    const focused = await page.evaluate(
      (s) => (globalThis as unknown as BrowserGlobals).document.activeElement?.matches(s) ?? false,
      selector,
    );
    if (focused) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`${selector} not reached with ${limit} Tab presses`);
}

/**
 * Presses Tab until the focused element is a control whose visible text (a button's or link's
 * own, or an input's form's button) is `text`: for controls a selector cannot name.
 */
export async function tabToControl(
  page: Page,
  kind: 'button' | 'link' | 'input-of-form-with-button',
  text: string,
  limit = 120,
): Promise<void> {
  for (let presses = 0; presses < limit; presses++) {
    const focused = await page.evaluate(
      (k, t) => {
        const active = (globalThis as unknown as BrowserGlobals).document.activeElement;
        if (!active) return false;
        const own = (active.textContent ?? '').trim();
        if (k === 'button') return active.matches('button') && own === t;
        if (k === 'link') return active.matches('a') && own === t;
        const button = active.matches('input')
          ? active.closest('form')?.querySelector('button')
          : null;
        return (button?.textContent ?? '').trim() === t;
      },
      kind,
      text,
    );
    if (focused) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`${kind} "${text}" not reached with ${limit} Tab presses`);
}

/** Waits until the element `selector` names holds `text`. */
export async function waitForText(page: Page, selector: string, text: string): Promise<void> {
  await page.waitForFunction(
    `document.querySelector(${JSON.stringify(selector)})?.textContent?.includes(${JSON.stringify(text)})`,
  );
}

/** Signs in as a person would: the token typed into the form, submitted from the keyboard. */
export async function signIn(page: Page, token: string): Promise<void> {
  await page.waitForSelector('#token', { visible: true });
  await tabTo(page, '#token');
  await page.keyboard.type(token);
  await tabTo(page, '#sign-in-form button[type="submit"]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#nav:not([hidden])');
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(BROWSER_OUTPUT_DIR, { recursive: true });
  const file = path.join(BROWSER_OUTPUT_DIR, `console-${name}.png`);
  await page.screenshot({ path: file as `${string}.png`, fullPage: true });
  return file;
}

interface FocusedElement {
  matches(selector: string): boolean;
  closest(selector: string): { querySelector(selector: string): FocusedElement | null } | null;
  textContent: string | null;
}

/** What the functions run in the page use of its globals (the tests compile without DOM types). */
interface BrowserGlobals {
  document: { activeElement: FocusedElement | null };
  axe: { run(): Promise<{ violations: unknown[] }> };
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * axe-core's serious and critical violations on the page as it is now. axe is evaluated over
 * the DevTools protocol, which the page's CSP does not govern; the page itself stays strict.
 */
export async function seriousAxeViolations(page: Page): Promise<string[]> {
  const source = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(source);
  const violations = await page.evaluate(async () => {
    return (await (globalThis as unknown as BrowserGlobals).axe.run()).violations;
  });
  return (violations as AxeViolation[])
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join('; ')})`,
    );
}
