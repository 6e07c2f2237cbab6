/**
 * What a person does in the console, as steps a browser test reads like a script:
 * sign in, build a rule on the canvas, submit it, approve it, sign a change, revert, stop.
 */
import type { Locator, Page } from 'playwright-core';

export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/signin');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

export async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to the console' }).waitFor();
}

export async function openPage(
  page: Page,
  name: 'Outcomes' | 'Rules' | 'Flows' | 'Audit' | 'Targets' | 'Autonomy',
): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).click();
  await page.waitForURL(`**/${name.toLowerCase()}**`);
}

export async function createRuleSet(page: Page, id: string, name: string): Promise<void> {
  await openPage(page, 'Rules');
  await page.getByRole('button', { name: '+ New' }).click();
  const dialog = page.getByRole('dialog', { name: 'New rule set' });
  await dialog.getByLabel('Id').fill(id);
  await dialog.getByLabel('Name').fill(name);
  await dialog.getByRole('button', { name: 'Create draft' }).click();
  await page.getByRole('heading', { name, level: 1 }).waitFor();
}

export async function addFact(
  page: Page,
  name: string,
  type: 'number' | 'string' | 'boolean',
  unit?: string,
): Promise<void> {
  await page.getByRole('tab', { name: 'Facts' }).click();
  const form = page.getByRole('form', { name: 'Add a fact' });
  await form.getByLabel('Fact name').fill(name);
  await form.getByLabel('Type', { exact: true }).selectOption(type);
  if (unit) await form.getByLabel('Unit').fill(unit);
  await form.getByRole('button', { name: 'Add fact' }).click();
  await page.getByRole('cell', { name, exact: true }).waitFor();
}

export function canvasNode(page: Page, text: string | RegExp): Locator {
  return page.locator('.react-flow__node').filter({ hasText: text });
}

/** Drags a palette item onto the canvas at a point relative to the canvas's top-left corner. */
export async function dragFromPalette(page: Page, item: string, at: { x: number; y: number }): Promise<void> {
  const canvas = page.getByTestId('rule-canvas');
  await page.locator(`[data-palette="${item}"]`).dragTo(canvas, { targetPosition: at });
}

/** Draws an edge by mouse from a node's output handle to another node's input handle. */
export async function connect(page: Page, from: Locator, to: Locator): Promise<void> {
  const source = await from.locator('.react-flow__handle.source').boundingBox();
  const target = await to.locator('.react-flow__handle.target').boundingBox();
  if (!source || !target) throw new Error('handle not visible');
  await page.mouse.move(source.x + source.width / 2, source.y + source.height / 2);
  await page.mouse.down();
  await page.mouse.move((source.x + target.x) / 2, (source.y + target.y) / 2, { steps: 5 });
  await page.mouse.move(target.x + target.width / 2, target.y + target.height / 2, { steps: 5 });
  await page.mouse.up();
}

/** Selects a node with the keyboard-equivalent click, so the inspector shows it. */
export async function selectNode(node: Locator): Promise<void> {
  await node.click({ position: { x: 40, y: 14 } });
}

/** Commits an inspector text or number field (fields commit when they lose focus). */
export async function setInspectorField(page: Page, label: string, value: string): Promise<void> {
  const field = page.getByRole('form', { name: 'Selected node' }).getByLabel(label, { exact: true });
  await field.fill(value);
  await field.press('Tab');
}

export async function chooseInspectorOption(page: Page, label: string, value: string): Promise<void> {
  await page.getByRole('form', { name: 'Selected node' }).getByLabel(label, { exact: true }).selectOption(value);
}

export interface WriteBackFields {
  targetKind: string;
  parameter: string;
  /** A fixed value, or the fact (or derived fact) the value is read from. */
  value?: number;
  valueFact?: string;
  objectId?: string;
}

/** Fills the selected event node's write-back: target, action, object, parameter and value, all from pickers. */
export async function describeWriteBack(page: Page, fields: WriteBackFields): Promise<void> {
  await chooseInspectorOption(page, 'Target', fields.targetKind);
  await chooseInspectorOption(page, 'Write-back action', 'set-parameter');
  if (fields.objectId) await setInspectorField(page, 'Object: fixed value', fields.objectId);
  await setInspectorField(page, 'Recipe parameter', fields.parameter);
  if (fields.valueFact) await chooseInspectorOption(page, 'New value: from', `fact:${fields.valueFact}`);
  else await setInspectorField(page, 'New value: fixed value', String(fields.value ?? 1000));
}

/**
 * Builds, from an empty rule, `ALL(fact > threshold) → set-parameter` on the canvas by dragging
 * from the palette and drawing the edges with the mouse, then names the rule and its write-back.
 */
export async function buildThresholdRule(
  page: Page,
  rule: WriteBackFields & { name: string; fact: string; threshold: number },
): Promise<void> {
  await page.getByRole('tab', { name: 'Graph' }).click();
  await page.getByRole('button', { name: '+ New rule' }).click();
  const event = canvasNode(page, /Event · rule/);
  await event.waitFor();
  const box = (await page.getByTestId('rule-canvas').boundingBox())!;
  await dragFromPalette(page, 'gate:all', { x: box.width * 0.3, y: box.height * 0.2 });
  const gate = canvasNode(page, 'ALL');
  await gate.waitFor();
  await connect(page, gate, event);
  // An empty ALL is already a complete rule: wait until the rule list says so before dragging on.
  await page
    .getByLabel('Rule', { exact: true })
    .locator('option', { hasText: 'unfinished' })
    .waitFor({ state: 'detached' });
  await dragFromPalette(page, `fact:${rule.fact}`, { x: 20, y: box.height * 0.6 });
  const fact = canvasNode(page, rule.fact);
  await fact.waitFor();
  await connect(page, fact, gate);

  await selectNode(fact);
  await chooseInspectorOption(page, 'Operator', 'greaterThan');
  await setInspectorField(page, 'Value', String(rule.threshold));

  await selectNode(event);
  await setInspectorField(page, 'Rule name', rule.name);
  await describeWriteBack(page, rule);
  await page.getByText('The graph is a complete json-rules-engine rule.').waitFor();
  await page.getByRole('button', { name: 'Fit View' }).click();
}

export async function submitForApproval(page: Page, description = 'browser test change'): Promise<number> {
  await page.getByRole('button', { name: 'Submit for approval…' }).click();
  const dialog = page.getByRole('dialog', { name: /Submit .* for approval/ });
  await dialog.getByText('The gateway validated the draft: no issues.').waitFor();
  await dialog.getByLabel('What changes, and why (required)').fill(description);
  await dialog.getByTestId('replay-summary').or(dialog.getByText('Replay unavailable')).first().waitFor();
  await dialog.getByRole('button', { name: 'Submit for approval' }).click();
  const notice = page.getByText(/Submitted as v\d+/);
  await notice.waitFor();
  return Number(/v(\d+)/.exec((await notice.textContent()) ?? '')?.[1]);
}

/** Signs whatever signature dialog is open: password re-entered, meaning chosen. */
export async function sign(page: Page, password: string, meaning: 'Approved' | 'Rejected' = 'Approved'): Promise<void> {
  const dialog = page.getByRole('alertdialog');
  await dialog.getByRole('radio', { name: meaning }).check();
  await dialog.getByLabel('Password (re-enter to sign)').fill(password);
  await dialog.getByRole('button', { name: meaning === 'Approved' ? 'Sign and approve' : 'Sign and reject' }).click();
  await dialog.waitFor({ state: 'hidden' });
}

export function outcomeRow(page: Page, commandId: string): Locator {
  return page.locator(`tr[data-command-id="${commandId}"]`);
}
