import type { WriteBackList, WriteBackOutcome } from '@loopgate/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayTestApp, type GatewayTestApp } from '../testing/api-app';
import { FakeTarget } from '../testing/fake-target';
import { FEED, setRequest } from '../testing/harness';

const SERVICE = 'token:line1';
const ADMIN = 'ada:admin';
const VIEWER = 'vera:viewer';

let gw: GatewayTestApp;
const fake = new FakeTarget({ instance: 'opc-1' });
const applied: WriteBackOutcome[] = [];

const json = async <T>(response: Response): Promise<T> => (await response.json()) as T;
const list = async (query: string) => json<WriteBackList>(await gw.call('GET', `/writebacks?${query}`, { as: VIEWER }));

async function settled(commandId: string): Promise<WriteBackOutcome> {
  for (let i = 0; i < 500; i++) {
    const outcome = await json<WriteBackOutcome>(await gw.call('GET', `/writebacks/${commandId}`, { as: VIEWER }));
    if (!['queued', 'dispatching'].includes(outcome.state)) return outcome;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`${commandId} did not settle`);
}

beforeAll(async () => {
  fake.set(FEED, 1000);
  gw = await createGatewayTestApp([
    { instance: 'opc-1', fake, guardrails: { limits: [{ parameter: 'FeedRate', min: 600, max: 5000 }] } },
  ]);
  // 16 applied AI changes (two models), then a flood of 240 refusals on top of them, and 2 by a person.
  for (let i = 0; i < 16; i++) {
    const lineage = { inferenceId: `inf-a-${i}`, modelId: i % 2 ? 'wear-v3' : 'wear-v4', ruleSetId: 'tool-wear' };
    const created = await json<WriteBackOutcome>(
      await gw.call('POST', '/writebacks', { as: SERVICE, body: setRequest(fake, { value: 1000 - i, lineage }) }),
    );
    applied.push(await settled(created.commandId));
  }
  for (let i = 0; i < 2; i++) {
    const { initiator: _omit, ...body } = setRequest(fake, { value: 990 + i, lineage: { inferenceId: `inf-p-${i}` } });
    await settled((await json<WriteBackOutcome>(await gw.call('POST', '/writebacks', { as: ADMIN, body }))).commandId);
  }
  for (let i = 0; i < 240; i++)
    await gw.call('POST', '/writebacks', {
      as: SERVICE,
      body: setRequest(fake, { value: 100 + i, lineage: { inferenceId: `inf-f-${i}`, modelId: 'wear-v9' } }),
    });
}, 120_000);

afterAll(async () => gw?.close());

describe('GET /writebacks from the server, with filters, counts and paging', () => {
  it('finds every applied AI change under a flood of refusals, and counts them', async () => {
    const page = await list('state=applied&initiator=ai&count=true&limit=10');
    expect(page.count).toBe(16);
    expect(page.outcomes).toHaveLength(10);
    const older = await list(`state=applied&initiator=ai&limit=10&before=${page.nextBefore}`);
    expect(older.nextBefore).toBeUndefined();
    expect([...page.outcomes, ...older.outcomes].map((o) => o.commandId)).toEqual(
      applied.map((o) => o.commandId).reverse(),
    );
  });

  it('filters by several states, by model and rule set, and by time', async () => {
    const refused = await list('states=rejected,failed,expired&count=true&limit=1');
    expect(refused.count).toBe(240);
    expect((await list('initiator=human&count=true')).count).toBe(2);
    const v3 = await list('model=wear-v3&count=true');
    expect(v3.count).toBe(8);
    expect(v3.outcomes.every((o) => o.lineage.modelId === 'wear-v3')).toBe(true);
    expect((await list('ruleSet=tool-wear&count=true')).count).toBe(16);
    // A model id is matched whole: wear-v matches nothing.
    expect((await list('model=wear-v&count=true')).count).toBe(0);
    const middle = applied[8].timings.receivedAt;
    const since = await list(`state=applied&initiator=ai&since=${encodeURIComponent(middle)}&count=true`);
    expect(since.count).toBe(8);
    const until = await list(`state=applied&initiator=ai&until=${encodeURIComponent(middle)}&count=true`);
    expect(until.count).toBe(8);
  });

  it('refuses filters it cannot read, with the field named', async () => {
    for (const [query, path] of [
      ['states=applied,bogus', '$.states'],
      ['initiator=robot', '$.initiator'],
      ['since=2026-12-03T10:00:00', '$.since'],
      ['count=yes', '$.count'],
    ]) {
      const response = await gw.call('GET', `/writebacks?${query}`, { as: VIEWER });
      expect(response.status).toBe(400);
      expect(await json<{ code: string; issues: { path: string }[] }>(response)).toMatchObject({
        code: 'VALIDATION_FAILED',
        issues: [expect.objectContaining({ path: expect.stringContaining(path) })],
      });
    }
  });
});
