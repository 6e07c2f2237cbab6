/**
 * The demo, used for WALK_MINUTES (default 15) the way its people use it, in a real browser at
 * 1024×768: an operator watches Outcomes, Targets, Autonomy and Audit, signs what the drift budget
 * asks for, and, once the AI has walked the feed rate down a few steps on its own, finds that
 * episode and reverts it whole; an engineer reads Rules, Flows, Autonomy and Outcomes. At the end:
 * every applied AI change of the run is on the Outcomes page (State = Applied, only AI, older pages
 * loaded), the episode revert took at most three actions and the MES holds the value from before
 * the episode, and no page logged a browser error. Screenshots: test/artifacts/walk-*.png.
 *
 * `npm run walk:demo` (builds nothing: run `npm run build` first, as `./loopgate demo` does).
 */
import type { AlarmList, WriteBackList, WriteBackOutcome } from '@loopgate/contracts';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../../server/src/demo/api-client';
import {
  assertConsoleBuilt,
  countUserActions,
  launchChromium,
  openConsole,
  screenshot,
  type ConsolePage,
  type UserActions,
} from '../browser/support/browser';
import { openPage, signIn, sign } from '../browser/support/console-driver';
import { DEMO_PASSWORD, eventually, startTestStack, type DemoStack } from '../support/stack';

const MINUTES = Number(process.env.WALK_MINUTES ?? 15);
const ROUND_PAUSE_MS = 15_000;
const SIZE = { width: 1024, height: 768 };

let stack: DemoStack;
let browser: Browser;
let operator: ConsolePage;
let engineer: ConsolePage;
let operatorApi: ApiClient;
let counter: { read(): Promise<UserActions> };

beforeAll(async () => {
  assertConsoleBuilt();
  stack = await startTestStack();
  operatorApi = await stack.signIn('operator');
  browser = await launchChromium();
  operator = await openConsole(browser, stack.url, SIZE);
  engineer = await openConsole(browser, stack.url, SIZE);
  counter = await countUserActions(operator.page);
  await signIn(operator.page, 'operator', DEMO_PASSWORD);
  await signIn(engineer.page, 'engineer', DEMO_PASSWORD);
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const actionsOf = (a: UserActions) => a.clicks + a.choices + a.fields;

/** The operator signs the newest change waiting in the inbox, if there is one; whether one was signed. */
async function signNewest(page: Page): Promise<boolean> {
  const review = page.getByRole('button', { name: 'Review and sign…' }).first();
  if (!(await review.isVisible().catch(() => false))) return false;
  await review.click();
  await sign(page, DEMO_PASSWORD, 'Approved').catch(async () => {
    // Expired while the dialog was open: the dialog says so and stays; close it.
    await page.keyboard.press('Escape');
  });
  return true;
}

interface EpisodeRevert {
  actions: number;
  steps: number;
  from: string;
  revertCommandId?: string;
}

/**
 * From the Outcomes page: the newest applied AI change, its Revert dialog, and the whole episode
 * reverted with a reason, when the AI changed the value three or more times in a row.
 */
async function revertEpisodeIfOpen(page: Page): Promise<EpisodeRevert | undefined> {
  await openPage(page, 'Outcomes');
  const before = await counter.read();
  const newest = page.locator('tr.row-ai[data-state="applied"]').first();
  if ((await newest.count()) === 0) return undefined;
  await newest.getByRole('button', { name: /^Revert / }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Revert this change' });
  await dialog.waitFor();
  const episode = dialog.getByText(/the AI changed it \d+ times in a row/);
  const found = await episode.waitFor({ timeout: 3_000 }).then(
    () => true,
    () => false,
  );
  const steps = found ? Number(/(\d+) times/.exec((await episode.textContent()) ?? '')?.[1] ?? 0) : 0;
  if (steps < 3) {
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    return undefined;
  }
  const from = (await dialog.getByText(/Revert the whole AI episode/).textContent()) ?? '';
  await screenshot(page, 'walk-revert-episode');
  await dialog.getByLabel('Reason (recorded in the audit trail)').fill('the model walked the feed rate down');
  await dialog.getByRole('button', { name: 'Revert the episode' }).click();
  await dialog.waitFor({ state: 'hidden' });
  const after = await counter.read();
  const commandId = (await newest.getAttribute('data-command-id')) ?? undefined;
  const revert = commandId ? page.locator(`tr[data-revert-of="${commandId}"]`) : undefined;
  const revertCommandId = revert
    ? ((await revert
        .first()
        .getAttribute('data-command-id')
        .catch(() => null)) ?? undefined)
    : undefined;
  return {
    actions: actionsOf(after) - actionsOf(before),
    steps,
    from,
    ...(revertCommandId ? { revertCommandId } : {}),
  };
}

/** Every AI write-back of the run in `state` (applied, or reverted since), from the API, all pages. */
async function aiChanges(state: 'applied' | 'reverted'): Promise<WriteBackOutcome[]> {
  const all: WriteBackOutcome[] = [];
  let before: string | undefined;
  do {
    const page = await operatorApi.get<WriteBackList>(
      `/writebacks?state=${state}&initiator=ai&limit=200${before ? `&before=${encodeURIComponent(before)}` : ''}`,
    );
    all.push(...page.outcomes);
    before = page.nextBefore;
  } while (before);
  return all;
}

/** The command ids on the Outcomes page under a state filter and "only AI", every older page loaded. */
async function shownOnOutcomes(page: Page, state: 'applied' | 'all'): Promise<Set<string | null>> {
  await openPage(page, 'Outcomes');
  await page.getByLabel('State').selectOption(state);
  await page.getByLabel(/Only/).check();
  const older = page.getByRole('button', { name: 'Load older write-backs' });
  for (let i = 0; i < 100 && (await older.count()) > 0; i++) {
    await older.click();
    await page.getByRole('button', { name: 'Loading…' }).waitFor({ state: 'detached' });
  }
  return new Set(
    await page.locator('tr[data-command-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-command-id'))),
  );
}

describe(`the demo, used for ${MINUTES} minutes at 1024×768`, () => {
  it('an operator and an engineer work through it; the AI episode is found and reverted in three actions', async () => {
    const end = Date.now() + MINUTES * 60_000;
    // The operator signs what the drift budget asks for, until the last minutes; then leaves the AI
    // to its own small steps and reverts the episode they form.
    const stopSigning = end - Math.min(4, MINUTES / 3) * 60_000;
    let rounds = 0;
    let signed = 0;
    let reverted: EpisodeRevert | undefined;
    while (Date.now() < end) {
      const lastRound = Date.now() + 2 * ROUND_PAUSE_MS > end;
      for (const [view, who, pages] of [
        [operator, 'operator', ['Outcomes', 'Targets', 'Autonomy', 'Audit']],
        [engineer, 'engineer', ['Rules', 'Flows', 'Autonomy', 'Outcomes']],
      ] as const) {
        for (const name of pages) {
          await openPage(view.page, name);
          await view.page.getByRole('heading', { level: 1 }).first().waitFor();
          if (rounds === 0) await screenshot(view.page, `walk-${who}-${name.toLowerCase()}`);
          else if (lastRound) await screenshot(view.page, `walk-${who}-${name.toLowerCase()}-end`);
        }
      }
      await openPage(operator.page, 'Outcomes');
      if (Date.now() < stopSigning) {
        if (await signNewest(operator.page)) signed++;
      } else if (!reverted) {
        reverted = await revertEpisodeIfOpen(operator.page);
      }
      rounds++;
      await operator.page.waitForTimeout(ROUND_PAUSE_MS);
    }
    reverted ??= await revertEpisodeIfOpen(operator.page);
    await screenshot(operator.page, 'walk-operator-outcomes-end');

    // Every applied AI change of the run is on the Outcomes page: under "Applied" those that stand,
    // and with every state those reverted since.
    const page = operator.page;
    const applied = await aiChanges('applied');
    const standing = await shownOnOutcomes(page, 'applied');
    await screenshot(page, 'walk-operator-applied-ai');
    const revertedSince = await aiChanges('reverted');
    const everything = await shownOnOutcomes(page, 'all');
    const missing = [
      ...applied.filter((o) => !standing.has(o.commandId)),
      ...revertedSince.filter((o) => !everything.has(o.commandId)),
    ];
    await page.getByRole('button', { name: 'Clear filters' }).click();

    // The feed-rate episode met its drift budget and asked a person; refusals came as one alarm per
    // key and reason with a count, not a row each.
    const { outcomes: recent } = await operatorApi.get<WriteBackList>('/writebacks?initiator=ai&limit=500');
    const driftAsks = recent.filter((o) => o.approval?.rule.startsWith('drift budget'));
    const { alarms } = await operatorApi.get<AlarmList>('/alarms');
    const alarmKeys = alarms.map((a) => `${a.orderingKey} ${a.reasonCode}`);
    console.log(
      `drift budget asked a person ${driftAsks.length} times (${driftAsks[0]?.approval?.rule ?? 'never'}); ` +
        `open alarms: ${alarms.map((a) => `${a.parameter ?? a.orderingKey} ${a.reasonCode} ×${a.count}`).join(', ') || 'none'}`,
    );
    expect(driftAsks.length).toBeGreaterThan(0);
    expect(new Set(alarmKeys).size).toBe(alarmKeys.length);
    console.log(
      `demo walk: ${MINUTES} min, ${rounds} rounds, ${signed} approvals signed; ${applied.length} applied AI changes, ` +
        `(${revertedSince.length} reverted since), ${missing.length} not on the Outcomes page; episode revert: ${JSON.stringify(reverted)}; ` +
        `browser errors: operator ${operator.errors.length}, engineer ${engineer.errors.length}`,
    );
    expect(applied.length).toBeGreaterThan(0);
    expect(missing.map((o) => o.commandId)).toEqual([]);
    expect(reverted, 'an AI episode of three or more steps to revert').toBeDefined();
    expect(reverted!.actions).toBeLessThanOrEqual(3);
    // The revert lands: the MES holds the value from before the episode.
    const revertId = reverted!.revertCommandId;
    expect(revertId).toBeDefined();
    const landed = await eventually(async () => {
      const o = await operatorApi.get<WriteBackOutcome>(`/writebacks/${revertId}`);
      return o.state === 'applied' || o.state === 'reverted' ? o : undefined;
    }, 60_000);
    // The MES took the revert's write (the AI may propose again after it, and the walk signs what it asks).
    const write = stack.simulators.opcenter!.ledger().find((e) => e.externalRef === revertId);
    expect(write?.value).toBe(landed.newValue);
    expect(reverted!.from).toContain(`→ ${String(landed.newValue)} `);
    expect(operator.errors).toEqual([]);
    expect(engineer.errors).toEqual([]);
  });
});
