/**
 * Refusal alarms over the API, on SQLite and PostgreSQL: a flood of refusals on one key is one
 * alarm with a count; a write the key takes clears it; acknowledge and shelve are audited.
 */
import type { AlarmList, AuditPage, RefusalAlarm, WriteBackOutcome } from '@loopgate/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayTestApp, type GatewayTestApp } from '../../server/src/gateway/testing/api-app';
import { FakeTarget } from '../../server/src/gateway/testing/fake-target';
import { FEED, setRequest } from '../../server/src/gateway/testing/harness';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../support/databases';

const SERVICE = 'token:line1';
const OPERATOR = 'olivia:operator';
const VIEWER = 'vera:viewer';
const SPEED = { object: FEED.object, parameter: 'Speed' };

describe.each(databaseKinds())('refusal alarms on %s', (kind) => {
  let db: TestDatabase;
  let gw: GatewayTestApp;
  const fake = new FakeTarget({ instance: 'opc-1' });

  beforeAll(async () => {
    fake.set(FEED, 1000);
    fake.set(SPEED, 100);
    db = await createTestDatabase(kind, { name: 'refusal-alarms' });
    gw = await createGatewayTestApp(
      [
        {
          instance: 'opc-1',
          fake,
          guardrails: {
            limits: [
              { parameter: 'FeedRate', min: 600, max: 5000 },
              { parameter: 'Speed', min: 10, max: 200 },
            ],
            retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 2 },
          },
        },
      ],
      kind === 'postgres' ? { databaseUrl: db.location } : {},
    );
  });

  afterAll(async () => {
    await gw?.close();
    await db?.cleanup();
  });

  const json = async <T>(response: Response): Promise<T> => (await response.json()) as T;
  const submit = async (patch: Parameters<typeof setRequest>[1]) =>
    json<WriteBackOutcome>(await gw.call('POST', '/writebacks', { as: SERVICE, body: setRequest(fake, patch) }));
  const alarms = async (query = '') => json<AlarmList>(await gw.call('GET', `/alarms${query}`, { as: VIEWER }));
  const settled = async (commandId: string) => {
    for (let i = 0; i < 500; i++) {
      const outcome = await json<WriteBackOutcome>(await gw.call('GET', `/writebacks/${commandId}`, { as: SERVICE }));
      if (['applied', 'rejected', 'failed', 'expired'].includes(outcome.state)) return outcome;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error(`${commandId} did not settle`);
  };

  it('collapses a flood of refusals on one key and code into one alarm with its count and times', async () => {
    const refused: WriteBackOutcome[] = [];
    for (let i = 0; i < 25; i++) refused.push(await submit({ value: 580 - i }));
    expect(new Set(refused.map((o) => `${o.state}/${o.reasonCode}`))).toEqual(new Set(['rejected/OUT_OF_BOUNDS']));
    // Another code on another key: its own alarm.
    await submit({ ...SPEED, value: 500 });
    const { alarms: open, shelvedCount } = await alarms();
    expect(shelvedCount).toBe(0);
    expect(open).toHaveLength(2);
    const feed = open.find((a) => a.parameter === 'FeedRate')!;
    expect(feed).toMatchObject({
      reasonCode: 'OUT_OF_BOUNDS',
      target: { kind: 'opcenter', instance: 'opc-1' },
      object: FEED.object,
      count: 25,
      lastCommandId: refused[24].commandId,
      message: expect.stringContaining('556'),
    });
    expect(Date.parse(feed.firstAt)).toBeLessThanOrEqual(Date.parse(feed.lastAt));
    expect(open[0].parameter).toBe('Speed');
  });

  it('clears the alarm when the key takes a write; the next refusal opens a new one', async () => {
    const before = (await alarms()).alarms.find((a) => a.parameter === 'FeedRate')!;
    const taken = await submit({ value: 990 });
    expect((await settled(taken.commandId)).state).toBe('applied');
    expect((await alarms()).alarms.map((a) => a.parameter)).toEqual(['Speed']);
    await submit({ value: 10 });
    const reopened = (await alarms()).alarms.find((a) => a.parameter === 'FeedRate')!;
    expect(reopened).toMatchObject({ count: 1, reasonCode: 'OUT_OF_BOUNDS' });
    expect(reopened.id).not.toBe(before.id);
  });

  it('records an acknowledgement with its reason; the alarm stays open and keeps counting', async () => {
    const alarm = (await alarms()).alarms.find((a) => a.parameter === 'FeedRate')!;
    const response = await gw.call('POST', `/alarms/${alarm.id}/acknowledge`, {
      as: OPERATOR,
      body: { reason: 'model retraining requested' },
    });
    expect(response.status).toBe(200);
    expect(await json<RefusalAlarm>(response)).toMatchObject({
      id: alarm.id,
      acknowledged: { by: 'olivia', reason: 'model retraining requested' },
    });
    await submit({ value: 12 });
    expect((await alarms()).alarms.find((a) => a.id === alarm.id)).toMatchObject({
      count: 2,
      acknowledged: { by: 'olivia' },
    });
    const audit = await json<AuditPage>(await gw.call('GET', '/audit?outcome=alarm', { as: VIEWER }));
    expect(audit.records).toEqual([
      expect.objectContaining({
        outcome: 'alarm',
        actor: 'olivia',
        reasonCode: 'ALARM_ACKNOWLEDGED',
        parameter: 'FeedRate',
        message: expect.stringContaining('model retraining requested'),
      }),
    ]);
  });

  it('hides a shelved alarm from the open list, lists it on request, and bounds the time', async () => {
    const speed = (await alarms()).alarms.find((a) => a.parameter === 'Speed')!;
    for (const minutes of [0, 721]) {
      const bad = await gw.call('POST', `/alarms/${speed.id}/shelve`, { as: OPERATOR, body: { reason: 'x', minutes } });
      expect(bad.status).toBe(400);
    }
    const shelved = await gw.call('POST', `/alarms/${speed.id}/shelve`, {
      as: OPERATOR,
      body: { reason: 'sensor calibration this shift', minutes: 60 },
    });
    expect(shelved.status).toBe(200);
    const list = await alarms();
    expect(list.alarms.map((a) => a.parameter)).toEqual(['FeedRate']);
    expect(list.shelvedCount).toBe(1);
    const all = await alarms('?shelved=true');
    expect(all.alarms.find((a) => a.id === speed.id)?.shelved).toMatchObject({
      by: 'olivia',
      reason: 'sensor calibration this shift',
    });
  });

  it('answers 404 for an alarm that is not open, 403 to a viewer, 400 without a reason', async () => {
    const alarm = (await alarms()).alarms[0];
    const missing = await gw.call('POST', '/alarms/0123456789abcdef0123456789abcdef/acknowledge', {
      as: OPERATOR,
      body: { reason: 'x' },
    });
    expect(missing.status).toBe(404);
    expect((await json<{ code: string }>(missing)).code).toBe('ALARM_NOT_FOUND');
    expect(
      (await gw.call('POST', `/alarms/${alarm.id}/acknowledge`, { as: VIEWER, body: { reason: 'x' } })).status,
    ).toBe(403);
    expect((await gw.call('POST', `/alarms/${alarm.id}/acknowledge`, { as: OPERATOR, body: {} })).status).toBe(400);
  });
});
