/**
 * Earned autonomy in a real browser against the real stack: the demo's tool-wear model starts in
 * shadow (its decisions audited, nothing written), an operator marks its decisions on the Autonomy
 * page, QA promotes it to supervised with an electronic signature once the (small, test-sized)
 * thresholds are met, the next AI change then waits for a signature, and an operator demotes it
 * again with a typed reason. Screens at 1366×768 and 1024×768, each checked with axe-core.
 */
import type { AuditPage, WriteBackList } from '@loopgate/contracts';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CncCellSimulator } from '../../server/src/targets/opcua/simulator';
import { DEMO_PASSWORD, eventually, startTestStack, type DemoStack } from '../support/stack';
import {
  assertConsoleBuilt,
  expectAccessible,
  launchChromium,
  openConsole,
  screenshot,
  type ConsolePage,
} from './support/browser';
import { openPage, signIn } from './support/console-driver';

const SCOPE = 'opcenter-demo|FeedRate|tool-wear-cnc';

let stack: DemoStack;
let browser: Browser;
let operator: ConsolePage;
let qa: ConsolePage;

const scopeRow = (view: ConsolePage) => view.page.locator(`tr[data-scope="${SCOPE}"]`);

async function openEvidence(view: ConsolePage): Promise<void> {
  await openPage(view.page, 'Autonomy');
  await scopeRow(view).getByRole('button', { name: 'Evidence' }).click();
  await view.page.getByRole('heading', { name: `Evidence · ${SCOPE}` }).waitFor();
}

beforeAll(async () => {
  assertConsoleBuilt();
  stack = await startTestStack({
    autonomy: {
      scopes: [{ target: 'opcenter-demo', parameter: 'FeedRate', model: 'tool-wear-cnc', level: 'shadow' }],
      promotion: {
        supervised: {
          periodDays: 1,
          minShadowDecisions: 3,
          minReviewed: 2,
          minAgreement: 0.5,
          maxInterlockRefusals: 0,
        },
      },
    },
  });
  browser = await launchChromium();
  operator = await openConsole(browser, stack.url);
  qa = await openConsole(browser, stack.url);
  await signIn(operator.page, 'operator', DEMO_PASSWORD);
  await signIn(qa.page, 'qa', DEMO_PASSWORD);
  // A worn tool: the demo flow's tool-wear model proposes feed-rate cuts every few seconds.
  (stack.simulators.opcua as unknown as CncCellSimulator).setToolWear(0.95);
});

afterEach(async ({ task }) => {
  if (task.result?.state !== 'fail') return;
  const name = task.name.replace(/\W+/g, '-').slice(0, 40);
  await screenshot(operator.page, `autonomy-failed-${name}-operator`);
  await screenshot(qa.page, `autonomy-failed-${name}-qa`);
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('the Autonomy page against the gateway and simulators', () => {
  it('shows the scope in shadow: its decisions listed and audited, nothing written to the MES', async () => {
    await openEvidence(operator);
    expect(await scopeRow(operator).locator('.badge').textContent()).toBe('shadow');
    const decisions = operator.page.locator('tr[data-decision]');
    await expect.poll(() => decisions.count(), { timeout: 90_000, interval: 1_000 }).toBeGreaterThanOrEqual(3);
    expect(await decisions.first().textContent()).toMatch(/shadow/);
    const written = stack.simulators.opcenter!.ledger().filter((e) => e.source === 'api' && e.parameter === 'FeedRate');
    expect(written).toEqual([]);
    await expectAccessible(operator, 'autonomy-shadow');
  });

  it('an operator marks decisions; QA promotes to supervised with a signature once the thresholds are met', async () => {
    const { page } = operator;
    for (let i = 0; i < 2; i++) {
      await page.locator('tr[data-decision]').getByRole('button', { name: 'Agree' }).first().click();
      await expect
        .poll(() => page.locator('tr[data-decision]').filter({ hasText: 'agreed (operator)' }).count())
        .toBe(i + 1);
    }
    await openEvidence(qa);
    const promote = qa.page.getByRole('button', { name: 'Promote to supervised' });
    await expect.poll(() => promote.isEnabled(), { timeout: 30_000, interval: 1_000 }).toBe(true);
    await promote.click();
    const dialog = qa.page.getByRole('alertdialog');
    await dialog.getByText(/From shadow to supervised on the evidence above/).waitFor();
    await dialog.getByLabel('Password (re-enter to sign)').fill(DEMO_PASSWORD);
    await expectAccessible(qa, 'autonomy-promote-signature');
    await dialog.getByRole('button', { name: /^Sign/ }).click();
    await dialog.waitFor({ state: 'hidden' });
    await expect.poll(() => scopeRow(qa).locator('.badge').textContent()).toBe('supervised');
    expect(await scopeRow(qa).textContent()).toMatch(/promoted by qa/);

    // Supervised: the model's next change waits for a person's signature instead of being written.
    const service = await stack.signIn('viewer');
    const pending = await eventually(
      async () => {
        const list = await service.get<WriteBackList>('/writebacks?states=pending-approval&limit=50');
        return list.outcomes.find((o) => o.lineage.modelId === 'tool-wear-cnc');
      },
      90_000,
      1_000,
    );
    expect(pending.state).toBe('pending-approval');
  });

  it('an operator demotes it with a typed reason, at 1024×768 too; the audit holds both changes', async () => {
    const { page } = operator;
    await page.setViewportSize({ width: 1024, height: 768 });
    await openEvidence(operator);
    await page.getByRole('button', { name: 'Demote one level' }).click();
    const dialog = page.getByRole('alertdialog', { name: `Demote ${SCOPE}` });
    await dialog.getByText(/From supervised to shadow at once/).waitFor();
    const confirm = dialog.getByRole('button', { name: 'Demote to shadow' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel('Reason (recorded in the audit trail)').fill('feed cuts oscillate on CNC_Cell_01');
    await expectAccessible(operator, 'autonomy-demote-reason-1024');
    await confirm.click();
    await dialog.waitFor({ state: 'hidden' });
    await expect.poll(() => scopeRow(operator).locator('.badge').textContent()).toBe('shadow');
    await expectAccessible(operator, 'autonomy-demoted-1024');
    await page.setViewportSize({ width: 1366, height: 768 });

    const auditor = await stack.signIn('viewer');
    const audit = await auditor.get<AuditPage>('/audit?outcome=autonomy&limit=50');
    const actions = audit.records.map((r) => [r.action, r.actor, r.reason]);
    expect(actions).toEqual(
      expect.arrayContaining([
        ['autonomy-promote', 'qa', undefined],
        ['autonomy-demote', 'operator', 'feed cuts oscillate on CNC_Cell_01'],
      ]),
    );
  });
});
