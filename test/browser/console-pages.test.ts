import { randomUUID } from 'node:crypto';
/**
 * The console's pages in a real browser (Debian's Chromium) against an in-memory stand-in for the
 * gateway: every page renders without console errors, passes axe-core, fits 1366×768, and each
 * operator and engineer action sends what the contracts say. console.test.ts does the same
 * journeys against the real gateway and simulators.
 */
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toolWearSet } from '../../editor/src/graph/fixtures';
import {
  assertConsoleBuilt,
  expectAccessible,
  EDITOR_DIST,
  launchChromium,
  openConsole,
  screenshot,
  type ConsolePage,
} from './support/browser';
import {
  addFact,
  buildThresholdRule,
  canvasNode,
  createRuleSet,
  openPage,
  outcomeRow,
  sign,
  signIn,
  signOut,
  submitForApproval,
} from './support/console-driver';
import { MOCK_PASSWORD, startMockGateway, type MockGateway } from './support/mock-gateway';

let browser: Browser;
let mock: MockGateway;
let operator: ConsolePage;
let engineer: ConsolePage;

beforeAll(async () => {
  assertConsoleBuilt();
  mock = await startMockGateway({ distDir: EDITOR_DIST, ruleSets: [toolWearSet] });
  browser = await launchChromium();
  operator = await openConsole(browser, mock.url);
  engineer = await openConsole(browser, mock.url);
});

afterEach(async ({ task }) => {
  if (task.result?.state !== 'fail') return;
  const name = task.name.replace(/\W+/g, '-').slice(0, 40);
  await screenshot(operator.page, `failed-${name}-operator`);
  await screenshot(engineer.page, `failed-${name}-engineer`);
});

afterAll(async () => {
  await browser?.close();
  await mock?.close();
});

describe('console pages against a stand-in gateway', () => {
  it('refuses a wrong password and signs in with the right one', async () => {
    const { page } = operator;
    await page.goto('/');
    await page.getByLabel('Username').fill('operator');
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Wrong username or password');
    operator.errors.length = 0; // the 401 of the refused sign-in is logged by Chromium as a failed resource
    await expectAccessible(operator, 'signin');
    await signIn(page, 'operator', MOCK_PASSWORD);
    await expect.poll(() => page.url()).toContain('/outcomes');
  });

  it('shows an AI-initiated write-back the moment it arrives, flagged as AI', async () => {
    const { page } = operator;
    await page.getByText('● Live').waitFor();
    const outcome = mock.submit({ parameter: 'FeedRate', value: 1180 });
    const row = outcomeRow(page, outcome.commandId);
    await expect.poll(() => row.getAttribute('data-state')).toBe('applied');
    await expect.poll(() => row.locator('.ai-flag').count()).toBe(1);
  });

  it('approves a pending change with an electronic signature', async () => {
    const { page } = operator;
    const pending = mock.submit({ parameter: 'FeedRate', value: 1120, needsApproval: true });
    const card = page.locator(`.approval[data-command-id="${pending.commandId}"]`);
    await card.getByRole('button', { name: 'Review and sign…' }).click();
    await expectAccessible(operator, 'signature-dialog');
    await sign(page, MOCK_PASSWORD, 'Approved');
    await expect.poll(() => outcomeRow(page, pending.commandId).getAttribute('data-state')).toBe('applied');
    expect(mock.outcomes.find((o) => o.commandId === pending.commandId)?.approval?.signature?.meaning).toBe('approved');
  });

  it('keeps a wrong signature password from approving anything', async () => {
    const { page } = operator;
    const pending = mock.submit({ parameter: 'FeedRate', value: 1110, needsApproval: true });
    await page
      .locator(`.approval[data-command-id="${pending.commandId}"]`)
      .getByRole('button', { name: 'Review and sign…' })
      .click();
    const dialog = page.getByRole('alertdialog');
    await dialog.getByLabel('Password (re-enter to sign)').fill('not-my-password');
    await dialog.getByRole('button', { name: 'Sign and approve' }).click();
    await expect.poll(() => dialog.getByRole('alert').textContent()).toContain('SIGNATURE_INVALID');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    operator.errors.length = 0; // the refused signature's 401 is logged by Chromium as a failed resource
    expect(mock.outcomes.find((o) => o.commandId === pending.commandId)?.state).toBe('pending-approval');
  });

  it('reaches the approvals inbox from the top of the page with the keyboard in four presses (defect 9)', async () => {
    const { page } = operator;
    await page.goto('/outcomes');
    await page.locator('.approval').first().waitFor();
    const focused = () =>
      page.evaluate(
        () =>
          (globalThis as unknown as { document: { activeElement?: { textContent: string | null } } }).document
            .activeElement?.textContent ?? '',
      );
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Skip to content');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Skip to approvals');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Review and sign…');
  });

  it('reverts an applied change in one action with a reason, writing the prior value back', async () => {
    const { page } = operator;
    const applied = mock.submit({ parameter: 'SpindleSpeed', value: 3100, objectId: 'CNC-02/OP10' });
    mock.values.set('opcenter-demo/CNC-02/OP10/SpindleSpeed', 3100);
    await expect.poll(() => outcomeRow(page, applied.commandId).getAttribute('data-state')).toBe('applied');
    await outcomeRow(page, applied.commandId)
      .getByRole('button', { name: /Revert/ })
      .click();
    await page.getByLabel('Reason (recorded in the audit trail)').fill('operator prefers the previous speed');
    await page.getByRole('button', { name: 'Revert now' }).click();
    const revert = page.locator(`tr[data-revert-of="${applied.commandId}"]`);
    await expect.poll(() => revert.getAttribute('data-state')).toBe('reverted');
    await outcomeRow(page, applied.commandId).getByText('reverted', { exact: true }).waitFor();
    expect(
      await outcomeRow(page, applied.commandId)
        .getByRole('button', { name: /Revert/ })
        .count(),
    ).toBe(0);
    expect(mock.values.get('opcenter-demo/CNC-02/OP10/SpindleSpeed')).toBe(null);
  });

  it('filters the live list by line and target', async () => {
    const { page } = operator;
    await page.getByLabel('Line').selectOption('Line-1');
    await page.getByLabel('Target', { exact: true }).selectOption('opcenter-demo');
    await expect.poll(() => page.locator('tr[data-command-id]').count()).toBeGreaterThan(0);
    await expectAccessible(operator, 'outcomes');
    await page.getByRole('button', { name: 'Clear filters' }).click();
  });

  it('finds every applied AI change from the server under a flood of refusals, and loads older pages', async () => {
    const { page } = operator;
    const changes = Array.from({ length: 16 }, (_, i) => mock.submit({ parameter: 'FeedRate', value: 1100 - i }));
    await expect
      .poll(() => changes.every((c) => mock.outcomes.find((o) => o.commandId === c.commandId)?.state === 'applied'))
      .toBe(true);
    // Then 240 refusals on top: more than the live list keeps.
    const template = changes[0];
    for (let i = 0; i < 240; i++)
      mock.outcomes.unshift({
        ...template,
        commandId: randomUUID(),
        requestId: `flood-${i}`,
        state: 'rejected',
        reasonCode: 'OUT_OF_BOUNDS',
        message: `${500 - i} is below the minimum 600`,
        newValue: 500 - i,
        timings: { receivedAt: new Date(Date.now() + i).toISOString() },
      });
    await page.reload();
    await page.getByText('● Live').waitFor();
    await page.getByLabel('State').selectOption('applied');
    await page.getByLabel(/Only/).check();
    for (const change of changes) await page.locator(`tr[data-command-id="${change.commandId}"]`).waitFor();
    await page.setViewportSize({ width: 1024, height: 768 });
    // Every column, the actions included, fits the panel: nothing is reached by scrolling sideways (defect 8).
    const sideways = await page
      .locator('.outcomes-table')
      .evaluate((table) => table.parentElement!.scrollWidth - table.parentElement!.clientWidth);
    expect(sideways).toBeLessThanOrEqual(0);
    await expectAccessible(operator, 'outcomes-applied-ai-1024');
    await page.setViewportSize({ width: 1366, height: 768 });
    // The refusals, a page at a time.
    await page.getByLabel(/Only/).uncheck();
    await page.getByLabel('State').selectOption('refused');
    const rows = page.locator('tr[data-command-id][data-state="rejected"]');
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(100);
    // The count comes from the server's answer, which may arrive after the live rows.
    await expect.poll(() => page.getByRole('tab', { name: /Write-backs/ }).textContent()).toMatch(/of 24\d/);
    // Page by page (a page the live list already holds adds no row): press until no older page is left.
    const older = page.getByRole('button', { name: 'Load older write-backs' });
    const loading = page.getByRole('button', { name: 'Loading…' });
    for (let pages = 0; pages < 5 && (await older.count()) > 0; pages++) {
      await older.click();
      await expect.poll(() => loading.count()).toBe(0);
    }
    expect(await older.count()).toBe(0);
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(240);
    await page.getByRole('button', { name: 'Clear filters' }).click();
  });

  it('asks for a reason before pausing a target from the Outcomes page too', async () => {
    const { page } = operator;
    await openPage(page, 'Outcomes');
    const side = page.getByRole('complementary', { name: 'Approvals and targets' });
    await side.getByRole('button', { name: 'Pause aveva-demo' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Pause aveva-demo' });
    await dialog.getByLabel('Reason (recorded in the audit trail)').fill('sensor calibration');
    await dialog.getByRole('button', { name: 'Pause aveva-demo' }).click();
    await side.getByRole('button', { name: 'Resume aveva-demo' }).click();
    const resume = page.getByRole('alertdialog', { name: 'Resume aveva-demo' });
    await resume.getByLabel('Reason (recorded in the audit trail)').fill('calibrated');
    await resume.getByRole('button', { name: 'Resume aveva-demo' }).click();
    await side.getByRole('button', { name: 'Pause aveva-demo' }).waitFor();
  });

  it('stops all dispatch with one press and resumes in order', async () => {
    const { page } = operator;
    await page.getByRole('button', { name: 'STOP ALL' }).click();
    await page.getByText('ALL DISPATCH STOPPED').waitFor();
    const held = mock.submit({ parameter: 'FeedRate', value: 1150 });
    await outcomeRow(page, held.commandId).waitFor();
    // Two rounds of the dispatcher pass over it while stopped.
    const rounds = mock.heldRounds();
    await expect.poll(() => mock.heldRounds(), { interval: 20 }).toBeGreaterThanOrEqual(rounds + 2);
    expect(await outcomeRow(page, held.commandId).getAttribute('data-state')).toBe('queued');
    await expectAccessible(operator, 'stopped');
    await page.getByRole('button', { name: 'Resume dispatch…' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Resume dispatch' }).click();
    await expect.poll(() => outcomeRow(page, held.commandId).getAttribute('data-state')).toBe('applied');
  });

  it('pauses one target from the targets page', async () => {
    const { page } = operator;
    await openPage(page, 'Targets');
    await page.getByRole('button', { name: 'Pause opcenter-demo' }).click();
    // A change on the plant asks for a reason first; without one it cannot go on.
    const dialog = page.getByRole('alertdialog', { name: 'Pause opcenter-demo' });
    expect(await dialog.getByRole('button', { name: 'Pause opcenter-demo' }).isDisabled()).toBe(true);
    await dialog.getByLabel('Reason (recorded in the audit trail)').fill('tool change on CNC-01');
    await expectAccessible(operator, 'targets-pause-reason');
    await dialog.getByRole('button', { name: 'Pause opcenter-demo' }).click();
    await page.getByRole('button', { name: 'Resume opcenter-demo' }).waitFor();
    // Paused shows by colour and by word; a target marked down says since when and what happens.
    const card = page.locator('[data-target="opcenter-demo"]');
    expect(await card.getByRole('img').getAttribute('aria-label')).toBe('paused');
    const down = page.locator('[data-target="factorytalk-demo"]');
    expect(await down.getByRole('status').textContent()).toMatch(
      /Down since .*503 from the lock service 3 times in a row\. Its write-backs wait in order/,
    );
    // The MES's event log: one target behind (why, and that writes are not held), one up to date.
    expect(await card.locator('.event-log').textContent()).toMatch(
      /MES event log behind: 6 records wait \(HTTP_503 Opcenter answered 503 to CreateCustomEvent\); next try .*\. Write-backs are not held\./,
    );
    expect(await page.locator('[data-target="aveva-demo"] .event-log').textContent()).toMatch(
      /MES event log: up to date, last event /,
    );
    // The clocks of the inputs AI decisions rest on: the one running ahead is named.
    const clocks = page.getByRole('region', { name: 'Input clocks' });
    await clocks.getByText('7.25 s ahead').waitFor();
    await clocks.getByText('0.12 s behind').waitFor();
    await clocks.getByText(/ns=1;s=CNC_Cell_02.SpindleLoad runs ahead of the gateway/).waitFor();
    await expectAccessible(operator, 'targets');
    await page.getByRole('button', { name: 'Resume opcenter-demo' }).click();
    const resume = page.getByRole('alertdialog', { name: 'Resume opcenter-demo' });
    await resume.getByLabel('Reason (recorded in the audit trail)').fill('tool changed');
    await resume.getByRole('button', { name: 'Resume opcenter-demo' }).click();
    await page.getByRole('button', { name: 'Pause opcenter-demo' }).waitFor();
  });

  it('lists a quarantined write-back and lets the operator release it or record what the MES holds', async () => {
    const { page } = operator;
    const first = mock.submit({ parameter: 'FeedRate', value: 1175, quarantined: true });
    const second = mock.submit({ parameter: 'SpindleSpeed', value: 7900, quarantined: true });
    await openPage(page, 'Targets');
    const panel = page.getByRole('region', { name: /Quarantined write-backs/ });
    const row = (id: string) => panel.locator(`[data-quarantined="${id}"]`);
    await row(first.commandId).waitFor();
    expect(await row(first.commandId).textContent()).toContain('whether it landed is not known');
    await screenshot(page, 'targets-quarantine');
    await row(first.commandId).getByRole('button', { name: 'Release…' }).click();
    const release = page.getByRole('alertdialog', { name: 'Release quarantined write-back' });
    await release.getByLabel('Reason (recorded in the audit trail)').fill('MES console shows the old value');
    await expectAccessible(operator, 'targets-quarantine-release');
    await release.getByRole('button', { name: 'Release' }).click();
    await expect.poll(() => mock.outcomes.find((o) => o.commandId === first.commandId)?.state).toBe('applied');
    await row(second.commandId).getByRole('button', { name: 'Applied…', exact: true }).click();
    const resolve = page.getByRole('alertdialog', { name: 'It was applied at the MES' });
    await resolve.getByLabel('Reason (recorded in the audit trail)').fill('checked at the MES: 7900 is set');
    await resolve.getByRole('button', { name: 'Record applied' }).click();
    await expect.poll(() => mock.outcomes.find((o) => o.commandId === second.commandId)?.state).toBe('applied');
    await expect.poll(() => panel.locator('[data-quarantined]').count()).toBe(0);
  });

  it('searches the audit trail and shows the chain verification', async () => {
    const { page } = operator;
    await openPage(page, 'Audit');
    await page.getByText('Chain verified').waitFor();
    await page.getByLabel('Outcome').selectOption('approved');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.locator('tr[data-sequence]').count()).toBe(1);
    expect(await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href')).toBe(
      '/api/v1/audit/export?outcome=approved&format=csv',
    );
    await expectAccessible(operator, 'audit');
  });

  it('builds a rule visually from nothing and shows its JSON', async () => {
    const { page } = engineer;
    await signIn(page, 'engineer', MOCK_PASSWORD);
    await createRuleSet(page, 'spindle-guard', 'Spindle guard');
    await addFact(page, 'spindleLoad', 'number', '%');
    await addFact(page, 'machineState', 'string');
    await buildThresholdRule(page, {
      name: 'high-load',
      fact: 'spindleLoad',
      threshold: 85,
      parameter: 'FeedRate',
      targetKind: 'opcenter',
    });
    await expectAccessible(engineer, 'rules-graph');
    await page.getByRole('tab', { name: 'JSON' }).click();
    const json = JSON.parse(await page.getByLabel('Rule set JSON').inputValue());
    expect(json.rules).toEqual([
      {
        name: 'high-load',
        conditions: { all: [{ fact: 'spindleLoad', operator: 'greaterThan', value: 85 }] },
        event: {
          type: 'writeback',
          params: {
            action: 'set-parameter',
            targetKind: 'opcenter',
            objectType: 'recipe-parameter',
            parameter: 'FeedRate',
            value: 1000,
          },
        },
      },
    ]);
    await expectAccessible(engineer, 'rules-json');
  });

  it('shows a validation issue on the exact node it is about', async () => {
    const { page } = engineer;
    const editor = page.getByLabel('Rule set JSON');
    const json = JSON.parse(await editor.inputValue());
    json.rules[0].conditions.all.push({ fact: 'coolantTemp', operator: 'greaterThan', value: 40 });
    await editor.fill(JSON.stringify(json, null, 2));
    await page.getByRole('button', { name: 'Apply JSON to the graph' }).click();
    await page.getByRole('tab', { name: 'Graph' }).click();
    await page.getByRole('button', { name: 'Validate' }).click();
    const node = canvasNode(page, 'coolantTemp');
    await expect.poll(() => node.locator('.node-issues').textContent()).toContain('UNKNOWN_FACT');
    expect(await canvasNode(page, 'spindleLoad').locator('.node-issues').count()).toBe(0);
    await screenshot(page, 'rules-issue');
    await node.click({ position: { x: 40, y: 14 } });
    await page.getByRole('button', { name: 'Delete node' }).click();
    await page.getByText('The graph is a complete json-rules-engine rule.').waitFor();
  });

  it('submits the rule, and a second engineer sees the replay and approves it with a signature', async () => {
    const version = await submitForApproval(engineer.page);
    expect(version).toBe(1);
    await engineer.page.getByRole('tab', { name: 'Versions' }).click();
    await engineer.page.getByText('You submitted this version').waitFor();
    await signOut(engineer.page);

    await signIn(engineer.page, 'engineer2', MOCK_PASSWORD);
    // The second engineer is told at once, wherever they are: a badge on Rules and an inbox entry.
    const nav = engineer.page.getByRole('navigation', { name: 'Main' });
    await nav.getByLabel('1 rule set version waits for your review').waitFor();
    await openPage(engineer.page, 'Rules');
    const inbox = engineer.page.getByRole('region', { name: 'Waiting for your review' });
    expect(await inbox.textContent()).toMatch(/v1\s*by engineer/);
    await expectAccessible(engineer, 'rules-review-inbox');
    await inbox.getByRole('link', { name: /v1$/ }).click();
    await engineer.page.waitForURL('**/rules/spindle-guard?tab=versions');
    await engineer.page.getByTestId('replay-summary').waitFor();
    await expectAccessible(engineer, 'rules-review');
    await engineer.page.getByRole('button', { name: 'Approve and publish…' }).click();
    await sign(engineer.page, MOCK_PASSWORD, 'Approved');
    await engineer.page.getByText('v1 approved and published.').waitFor();
    await engineer.page.locator('tr[data-version="1"]').getByText('Published').waitFor();
    // Signed: nothing waits any more, the badge goes.
    await engineer.page.getByRole('region', { name: 'Waiting for your review' }).waitFor({ state: 'detached' });
    await nav.getByLabel(/waits? for your review/).waitFor({ state: 'detached', timeout: 15_000 });
  });

  it('test-runs the rule and colours the conditions that passed and failed', async () => {
    const { page } = engineer;
    await page.getByRole('tab', { name: 'Graph' }).click();
    await page.getByRole('tab', { name: 'Test run' }).click();
    await page.getByLabel(/^spindleLoad/).fill('91');
    await page.getByRole('button', { name: 'Run test' }).click();
    await page.getByText('Rule high-load fires.').waitFor();
    await expect
      .poll(() => canvasNode(page, 'spindleLoad').locator('.rule-node').getAttribute('class'))
      .toContain('outcome-passed');
    await expectAccessible(engineer, 'rules-test-run');
    await page.getByLabel(/^spindleLoad/).fill('40');
    await page.getByRole('button', { name: 'Run test' }).click();
    await page.getByText('Rule high-load does not fire.').waitFor();
    await expect
      .poll(() => canvasNode(page, 'spindleLoad').locator('.rule-node').getAttribute('class'))
      .toContain('outcome-failed');
  });

  it('diffs two versions, highlighting an added condition', async () => {
    const { page } = engineer;
    await page.getByRole('tab', { name: 'JSON' }).click();
    const editor = page.getByLabel('Rule set JSON');
    const json = JSON.parse(await editor.inputValue());
    json.rules[0].conditions.all.push({ fact: 'machineState', operator: 'notEqual', value: 'maintenance' });
    await editor.fill(JSON.stringify(json, null, 2));
    await page.getByRole('button', { name: 'Apply JSON to the graph' }).click();
    await page.getByRole('tab', { name: 'Diff' }).click();
    await page.getByText('+1 added').waitFor();
    await expect
      .poll(() => page.locator('.diff-side').nth(1).locator('.react-flow__node .change-added').count())
      .toBe(1);
    await expectAccessible(engineer, 'rules-diff');
  });

  it('builds a rule with the keyboard alone', async () => {
    const { page } = engineer;
    await page.getByRole('tab', { name: 'Graph' }).click();
    await page.getByRole('button', { name: '+ New rule' }).focus();
    await page.keyboard.press('Enter');
    await page.locator('[data-palette="gate:any"]').focus();
    await page.keyboard.press('Enter');
    const form = page.getByRole('form', { name: 'Selected node' });
    await form.getByLabel('Gate', { exact: true }).waitFor();
    await form.getByLabel('Feeds into').focus();
    await form.getByLabel('Feeds into').selectOption({ label: 'Event (rule-2)' });
    await page.locator('[data-palette="fact:machineState"]').focus();
    await page.keyboard.press('Enter');
    await form.getByLabel('Fact', { exact: true }).waitFor();
    await form.getByLabel('Value', { exact: true }).focus();
    await page.keyboard.type('maintenance');
    await page.keyboard.press('Tab');
    await form.getByLabel('Feeds into').selectOption({ label: 'ANY gate n2' });
    await page.getByText('The graph is a complete json-rules-engine rule.').waitFor();
    // Read once, not polled: the rule list holds the rule the moment the canvas calls it complete.
    expect(await page.getByLabel('Rule', { exact: true }).locator('option:checked').textContent()).toBe('rule-2');
    await screenshot(page, 'rules-keyboard');
    await page.getByRole('tab', { name: 'JSON' }).click();
    const json = JSON.parse(await page.getByLabel('Rule set JSON').inputValue());
    expect(json.rules[1]).toEqual({
      name: 'rule-2',
      conditions: { any: [{ fact: 'machineState', operator: 'equal', value: 'maintenance' }] },
      event: { type: 'writeback', params: {} },
    });
  });

  it('fits a large control-room screen', async () => {
    const wall = await openConsole(browser, mock.url, { width: 2560, height: 1440 });
    await signIn(wall.page, 'operator', MOCK_PASSWORD);
    await wall.page.locator('tr[data-command-id]').first().waitFor();
    await expectAccessible(wall, 'outcomes-wall');
    await wall.context.close();
  });

  it('tells a viewer the console is read-only and offers no editing controls (defect 10)', async () => {
    const viewer = await openConsole(browser, mock.url, { width: 1024, height: 768 });
    await signIn(viewer.page, 'viewer', MOCK_PASSWORD);
    await viewer.page.getByTestId('read-only-banner').waitFor();
    expect(await viewer.page.getByRole('button', { name: /STOP ALL/ }).count()).toBe(0);
    await openPage(viewer.page, 'Rules');
    expect(await viewer.page.getByRole('button', { name: '+ New' }).count()).toBe(0);
    await expectAccessible(viewer, 'viewer-read-only');
    await viewer.context.close();
  });
});
