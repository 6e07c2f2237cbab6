/**
 * The live demo path, end to end and for real: node-opcua CNC cell → node-red-contrib-opcua
 * subscription → simulated model → ai-score → rule → opcenter-out → gateway → Opcenter simulator
 * → audit. Nothing is mocked but the MES, which is the Opcenter simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditPage, AuditRecord, WriteBackList, WriteBackOutcome } from '@loopgate/contracts';
import type { CncCellSimulator } from '../../server/src/targets/opcua/simulator';
import type { ApiClient } from '../../server/src/demo/api-client';
import { eventually, startTestStack, type DemoStack } from '../support/stack';

let stack: DemoStack;
let operator: ApiClient;

beforeAll(async () => {
  stack = await startTestStack();
  operator = await stack.signIn('operator');
});

afterAll(async () => {
  await stack?.close();
});

async function appliedFeedRate(): Promise<AuditRecord | undefined> {
  const page = await operator.get<AuditPage>('/audit?outcome=applied&limit=50');
  return page.records.find((r) => r.parameter === 'FeedRate' && r.target?.kind === 'opcenter');
}

describe('live demo', () => {
  it('applies a feed-rate compensation at the Opcenter simulator within 60 s, fully traced in the audit', async () => {
    const record = await eventually(appliedFeedRate, 60_000, 1_000);
    expect(record.lineage.inferenceId).toMatch(/\S/);
    expect(record.lineage.modelId).toMatch(/\S/);
    expect(record.lineage.ruleSetId).toBe('tool-wear-feed-compensation');
    expect(record.lineage.ruleSetVersion).toBeGreaterThanOrEqual(1);
    expect(record.lineage.ruleName).toMatch(/\S/);
    expect(record.lineage.flowId).toBe('tool-wear-feed-rate');
    // The spindle load it was decided on, as the OPC UA server stamped it (judged for quality and age).
    expect(record.lineage.inputs).toEqual([
      expect.objectContaining({
        name: 'ns=1;s=CNC_Cell_01.SpindleLoad',
        statusCode: 0,
        sourceTime: expect.any(String),
      }),
    ]);
    expect(typeof record.priorValue).toBe('number');
    expect(typeof record.newValue).toBe('number');
    expect(record.newValue).toBeLessThan(record.priorValue as number);
    expect(record.mesTransactionId).toMatch(/\S/);

    const ledger = stack.simulators.opcenter!.ledger().filter((e) => e.parameter === 'FeedRate');
    expect(ledger.at(-1)?.value).toBe(record.newValue);
  });

  it("measures each AI write's effect on the spindle load the flow reports, before against after, and stores it", async () => {
    const cell = stack.simulators.opcua as unknown as CncCellSimulator;
    // The MES downloads the recipe's new feed rate to the cell, so the load answers the write.
    const record = await eventually(appliedFeedRate, 60_000, 1_000);
    await eventually(async () =>
      cell.ledger().some((e) => e.operation === 'recipe-download' && e.value === record.newValue) ? true : undefined,
    );
    // The flow's loopgate-kpi node reports the load; 20 s after the write the gateway compares the windows.
    const decision = await eventually(
      async () => {
        const d = await operator.get<{
          effect: {
            verdict: string;
            before?: { count: number; mean: number };
            after?: { count: number; mean: number };
          } | null;
          effectCheck: { kpi: string } | null;
        }>(`/autonomy/decisions/${record.commandId}`);
        return d.effect ? d : undefined;
      },
      60_000,
      1_000,
    );
    console.log(
      `effect of FeedRate ${record.priorValue} → ${record.newValue}: spindle load ${JSON.stringify(decision.effect)}`,
    );
    expect(decision.effectCheck).toMatchObject({ kpi: 'CNC_Cell_01 spindle load' });
    expect(decision.effect!.verdict).toMatch(/^(improved|no-change|adverse)$/);
    expect(decision.effect!.before!.count).toBeGreaterThan(0);
    expect(decision.effect!.after!.count).toBeGreaterThan(0);
  });

  it("flags the AI's change at the CNC cell's HMI, naming model and command; the operator's revert clears it", async () => {
    const cell = stack.simulators.opcua as unknown as CncCellSimulator;
    // The flow's own feed-rate writes (downloaded from Opcenter to the cell) wait meanwhile.
    await operator.post('/targets/opcenter-demo/pause', { reason: 'HMI flag check on the cell' });
    const service = { 'content-type': 'application/json', authorization: `Bearer ${stack.serviceToken}` };
    const prior = cell.state().feedRate;
    const submitted = await fetch(`${stack.url}/api/v1/writebacks`, {
      method: 'POST',
      headers: service,
      body: JSON.stringify({
        requestId: `hmi-flag-${Date.now()}`,
        target: { kind: 'opcua', instance: 'opcua-demo' },
        object: { type: 'equipment', id: 'CNC_Cell_01' },
        action: 'set-parameter',
        parameter: 'FeedRate',
        value: Math.round(prior * 0.97),
        reason: 'tool wear compensation',
        notAfter: new Date(Date.now() + 60_000).toISOString(),
        initiator: 'ai',
        lineage: { modelId: 'tool-wear-cnc', modelVersion: '1.2.0', inferenceId: 'hmi-flag-inference' },
      }),
    });
    expect(submitted.status).toBe(202);
    const { commandId: id } = (await submitted.json()) as WriteBackOutcome;
    /** A revert that lands ends `reverted`, a write `applied`. */
    const landed = (commandId: string, state: 'applied' | 'reverted') =>
      eventually(
        async () => {
          const outcome = await operator.get<WriteBackOutcome>(`/writebacks/${commandId}`);
          return outcome.state === state ? outcome : undefined;
        },
        30_000,
        250,
      ).catch(async (error: Error) => {
        const outcome = await operator.get<WriteBackOutcome>(`/writebacks/${commandId}`);
        throw new Error(
          `${error.message}; ${commandId} is ${outcome.state} ${outcome.reasonCode ?? ''} ${outcome.message ?? ''}`,
        );
      });
    await landed(id, 'applied');
    expect(cell.hmiFlag('FeedRate')).toEqual({ aiChanged: true, by: `tool-wear-cnc 1.2.0, command ${id}` });

    const revert = await operator.post<WriteBackOutcome>(`/writebacks/${id}/revert`, {
      reason: 'operator prefers the recipe value',
    });
    await landed(revert.commandId, 'reverted');
    expect(cell.state().feedRate).toBe(prior);
    expect(cell.hmiFlag('FeedRate')).toEqual({ aiChanged: false, by: '' });
    await operator.post('/targets/opcenter-demo/resume', { reason: 'HMI flag check done' });
  });

  it("follows a person's revert: the flow's next proposal starts from the restored feed rate, and is held", async () => {
    const record = await eventually(appliedFeedRate, 60_000, 1_000);
    const revert = await operator.post<WriteBackOutcome>(`/writebacks/${record.commandId}/revert`, {
      reason: 'the operator prefers the value before',
    });
    const restored = await eventually(async () => {
      const o = await operator.get<WriteBackOutcome>(`/writebacks/${revert.commandId}`);
      return o.state === 'reverted' ? o : undefined;
    });
    const prior = restored.newValue as number;
    // The model proposes at most 5 % below what it believes the recipe holds: from the restored value,
    // not from the value it wrote before the revert.
    const next = await eventually(
      async () => {
        const { outcomes } = await operator.get<WriteBackList>('/writebacks?initiator=ai&limit=20');
        return outcomes.find(
          (o) =>
            o.parameter === 'FeedRate' &&
            o.target.kind === 'opcenter' &&
            Date.parse(o.timings.receivedAt) > Date.parse(restored.timings.receivedAt),
        );
      },
      30_000,
      500,
    );
    expect(next.newValue).toBeGreaterThanOrEqual(Math.ceil((prior * 0.95) / 10) * 10);
    // The person's revert holds the AI's writes to the key, as an override does (the demo: 120 s).
    expect(next).toMatchObject({ state: 'rejected', reasonCode: 'OVERRIDE_HOLD' });
  });

  it('keeps an audit chain that verifies', async () => {
    const verification = await operator.get<{ ok: boolean; checked: number }>('/audit/verify');
    expect(verification.ok).toBe(true);
    expect(verification.checked).toBeGreaterThan(0);
  });

  it('reports liveness, readiness and the flow inputs in /health', async () => {
    const health = (await fetch(`${stack.url}/health`).then((r) => r.json())) as {
      live: boolean;
      ready: boolean;
      checks: Record<string, { ok: boolean }>;
    };
    expect(health).toMatchObject({ live: true, ready: true });
    expect(health.checks.database.ok).toBe(true);
    expect(health.checks['flow-inputs']).toBeDefined();
  });

  it('shows the demo flow with the Loopgate palette in the Node-RED editor', async () => {
    const token = await fetch(`${stack.url}/red/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_id: 'node-red-admin',
        grant_type: 'password',
        scope: '*',
        username: 'engineer',
        password: 'loopgate-demo',
      }),
    }).then((r) => r.json() as Promise<{ access_token: string }>);
    const auth = { authorization: `Bearer ${token.access_token}` };
    const flows = (await fetch(`${stack.url}/red/flows`, { headers: auth }).then((r) => r.json())) as {
      type: string;
      id: string;
    }[];
    expect(flows.map((n) => n.type)).toEqual(
      expect.arrayContaining(['tab', 'OpcUa-Client', 'ai-score', 'loopgate-rule', 'opcenter-out']),
    );
    const palette = (await fetch(`${stack.url}/red/nodes`, { headers: { ...auth, accept: 'application/json' } }).then(
      (r) => r.json(),
    )) as { module: string; types: string[] }[];
    const ours = palette.filter((set) => set.module === 'node-red-contrib-loopgate').flatMap((set) => set.types);
    expect(ours).toEqual(
      expect.arrayContaining([
        'ai-score',
        'loopgate-rule',
        'opcenter-out',
        'factorytalk-out',
        'aveva-out',
        'cmms-out',
        'opcua-setpoint-out',
      ]),
    );
  });

  it('answers a malformed write-back with 400, a stable code and the bad field, and stores nothing', async () => {
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${stack.serviceToken}` };
    const countBefore = await writebackCount();
    const response = await fetch(`${stack.url}/api/v1/writebacks`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        requestId: 'bad-1',
        target: { kind: 'opcenter', instance: 'opcenter-demo' },
        object: { type: 'recipe-parameter', id: 42 },
        action: 'set-parameter',
        reason: 'x',
        notAfter: 'tomorrow',
        initiator: 'ai',
        lineage: {},
      }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { code: string; issues: { path: string; code: string }[] };
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['$.object.id', '$.notAfter']));

    const garbage = await fetch(`${stack.url}/api/v1/writebacks`, { method: 'POST', headers, body: '{"requestId": ' });
    expect(garbage.status).toBe(400);
    expect(((await garbage.json()) as { code: string }).code).toBe('MALFORMED_JSON');
    expect(await writebackCount()).toBe(countBefore);
  });
});

async function writebackCount(): Promise<number> {
  const list = await operator.get<WriteBackList>('/writebacks?limit=500');
  return list.outcomes.length;
}
