/**
 * The console in a real browser (Debian's Chromium through playwright-core) against the real
 * gateway with its simulators: an engineer builds a rule on the canvas and a second engineer
 * publishes it; an operator watches outcomes arrive live, signs an approval, reverts an applied
 * change (the simulator holds the prior value again) and stops all dispatch. Every page is
 * screenshotted into test/artifacts and checked with axe-core.
 */
import { randomUUID } from 'node:crypto';
import type { WriteBackList, WriteBackOutcome, WriteBackRequest } from '@loopgate/contracts';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../server/src/demo/api-client';
import type { WriteBackEngine } from '../../server/src/gateway/engine/writeback-engine';
import { WRITEBACK_ENGINE } from '../../server/src/gateway/services/tokens';
import type { LedgerInput } from '../../server/src/targets/sim-kit';
import { DEMO_PASSWORD, eventually, startTestStack, type DemoStack } from '../support/stack';
import {
  assertConsoleBuilt,
  expectAccessible,
  launchChromium,
  openConsole,
  screenshot,
  type ConsolePage,
} from './support/browser';
import {
  addFact,
  buildThresholdRule,
  createRuleSet,
  openPage,
  outcomeRow,
  sign,
  signIn,
  signOut,
  submitForApproval,
} from './support/console-driver';

// A recipe no demo flow writes, so only this test changes it: FeedRate is seeded at 1150.
const OBJECT = 'CNC-02/OP20';
const RULE_SET = `console-e2e-${Date.now().toString(36)}`;

let stack: DemoStack;
let browser: Browser;
let service: ApiClient;
let operator: ConsolePage;
let engineer: ConsolePage;

/** Submits a write-back as a Node-RED output node does, with the runtime's service token. */
async function submitAiChange(value: number): Promise<WriteBackOutcome> {
  const request: WriteBackRequest = {
    requestId: `console-e2e:${randomUUID()}`,
    lineage: {
      inferenceId: `inf-${randomUUID().slice(0, 8)}`,
      modelId: 'tool-wear',
      modelVersion: '3',
      score: 0.81,
      ruleSetId: 'tool-wear-feed-compensation',
      ruleName: 'reduce-feed',
    },
    target: { kind: 'opcenter', instance: stack.instances.opcenter! },
    object: {
      type: 'recipe-parameter',
      id: OBJECT,
      equipment: { site: 'Plant-A', area: 'Machining', workCenter: 'Line-2', workUnit: 'CNC-02' },
    },
    action: 'set-parameter',
    parameter: 'FeedRate',
    value,
    reason: 'tool wear compensation (browser test)',
    notAfter: new Date(Date.now() + 5 * 60_000).toISOString(),
    initiator: 'ai',
  };
  return service.post<WriteBackOutcome>('/writebacks', request);
}

/** The value the Opcenter simulator last applied to the test's recipe parameter. */
function simulatorFeedRate(): unknown {
  const entries = stack.simulators.opcenter!.ledger().filter((e) => e.object === OBJECT && e.parameter === 'FeedRate');
  return entries.length > 0 ? entries[entries.length - 1].value : 1150;
}

async function waitForState(view: ConsolePage, commandId: string, state: string): Promise<void> {
  await expect.poll(() => outcomeRow(view.page, commandId).getAttribute('data-state'), { timeout: 30_000 }).toBe(state);
}

beforeAll(async () => {
  assertConsoleBuilt();
  // The cases share keys: a revert in one must not hold the AI writes of the next (the hold after a
  // revert is shown in test/e2e/demo.test.ts and the engine spec).
  stack = await startTestStack({ guardrails: { revertHoldSeconds: 0 } });
  service = new ApiClient(stack.url, stack.serviceToken);
  browser = await launchChromium();
  operator = await openConsole(browser, stack.url);
  engineer = await openConsole(browser, stack.url);
});

afterEach(async ({ task }) => {
  if (task.result?.state !== 'fail') return;
  const name = task.name.replace(/\W+/g, '-').slice(0, 40);
  await screenshot(operator.page, `e2e-failed-${name}-operator`);
  await screenshot(engineer.page, `e2e-failed-${name}-engineer`);
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('console against the gateway and simulators', () => {
  it('signs in with the gateway’s users', async () => {
    await signIn(operator.page, 'operator', DEMO_PASSWORD);
    await operator.page.getByText('● Live').waitFor();
    await expectAccessible(operator, 'e2e-outcomes');
  });

  it('shows an AI-initiated outcome arriving live', async () => {
    const outcome = await submitAiChange(1120);
    await waitForState(operator, outcome.commandId, 'applied');
    expect(await outcomeRow(operator.page, outcome.commandId).locator('.ai-flag').count()).toBe(1);
    await eventually(async () => (simulatorFeedRate() === 1120 ? true : undefined));
  });

  it('approves a pending change with an electronic signature', async () => {
    // A step above 5 % needs a person under the demo site's change control.
    const pending = await submitAiChange(1190);
    expect(pending.state).toBe('pending-approval');
    const card = operator.page.locator(`.approval[data-command-id="${pending.commandId}"]`);
    // The model asks again while the first waits: the operator sees one card that counts, not a flood.
    for (let i = 0; i < 2; i++) expect((await submitAiChange(1190)).commandId).toBe(pending.commandId);
    await expect.poll(() => card.locator('.asked').getAttribute('data-asked')).toBe('3');
    expect(await operator.page.locator('.approval').count()).toBe(1);
    await screenshot(operator.page, 'e2e-approval-asked');
    await card.getByRole('button', { name: 'Review and sign…' }).click();
    await expectAccessible(operator, 'e2e-signature');
    await sign(operator.page, DEMO_PASSWORD, 'Approved');
    await waitForState(operator, pending.commandId, 'applied');
    await eventually(async () => (simulatorFeedRate() === 1190 ? true : undefined));
  });

  it('reverts an applied change in one action and the simulator holds the prior value again', async () => {
    const list = await service.get<WriteBackList>(
      `/writebacks?object=${encodeURIComponent(OBJECT)}&state=applied&limit=1`,
    );
    const applied = list.outcomes[0];
    expect(applied.newValue).toBe(1190);
    await outcomeRow(operator.page, applied.commandId)
      .getByRole('button', { name: /Revert/ })
      .click();
    // 1120 and 1190 were the AI's two writes in a row: the dialog offers the whole episode back to
    // the seeded 1150, or this step alone.
    const dialog = operator.page.getByRole('alertdialog', { name: 'Revert this change' });
    await dialog.getByText('the AI changed it 2 times in a row').waitFor();
    expect(await dialog.getByRole('radio', { name: /Revert the whole AI episode/ }).isChecked()).toBe(true);
    expect(await dialog.getByText(/Revert the whole AI episode/).textContent()).toContain('1190 → 1150');
    await dialog.getByRole('radio', { name: /Revert only this step/ }).check();
    await dialog.getByLabel('Reason (recorded in the audit trail)').fill('operator prefers the previous feed rate');
    await dialog.getByRole('button', { name: 'Revert now' }).click();
    // The revert is a command of its own, linked to the original; it ends `reverted` once applied.
    await expect
      .poll(() => operator.page.locator(`tr[data-revert-of="${applied.commandId}"]`).getAttribute('data-state'), {
        timeout: 30_000,
      })
      .toBe('reverted');
    await eventually(async () => (simulatorFeedRate() === applied.priorValue ? true : undefined));
    expect(simulatorFeedRate()).toBe(1120);
  });

  it('reverts a whole AI episode of small steps in one action, back to the value before it', async () => {
    // After the operator's revert left 1120, the AI walks the feed rate down in small steps.
    const steps = [];
    for (const value of [1100, 1080, 1060]) {
      const outcome = await submitAiChange(value);
      await waitForState(operator, outcome.commandId, 'applied');
      steps.push(outcome);
    }
    const last = steps[steps.length - 1];
    await outcomeRow(operator.page, last.commandId)
      .getByRole('button', { name: /Revert/ })
      .click();
    const dialog = operator.page.getByRole('alertdialog', { name: 'Revert this change' });
    await dialog.getByText('the AI changed it 3 times in a row').waitFor();
    expect(await dialog.getByText(/Revert the whole AI episode/).textContent()).toContain('1060 → 1120');
    await expectAccessible(operator, 'e2e-revert-episode');
    await dialog.getByLabel('Reason (recorded in the audit trail)').fill('the model walked the feed rate down');
    await dialog.getByRole('button', { name: 'Revert the episode' }).click();
    await expect
      .poll(() => operator.page.locator(`tr[data-revert-of="${last.commandId}"]`).getAttribute('data-state'), {
        timeout: 30_000,
      })
      .toBe('reverted');
    await eventually(async () => (simulatorFeedRate() === 1120 ? true : undefined));
  });

  it('stops all dispatch with one press: nothing reaches the simulator until resumed', async () => {
    await operator.page.getByRole('button', { name: 'STOP ALL' }).click();
    await operator.page.getByText('ALL DISPATCH STOPPED').waitFor();
    const applied = stack.simulators.opcenter!.ledger().length;
    const held = await submitAiChange(1100);
    await outcomeRow(operator.page, held.commandId).waitFor();
    // The dispatcher has taken it up and waits at the closed gate with it.
    const engine = stack.gateway.app.get<WriteBackEngine>(WRITEBACK_ENGINE);
    await eventually(async () => (engine.gate.holding(held.commandId) ? true : undefined), 30_000, 20);
    expect(await outcomeRow(operator.page, held.commandId).getAttribute('data-state')).toBe('queued');
    expect(stack.simulators.opcenter!.ledger().length).toBe(applied);
    await expectAccessible(operator, 'e2e-stopped');
    await operator.page.getByRole('button', { name: 'Resume dispatch…' }).click();
    await operator.page.getByRole('alertdialog').getByRole('button', { name: 'Resume dispatch' }).click();
    await waitForState(operator, held.commandId, 'applied');
  });

  it('every page, at 1024×768 and at 1920×1080, with no serious or critical axe violation', async () => {
    const { page } = operator;
    for (const size of [
      { width: 1024, height: 768 },
      { width: 1920, height: 1080 },
    ]) {
      await page.setViewportSize(size);
      for (const name of ['Outcomes', 'Rules', 'Flows', 'Audit', 'Targets', 'Autonomy'] as const) {
        await openPage(page, name);
        await page.getByRole('heading', { level: 1 }).first().waitFor();
        // STOP ALL stays on screen at every size.
        const stop = await page.getByRole('button', { name: /STOP ALL/ }).boundingBox();
        expect(stop && stop.x + stop.width).toBeLessThanOrEqual(size.width);
        await expectAccessible(operator, `e2e-page-${name.toLowerCase()}-${size.width}`);
      }
    }
    await page.setViewportSize({ width: 1366, height: 768 });
  });

  it('shows targets and the verified audit trail', async () => {
    await openPage(operator.page, 'Targets');
    await operator.page.locator(`[data-target="${stack.instances.opcenter}"]`).waitFor();
    await expectAccessible(operator, 'e2e-targets');
    await openPage(operator.page, 'Audit');
    await operator.page.getByText('Chain verified').waitFor();
    await operator.page.locator('tr[data-sequence]').first().waitFor();
    await expectAccessible(operator, 'e2e-audit');
    // The reason the operator typed for the revert is in the record, and found by searching for it.
    await operator.page.getByLabel('Search', { exact: true }).fill('prefers the previous feed rate');
    await operator.page.getByRole('button', { name: 'Search', exact: true }).click();
    await operator.page.getByText('operator prefers the previous feed rate').first().waitFor();
    expect(await operator.page.locator('.audit-reason').first().textContent()).toBe(
      'Reason: operator prefers the previous feed rate',
    );
  });

  it('quarantines a write the MES cannot explain, and the operator releases it from the Targets page', async () => {
    const sim = stack.simulators.opcenter!;
    const recipe = 'CNC-01/OP20';
    // From the moment the MES applies this write, its reads fail: the gateway cannot confirm it.
    const ledger = (sim as unknown as { ledgerStore: { append: (input: LedgerInput) => unknown } }).ledgerStore;
    const append = ledger.append.bind(ledger);
    ledger.append = (input: LedgerInput) => {
      const entry = append(input);
      if (input.source === 'api' && input.object === recipe && input.parameter === 'SpindleSpeed') {
        sim.faults.set({ readErrorRate: 1 });
        ledger.append = append;
      }
      return entry;
    };
    const submitted = await service.post<WriteBackOutcome>('/writebacks', {
      requestId: `console-e2e:${randomUUID()}`,
      lineage: { inferenceId: `inf-${randomUUID().slice(0, 8)}`, modelId: 'spindle-tuning' },
      target: { kind: 'opcenter', instance: stack.instances.opcenter! },
      object: { type: 'recipe-parameter', id: recipe },
      action: 'set-parameter',
      parameter: 'SpindleSpeed',
      value: 8100,
      reason: 'spindle speed trim (browser test)',
      notAfter: new Date(Date.now() + 10 * 60_000).toISOString(),
    } satisfies WriteBackRequest);
    await eventually(
      async () =>
        (await service.get<WriteBackOutcome>(`/writebacks/${submitted.commandId}`)).state === 'reconciling'
          ? true
          : undefined,
      30_000,
      200,
    );
    // Someone changes the value at the MES console meanwhile; then the MES answers reads again.
    sim.operatorEdit(recipe, 'SpindleSpeed', 7950, 'otto');
    sim.faults.clear();

    const { page } = operator;
    await openPage(page, 'Targets');
    const panel = page.getByRole('region', { name: /Quarantined write-backs/ });
    const row = panel.locator(`[data-quarantined="${submitted.commandId}"]`);
    await row.waitFor({ timeout: 60_000 });
    expect(await row.textContent()).toMatch(/7950/);
    await expectAccessible(operator, 'e2e-targets-quarantine');
    await row.getByRole('button', { name: 'Release…' }).click();
    const release = page.getByRole('alertdialog', { name: 'Release quarantined write-back' });
    await release.getByLabel('Reason (recorded in the audit trail)').fill('otto agrees: write 8100 again');
    await release.getByRole('button', { name: 'Release' }).click();
    await eventually(
      async () =>
        (await service.get<WriteBackOutcome>(`/writebacks/${submitted.commandId}`)).state === 'applied'
          ? true
          : undefined,
      60_000,
      250,
    );
    await row.waitFor({ state: 'detached', timeout: 15_000 });
    const writes = sim
      .ledger()
      .filter((e) => e.source === 'api' && e.object === recipe && e.parameter === 'SpindleSpeed');
    // Written once, then again on the operator's release, after reading 7950 from the MES.
    expect(writes.map((e) => e.value)).toEqual([8100, 8100]);
  });

  it('shows a flood of refusals as one alarm the operator acknowledges with a reason', async () => {
    // A model asking, again and again, for a feed rate below the recipe's minimum.
    const refused = [];
    for (let i = 0; i < 6; i++) refused.push(await submitAiChange(5 + i));
    expect(refused.map((o) => o.reasonCode)).toEqual(Array(6).fill('OUT_OF_BOUNDS'));
    await openPage(operator.page, 'Targets');
    const alarms = operator.page.getByRole('region', { name: /Refusal alarms/ });
    const row = alarms.locator('li.alarm-row', { hasText: 'FeedRate' }).filter({ hasText: OBJECT });
    await expect.poll(() => row.count(), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => row.getByTitle('refusals in this alarm').textContent(), { timeout: 15_000 }).toBe('×6');
    expect(await row.textContent()).toContain('value outside its limits');
    await expectAccessible(operator, 'e2e-alarms');
    await operator.page.setViewportSize({ width: 1024, height: 768 });
    await screenshot(operator.page, 'e2e-alarms-1024');
    await row.getByRole('button', { name: 'Acknowledge…' }).click();
    const dialog = operator.page.getByRole('dialog', { name: 'Acknowledge alarm' });
    await expect.poll(() => dialog.getByRole('button', { name: 'Acknowledge' }).isDisabled()).toBe(true);
    await dialog
      .getByLabel('Reason (recorded in the audit trail)')
      .fill('tool-wear model asked below minimum; engineering told');
    await expectAccessible(operator, 'e2e-alarm-acknowledge');
    await dialog.getByRole('button', { name: 'Acknowledge' }).click();
    await row.getByText('Acknowledged by operator').waitFor();
    await operator.page.setViewportSize({ width: 1366, height: 768 });
    const auditor = await ApiClient.signIn(stack.url, 'operator', DEMO_PASSWORD);
    const audit = await auditor.get<{ records: { reasonCode?: string; actor: string; message?: string }[] }>(
      '/audit?outcome=alarm',
    );
    expect(audit.records[0]).toMatchObject({ reasonCode: 'ALARM_ACKNOWLEDGED', actor: 'operator' });
    expect(audit.records[0].message).toContain('engineering told');
  });

  it('builds a rule visually from nothing and publishes it with a second engineer’s approval', async () => {
    await signIn(engineer.page, 'engineer', DEMO_PASSWORD);
    await createRuleSet(engineer.page, RULE_SET, 'Console spindle guard');
    await addFact(engineer.page, 'spindleLoad', 'number', '%');
    await buildThresholdRule(engineer.page, {
      name: 'high-load',
      fact: 'spindleLoad',
      threshold: 85,
      parameter: 'FeedRate',
      targetKind: 'opcenter',
    });
    await expectAccessible(engineer, 'e2e-rules-graph');
    const version = await submitForApproval(engineer.page);
    await signOut(engineer.page);

    await signIn(engineer.page, 'engineer2', DEMO_PASSWORD);
    await engineer.page.goto(`/rules/${RULE_SET}`);
    await engineer.page.getByRole('tab', { name: 'Versions' }).click();
    await engineer.page
      .getByTestId('replay-summary')
      .or(engineer.page.getByText('Replay unavailable'))
      .first()
      .waitFor();
    await expectAccessible(engineer, 'e2e-rules-review');
    await engineer.page.getByRole('button', { name: 'Approve and publish…' }).click();
    await sign(engineer.page, DEMO_PASSWORD, 'Approved');
    await engineer.page.locator(`tr[data-version="${version}"]`).getByText('Published').waitFor();
    const published = await (
      await stack.signIn('viewer')
    ).get<{ status: string; approvedBy?: string }>(`/rulesets/${RULE_SET}/versions/${version}`);
    expect(published).toMatchObject({ status: 'published', approvedBy: 'engineer2' });
  });

  it('test-runs the published rule and colours its conditions', async () => {
    const { page } = engineer;
    await page.getByRole('tab', { name: 'Graph' }).click();
    await page.getByRole('tab', { name: 'Test run' }).click();
    await page.getByLabel(/^spindleLoad/).fill('91');
    await page.getByRole('button', { name: 'Run test' }).click();
    await page.getByText('Rule high-load fires.').waitFor();
    await expect.poll(() => page.locator('.react-flow__node .rule-node.outcome-passed').count()).toBeGreaterThan(0);
    await expectAccessible(engineer, 'e2e-rules-test-run');
    await page.getByLabel(/^spindleLoad/).fill('40');
    await page.getByRole('button', { name: 'Run test' }).click();
    await page.getByText('Rule high-load does not fire.').waitFor();
    await expect.poll(() => page.locator('.react-flow__node .rule-node.outcome-failed').count()).toBeGreaterThan(0);
  });
});
