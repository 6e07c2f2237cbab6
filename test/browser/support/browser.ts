/**
 * Driving Debian's Chromium with playwright-core (never a downloaded browser): launching it,
 * collecting console errors, screenshots into test/artifacts, and axe-core accessibility checks.
 */
import { expect } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const ARTIFACTS = path.join(REPO_ROOT, 'test', 'artifacts');
export const EDITOR_DIST = path.join(REPO_ROOT, 'editor', 'dist');
const AXE = path.join(REPO_ROOT, 'node_modules', 'axe-core', 'axe.min.js');
const CHROMIUM = process.env.LOOPGATE_CHROMIUM ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** The console must be built; the gateway and the mock both serve editor/dist. */
export function assertConsoleBuilt(): void {
  if (!fs.existsSync(path.join(EDITOR_DIST, 'index.html')))
    throw new Error('editor/dist is missing: run `npm run build -w editor` first');
}

export interface ConsolePage {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions seen so far: a page that logs an error fails the test. */
  errors: string[];
}

/** A fresh browser context (its own cookies and storage, as a second person's browser would be). */
export async function openConsole(
  browser: Browser,
  baseURL: string,
  viewport = { width: 1366, height: 768 },
): Promise<ConsolePage> {
  const context = await browser.newContext({ baseURL, viewport, acceptDownloads: true });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  return { context, page, errors };
}

/** What a person did in a page, as the browser saw it: pointer presses, choices, fields typed into, keys. */
export interface UserActions {
  clicks: number;
  choices: number;
  fields: number;
  keys: number;
}

/**
 * Counts what a person does in `page` from here on, across navigations in the tab (kept in
 * sessionStorage): presses of the pointer (a click, a drag or an edge drawn is one), choices in
 * selects and checkboxes, fields typed into (one per field, however long the text), keys pressed.
 * `read()` answers the totals so far.
 */
export async function countUserActions(page: Page): Promise<{ read(): Promise<UserActions> }> {
  await page.addInitScript(() => {
    const w = globalThis as unknown as {
      sessionStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void };
      document: {
        addEventListener(type: string, listener: (e: Record<string, unknown>) => void, capture: boolean): void;
      };
    };
    const bump = (key: string) =>
      w.sessionStorage.setItem(`lg-count-${key}`, String(Number(w.sessionStorage.getItem(`lg-count-${key}`) ?? 0) + 1));
    let lastTyped: unknown;
    const on = (type: string, listener: (e: Record<string, unknown>) => void) =>
      w.document.addEventListener(type, listener, true);
    on('pointerdown', (e) => e.isTrusted && bump('clicks'));
    on('keydown', (e) => e.isTrusted && bump('keys'));
    on('change', (e) => {
      const target = e.target as { tagName?: string; type?: string };
      if (target.tagName === 'SELECT' || target.type === 'checkbox' || target.type === 'radio') bump('choices');
    });
    on('input', (e) => {
      const target = e.target as { tagName?: string; type?: string };
      if (target.tagName === 'SELECT' || target.type === 'checkbox' || target.type === 'radio') return;
      if (e.target !== lastTyped) bump('fields');
      lastTyped = e.target;
    });
  });
  return {
    read: () =>
      page.evaluate(() => {
        const store = (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } })
          .sessionStorage;
        const n = (key: string) => Number(store.getItem(`lg-count-${key}`) ?? 0);
        return { clicks: n('clicks'), choices: n('choices'), fields: n('fields'), keys: n('keys') };
      }),
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `console-${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

interface AxeInPage {
  axe: { run: (context: unknown, options: unknown) => Promise<{ violations: AxeViolation[] }> };
  document: unknown;
}

/** Runs axe-core in the page; returns the serious and critical violations (WCAG 2.1 A/AA and best practice). */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated over the DevTools protocol, which the console's Content-Security-Policy (script-src 'self') does not block.
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(fs.readFileSync(AXE, 'utf8'));
  const violations = await page.evaluate(async () => {
    // This function runs in the browser, where axe and the document are globals.
    const inPage = globalThis as unknown as AxeInPage;
    const result = await inPage.axe.run(inPage.document, {
      resultTypes: ['violations'],
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
    }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Readable summary of violations for an assertion message. */
export function describeViolations(violations: AxeViolation[]): string {
  return violations
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`)
    .join('\n');
}

/** Screenshots the page under `name`, then fails on any serious or critical axe violation or a console error. */
export async function expectAccessible(view: ConsolePage, name: string): Promise<void> {
  await screenshot(view.page, name);
  const violations = await seriousViolations(view.page);
  expect(violations, describeViolations(violations)).toEqual([]);
  expect(view.errors).toEqual([]);
}
