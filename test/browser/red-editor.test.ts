/**
 * The Loopgate palette in the real Node-RED editor of the demo stack (Chromium): an engineer signs
 * in with the gateway's users, opens the demo flow's Opcenter output node, and picks its Target
 * from the gateway's configured Opcenter instances instead of typing a name.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, startTestStack, type DemoStack } from '../support/stack';
import { TARGET_CATALOGUE } from '@loopgate/contracts';
import { launchChromium, openConsole, screenshot, type ConsolePage } from './support/browser';

let stack: DemoStack;
let browser: Browser;
let engineer: ConsolePage;

/** Evaluates `expression` in the editor page, where Node-RED's `RED` and jQuery's `$` are globals. */
function inEditor<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate((source) => (0, eval)(source) as T, expression);
}

beforeAll(async () => {
  stack = await startTestStack();
  browser = await launchChromium();
  engineer = await openConsole(browser, stack.url);
}, 180_000);

afterEach(async ({ task }) => {
  if (task.result?.state === 'fail') await screenshot(engineer.page, 'red-editor-failed');
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('the palette in the Node-RED editor', () => {
  it("offers the gateway's Opcenter instances as the output node's Target", async () => {
    const { page } = engineer;
    await page.goto(`${stack.url}/red/`);
    await page.locator('#node-dialog-login-username').fill('engineer');
    await page.locator('#node-dialog-login-password').fill(DEMO_PASSWORD);
    await page.locator('#node-dialog-login-submit').click();
    await page.waitForFunction(
      () => {
        const red = (globalThis as { RED?: { nodes?: { node(id: string): unknown } } }).RED;
        return !!red?.nodes?.node('tool-wear-feed-rate.opcenter');
      },
      undefined,
      { timeout: 60_000 },
    );
    await inEditor(page, "RED.editor.edit(RED.nodes.node('tool-wear-feed-rate.opcenter'))");
    await page.waitForFunction(
      () => {
        const $ = (globalThis as { $?: (s: string) => { length: number; typedInput(m: string): string } }).$;
        const input = $?.('#node-input-instance');
        return !!input && input.length > 0 && input.typedInput('type') === 'target';
      },
      undefined,
      { timeout: 20_000 },
    );
    expect(await inEditor<string>(page, "$('#node-input-instance').typedInput('value')")).toBe(
      stack.instances.opcenter,
    );
    await screenshot(page, 'red-editor-target-list');
    // Saved as the instance's name, as before: the node runs unchanged.
    await inEditor(page, "$('#node-dialog-ok').click()");
    const saved = await inEditor<{ instance: string; instanceType: string }>(
      page,
      "(function(n){return {instance:n.instance,instanceType:n.instanceType}})(RED.nodes.node('tool-wear-feed-rate.opcenter'))",
    );
    expect(saved).toEqual({ instance: stack.instances.opcenter, instanceType: 'str' });
  });

  it('has an output node for every described target in the palette, its help rendered from the description', async () => {
    const { page } = engineer;
    for (const target of Object.values(TARGET_CATALOGUE)) {
      const registered = await inEditor<{ category: string; paletteLabel: string } | null>(
        page,
        `(function(d){return d ? { category: d.category, paletteLabel: d.paletteLabel } : null})(RED.nodes.getType('${target.nodeType}'))`,
      );
      expect(registered, target.nodeType).toEqual({
        category: 'Loopgate write-back',
        paletteLabel: target.paletteLabel,
      });
      const help = await inEditor<string>(page, `$('script[data-help-name="${target.nodeType}"]').html() || ''`);
      for (const action of target.actions) expect(help, `${target.nodeType}: ${action.label}`).toContain(action.label);
      expect(help).not.toMatch(/\{\{\w+\}\}/);
    }
    // The previous case's dialog slides away first; then the help sidebar shows the sixth target's node.
    await page.waitForFunction(() => {
      const $ = (globalThis as { $?: (s: string) => { length: number } }).$;
      return ($?.('.red-ui-tray').length ?? 1) === 0;
    });
    await inEditor(page, "RED.sidebar.help.show('sapdm-out')");
    await page.waitForFunction(
      () =>
        ((globalThis as { document?: { body: { innerText: string } } }).document?.body.innerText ?? '').includes(
          'Log nonconformance',
        ),
      undefined,
      {
        timeout: 20_000,
      },
    );
    await screenshot(page, 'red-editor-sapdm-help');
  });

  it('gives a new rule, KPI or outcome node the only gateway there is, in its dialog', async () => {
    const { page } = engineer;
    for (const type of ['loopgate-rule', 'loopgate-kpi', 'writeback-outcome']) {
      const id = `new-${type}`;
      await inEditor(
        page,
        `RED.view.importNodes([{ id: '${id}', type: '${type}', z: RED.workspaces.active(), x: 300, y: 560, wires: [] }], { generateIds: false })`,
      );
      await inEditor(page, `RED.editor.edit(RED.nodes.node('${id}'))`);
      await page.waitForFunction(
        () => {
          const $ = (globalThis as { $?: (s: string) => { length: number; val(): string } }).$;
          const input = $?.('#node-input-gateway');
          return !!input && input.length > 0 && input.val() === 'tool-wear-feed-rate.gateway';
        },
        undefined,
        { timeout: 20_000 },
      );
      await inEditor(page, "$('#node-dialog-cancel').click()");
      await page.waitForFunction(() => {
        const $ = (globalThis as { $?: (s: string) => { length: number } }).$;
        return ($?.('#node-input-gateway').length ?? 1) === 0;
      });
    }
  });
});
