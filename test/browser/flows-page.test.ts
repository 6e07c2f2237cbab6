/**
 * The console's Flows page against the real gateway with Node-RED in its child process, at
 * 1024×768: a deploy by one engineer waits with its node-level diff, its author cannot sign it,
 * a second engineer signs it (the rules review's signature dialog) and Node-RED runs it; a
 * rollback in one action puts the earlier flows back.
 */
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { endpointFlow, ENGINEER_PASSWORD, startRedGateway, waitFor, type RedGateway } from '../red/support';
import {
  assertConsoleBuilt,
  describeViolations,
  launchChromium,
  openConsole,
  screenshot,
  seriousViolations,
  type ConsolePage,
} from './support/browser';
import { sign, signIn } from './support/console-driver';

const VIEWPORT = { width: 1024, height: 768 };
let gw: RedGateway;
let browser: Browser;
let erin: ConsolePage;
let ed: ConsolePage;
let firstVersion: number;
let pendingVersion: number;

function flowsAnswering(answer: string): Record<string, unknown>[] {
  return endpointFlow('line4', '/line4', `msg.payload = { answer: ${JSON.stringify(answer)} }; return msg;`);
}

async function endpointAnswer(): Promise<string | undefined> {
  const response = await fetch(`${gw.url}/flows-http/line4`, {
    headers: { authorization: `Bearer ${gw.bootstrapToken}` },
  });
  return response.ok ? ((await response.json()) as { answer: string }).answer : undefined;
}

beforeAll(async () => {
  assertConsoleBuilt();
  gw = await startRedGateway();
  await gw.waitForNodeRed();
  // A published first version, then a pending change by erin: the function changes, a debug node is added.
  const first = await gw.deploy(await gw.engineer('erin'), flowsAnswering('first'));
  firstVersion = first.body.version as number;
  expect((await gw.approve(firstVersion, 'ed')).status).toBe(200);
  await waitFor('the first flows', async () => ((await endpointAnswer()) === 'first' ? true : undefined));
  const changed = [
    ...flowsAnswering('second'),
    { id: 'line4.debug', type: 'debug', z: 'line4', name: 'trace line 4', active: true, wires: [] },
  ];
  const pending = await gw.deploy(await gw.engineer('erin'), changed);
  expect(pending.body).toMatchObject({ code: 'FLOW_APPROVAL_REQUIRED' });
  pendingVersion = pending.body.version as number;
  await gw.engineer('ed');

  browser = await launchChromium();
  erin = await openConsole(browser, gw.url, VIEWPORT);
  ed = await openConsole(browser, gw.url, VIEWPORT);
}, 180_000);

afterEach(async ({ task }) => {
  if (task.result?.state !== 'fail') return;
  const name = task.name.replace(/\W+/g, '-').slice(0, 40);
  if (erin) await screenshot(erin.page, `flows-failed-${name}-erin`);
  if (ed) await screenshot(ed.page, `flows-failed-${name}-ed`);
});

afterAll(async () => {
  await browser?.close();
  await gw?.close();
});

describe('Flows page (1024×768)', () => {
  it('shows the author their pending version with its diff, and no way to sign it', async () => {
    const { page } = erin;
    await signIn(page, 'erin', ENGINEER_PASSWORD);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Flows' }).click();
    await page.waitForURL('**/flows');
    const review = page.getByRole('region', { name: `Review v${pendingVersion} before it runs` });
    await review.waitFor();
    await expect.poll(() => review.getByTestId('flow-diff').textContent()).toContain('debug "trace line 4"');
    expect(await review.textContent()).toContain('You deployed this version: a second engineer must sign it');
    expect(await review.getByRole('button', { name: 'Approve and deploy…' }).count()).toBe(0);
    await screenshot(page, 'flows-pending-author');
    expect(erin.errors).toEqual([]);
  });

  it('lets a second engineer read the node-level diff and sign it, after which Node-RED runs it', async () => {
    const { page } = ed;
    await signIn(page, 'ed', ENGINEER_PASSWORD);
    await page.goto('/flows');
    const review = page.getByRole('region', { name: `Review v${pendingVersion} before it runs` });
    await review.waitFor();
    const diff = review.getByTestId('flow-diff');
    expect(await diff.locator('.flow-diff-added li').allTextContents()).toEqual([
      'debug "trace line 4" line4.debug on line4',
    ]);
    expect(await diff.locator('.flow-diff-changed li').allTextContents()).toEqual([
      'function "line4 function" line4.fn on line4',
    ]);
    expect(await diff.locator('.flow-diff-removed li').count()).toBe(0);
    const violations = await seriousViolations(page);
    expect(violations, describeViolations(violations)).toEqual([]);
    await screenshot(page, 'flows-pending-reviewer');
    expect(await endpointAnswer()).toBe('first');

    await review.getByRole('button', { name: 'Approve and deploy…' }).click();
    await sign(page, ENGINEER_PASSWORD);
    await page.getByText(`v${pendingVersion} approved: Node-RED runs it now.`).waitFor();
    await waitFor('the approved flows', async () => ((await endpointAnswer()) === 'second' ? true : undefined));
    const row = page.locator(`tr[data-version="${pendingVersion}"]`);
    await expect.poll(() => row.textContent()).toContain('live');
    expect(await row.textContent()).toContain('ed');
    await screenshot(page, 'flows-approved');
    expect(ed.errors).toEqual([]);
  });

  it('rolls back to the earlier version in one action', async () => {
    const { page } = ed;
    const row = page.locator(`tr[data-version="${firstVersion}"]`);
    await row.getByRole('button', { name: `Roll back to v${firstVersion}…` }).click();
    const dialog = page.getByRole('alertdialog', { name: `Roll back to v${firstVersion}` });
    await dialog.getByLabel('Reason (optional)').fill('line 4 trace not wanted');
    await screenshot(page, 'flows-rollback-dialog');
    await dialog.getByRole('button', { name: `Roll back to v${firstVersion}` }).click();
    await dialog.waitFor({ state: 'hidden' });
    await waitFor('the rolled-back flows', async () => ((await endpointAnswer()) === 'first' ? true : undefined));
    const live = (await gw.versions()).find((v) => v.live)!;
    expect(live).toMatchObject({ source: 'rollback', rollbackOf: firstVersion, status: 'published', author: 'ed' });
    await expect.poll(() => page.locator(`tr[data-version="${live.version}"]`).textContent()).toContain('live');
    await screenshot(page, 'flows-rolled-back');
    expect(ed.errors).toEqual([]);
  });
});
