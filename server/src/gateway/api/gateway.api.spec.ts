import type { AuditPage, AuditRecord, TargetList, WriteBackList, WriteBackOutcome } from '@loopgate/contracts';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_WRITER, type AuditWriter } from '../../common/audit.port';
import { ChainVerifier } from '../domain/audit-chain';
import { createGatewayTestApp, type GatewayTestApp } from '../testing/api-app';
import { opcenterDescription } from '../../targets/opcenter/description';
import { FakeTarget } from '../testing/fake-target';
import { FEED, setRequest } from '../testing/harness';
import { TEST_PASSWORD } from '../testing/test-auth';

const SERVICE = 'token:line1';
const OPERATOR = 'olivia:operator';
const QA = 'quinn:qa';
const VIEWER = 'vera:viewer';
const ADMIN = 'ada:admin';

let gw: GatewayTestApp;
const fake = new FakeTarget({ instance: 'opc-1' });
/** A target that declares what it takes, as every real adapter does. */
const described = new FakeTarget({ instance: 'opc-described', description: opcenterDescription });
const lotRelease = {
  action: 'release-lot' as const,
  object: { type: 'material-lot' as const, id: 'LOT-7' },
  parameter: undefined,
  value: undefined,
};

beforeAll(async () => {
  fake.set(FEED, 1000);
  gw = await createGatewayTestApp([
    {
      instance: 'opc-1',
      fake,
      guardrails: {
        interlocks: [{ parameter: 'Interlock*' }],
        limits: [{ parameter: 'FeedRate', min: 100, max: 5000 }],
        retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 5 },
        // The cases share one key: a revert in one must not hold the AI writes of the next (the
        // hold after a revert is the engine spec's case).
        revertHoldSeconds: 0,
      },
      approvals: [{ name: 'lot release', actions: ['release-lot'], requiresQuality: true }],
    },
    { instance: 'opc-described', fake: described, guardrails: { revertHoldSeconds: 0 } },
  ]);
});

afterAll(async () => {
  await gw?.close();
});

async function json<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

async function settled(commandId: string): Promise<WriteBackOutcome> {
  for (let i = 0; i < 500; i++) {
    const outcome = await json<WriteBackOutcome>(await gw.call('GET', `/writebacks/${commandId}`, { as: SERVICE }));
    if (!['queued', 'dispatching', 'pending-approval'].includes(outcome.state)) return outcome;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`${commandId} did not settle`);
}

async function counts(): Promise<{ commands: number; audit: number }> {
  const [c] = await gw.dataSource.query('SELECT COUNT(*) AS n FROM writeback_commands');
  const [a] = await gw.dataSource.query('SELECT COUNT(*) AS n FROM audit_records');
  return { commands: Number(c.n), audit: Number(a.n) };
}

describe('POST /writebacks', () => {
  it('is documented with the statuses it answers: 202 for a new command, 200 for a known one, never 201', () => {
    const document = SwaggerModule.createDocument(gw.app, new DocumentBuilder().build());
    const posts = Object.entries(document.paths)
      .filter(([path]) => /\/writebacks(\/\{commandId\}\/revert(-episode)?)?$/.test(path))
      .map(([path, item]) => [path, Object.keys(item.post?.responses ?? {}).sort()]);
    expect(posts).toHaveLength(3);
    for (const [path, statuses] of posts) expect(statuses, String(path)).toEqual(['200', '202']);
  });

  it("refuses at intake what the target's description does not take, and nothing reaches the MES", async () => {
    const target = { kind: 'opcenter' as const, instance: 'opc-described' };
    const cases = [
      // An object type the action does not act on.
      [
        { action: 'hold-lot', object: { type: 'work-order', id: 'WO-1' }, parameter: undefined, value: undefined },
        'UNSUPPORTED_ACTION',
        /acts on material-lot, not work-order/,
      ],
      // A required detail missing (a status neither as detail nor as value).
      [
        {
          action: 'update-work-order-status',
          object: { type: 'work-order', id: 'WO-1' },
          parameter: undefined,
          value: undefined,
        },
        'INVALID_COMMAND',
        /needs details\.status/,
      ],
      // A detail the action does not take: it would be dropped silently at the MES.
      [
        {
          action: 'hold-lot',
          object: { type: 'material-lot', id: 'LOT-1' },
          parameter: undefined,
          value: undefined,
          details: { colour: 'red' },
        },
        'INVALID_COMMAND',
        /details\.colour is not a field/,
      ],
    ] as const;
    for (const [patch, code, message] of cases) {
      const response = await gw.call('POST', '/writebacks', {
        as: SERVICE,
        body: setRequest(described, { target, ...patch }),
      });
      expect(response.status).toBe(202);
      expect(await json<WriteBackOutcome>(response)).toMatchObject({
        state: 'rejected',
        reasonCode: code,
        message: expect.stringMatching(message),
      });
    }
    const taken = await gw.call('POST', '/writebacks', {
      as: SERVICE,
      body: setRequest(described, {
        target,
        action: 'update-work-order-status',
        object: { type: 'work-order', id: 'WO-1' },
        parameter: undefined,
        value: undefined,
        details: { status: 'Hold' },
      }),
    });
    expect(await settled((await json<WriteBackOutcome>(taken)).commandId)).toMatchObject({ state: 'applied' });
    expect(described.calls.write).toBe(1);
  });

  it('answers 202 with a new command and 200 with the same command for a repeated requestId', async () => {
    const request = setRequest(fake, { value: 1010, target: { kind: 'opcenter', instance: 'opc-1' } });
    const first = await gw.call('POST', '/writebacks', { as: SERVICE, body: request });
    expect(first.status).toBe(202);
    const created = await json<WriteBackOutcome>(first);
    expect(await settled(created.commandId)).toMatchObject({ state: 'applied', priorValue: 1000, newValue: 1010 });
    const again = await gw.call('POST', '/writebacks', { as: SERVICE, body: request });
    expect(again.status).toBe(200);
    expect(await json<WriteBackOutcome>(again)).toMatchObject({ commandId: created.commandId, state: 'applied' });
    expect(fake.appliedTo(FEED).filter((e) => e.externalRef === created.commandId)).toHaveLength(1);
  });

  it('refuses a body without requestId with 400 VALIDATION_FAILED at $.requestId, storing nothing', async () => {
    const before = await counts();
    const { requestId: _omit, ...body } = setRequest(fake);
    const response = await gw.call('POST', '/writebacks', { as: SERVICE, body });
    expect(response.status).toBe(400);
    const error = await json<{ code: string; issues: { code: string; path: string }[] }>(response);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.issues).toContainEqual(expect.objectContaining({ path: '$.requestId', code: 'IS_STRING' }));
    expect(await counts()).toEqual(before);
  });

  it('points at a nested field: $.object.id', async () => {
    const body = { ...setRequest(fake), object: { type: 'recipe-parameter' } };
    const error = await json<{ issues: { path: string }[] }>(
      await gw.call('POST', '/writebacks', { as: SERVICE, body }),
    );
    expect(error.issues.map((i) => i.path)).toContain('$.object.id');
  });

  it('refuses unknown fields with UNKNOWN_FIELD', async () => {
    const body = { ...setRequest(fake), bypassGuardrails: true };
    const error = await json<{ issues: { code: string; path: string }[] }>(
      await gw.call('POST', '/writebacks', { as: SERVICE, body }),
    );
    expect(error.issues).toContainEqual(expect.objectContaining({ code: 'UNKNOWN_FIELD', path: '$.bypassGuardrails' }));
  });

  it('requires a value for set-parameter', async () => {
    const { value: _v, ...body } = setRequest(fake);
    const error = await json<{ issues: { path: string }[] }>(
      await gw.call('POST', '/writebacks', { as: SERVICE, body }),
    );
    expect(error.issues.map((i) => i.path)).toContain('$.value');
  });

  it('refuses a value that is an object', async () => {
    const body = { ...setRequest(fake), value: { $gt: 1 } };
    const error = await json<{ issues: { code: string; path: string }[] }>(
      await gw.call('POST', '/writebacks', { as: SERVICE, body }),
    );
    expect(error.issues).toContainEqual(expect.objectContaining({ code: 'IS_PARAMETER_VALUE', path: '$.value' }));
  });

  it('answers malformed JSON with 400 MALFORMED_JSON, storing nothing', async () => {
    const before = await counts();
    const response = await gw.call('POST', '/writebacks', { as: SERVICE, raw: '{"requestId": ' });
    expect(response.status).toBe(400);
    expect((await json<{ code: string }>(response)).code).toBe('MALFORMED_JSON');
    expect(await counts()).toEqual(before);
  });

  it('answers 401 without credentials and 403 without the submit permission', async () => {
    expect((await gw.call('POST', '/writebacks', { body: setRequest(fake) })).status).toBe(401);
    expect((await gw.call('POST', '/writebacks', { as: VIEWER, body: setRequest(fake) })).status).toBe(403);
  });

  it('records a guardrail refusal as a rejected command with its reason code', async () => {
    const response = await gw.call('POST', '/writebacks', {
      as: SERVICE,
      body: setRequest(fake, { parameter: 'InterlockBypass', value: 1 }),
    });
    expect(response.status).toBe(202);
    expect(await json<WriteBackOutcome>(response)).toMatchObject({ state: 'rejected', reasonCode: 'SAFETY_INTERLOCK' });
  });
});

describe('GET /writebacks', () => {
  it('lists newest first, filters by state and pages with nextBefore', async () => {
    for (const value of [1101, 1102, 1103]) {
      const created = await json<WriteBackOutcome>(
        await gw.call('POST', '/writebacks', { as: SERVICE, body: setRequest(fake, { value }) }),
      );
      await settled(created.commandId);
    }
    const page = await json<WriteBackList>(await gw.call('GET', '/writebacks?state=applied&limit=2', { as: VIEWER }));
    expect(page.outcomes).toHaveLength(2);
    expect(page.outcomes.every((o) => o.state === 'applied')).toBe(true);
    expect(page.outcomes[0].newValue).toBe(1103);
    const next = await json<WriteBackList>(
      await gw.call('GET', `/writebacks?state=applied&limit=2&before=${page.nextBefore}`, { as: VIEWER }),
    );
    expect(next.outcomes[0].newValue).toBe(1101);
  });

  it('answers 404 NOT_FOUND for an unknown command', async () => {
    const response = await gw.call('GET', '/writebacks/nope', { as: VIEWER });
    expect(response.status).toBe(404);
    expect((await json<{ code: string }>(response)).code).toBe('NOT_FOUND');
  });

  it('refuses an unknown state filter', async () => {
    expect((await gw.call('GET', '/writebacks?state=done', { as: VIEWER })).status).toBe(400);
  });
});

describe('approvals', () => {
  async function pendingRelease(initiator: 'ai' | 'human' = 'ai', as = SERVICE): Promise<WriteBackOutcome> {
    const response = await gw.call('POST', '/writebacks', { as, body: setRequest(fake, { ...lotRelease, initiator }) });
    return json<WriteBackOutcome>(response);
  }

  it('lists a pending lot release and lets QA approve it with a signature', async () => {
    const pending = await pendingRelease();
    expect(pending).toMatchObject({
      state: 'pending-approval',
      approval: { rule: 'lot release', requiresQuality: true },
    });
    const list = await json<{ approvals: WriteBackOutcome[] }>(await gw.call('GET', '/approvals', { as: OPERATOR }));
    expect(list.approvals.map((o) => o.commandId)).toContain(pending.commandId);

    const byOperator = await gw.call('POST', `/writebacks/${pending.commandId}/approve`, {
      as: OPERATOR,
      body: { password: TEST_PASSWORD, meaning: 'approved' },
    });
    expect(byOperator.status).toBe(403);
    expect((await json<{ code: string }>(byOperator)).code).toBe('QUALITY_APPROVAL_REQUIRED');

    const wrongPassword = await gw.call('POST', `/writebacks/${pending.commandId}/approve`, {
      as: QA,
      body: { password: 'nope', meaning: 'approved' },
    });
    expect(wrongPassword.status).toBe(401);

    const approved = await gw.call('POST', `/writebacks/${pending.commandId}/approve`, {
      as: QA,
      body: { password: TEST_PASSWORD, meaning: 'approved', comment: 'CoA checked' },
    });
    expect(approved.status).toBe(200);
    expect(gw.signatures.signed.at(-1)).toEqual({ username: 'quinn', recordHash: pending.approval?.recordHash });
    expect(await settled(pending.commandId)).toMatchObject({
      state: 'applied',
      approval: { signature: { signer: 'quinn', meaning: 'approved' } },
    });
  });

  it('refuses a meaning that does not match the route', async () => {
    const pending = await pendingRelease();
    const response = await gw.call('POST', `/writebacks/${pending.commandId}/approve`, {
      as: QA,
      body: { password: TEST_PASSWORD, meaning: 'rejected' },
    });
    expect(response.status).toBe(400);
    expect((await json<{ issues: { code: string; path: string }[] }>(response)).issues).toEqual([
      expect.objectContaining({ code: 'MEANING_MISMATCH', path: '$.meaning' }),
    ]);
  });

  it('rejects with a signature', async () => {
    const pending = await pendingRelease();
    const response = await gw.call('POST', `/writebacks/${pending.commandId}/reject`, {
      as: QA,
      body: { password: TEST_PASSWORD, meaning: 'rejected' },
    });
    expect(await json<WriteBackOutcome>(response)).toMatchObject({
      state: 'rejected',
      reasonCode: 'APPROVAL_REJECTED',
    });
  });

  it('does not let the requester approve their own human-initiated change', async () => {
    const pending = await pendingRelease('human', 'ada:admin');
    const response = await gw.call('POST', `/writebacks/${pending.commandId}/approve`, {
      as: 'ada:admin',
      body: { password: TEST_PASSWORD, meaning: 'approved' },
    });
    expect(response.status).toBe(403);
    expect((await json<{ code: string }>(response)).code).toBe('SELF_APPROVAL');
  });

  it('refuses a service token as signer', async () => {
    const pending = await pendingRelease();
    expect(
      (
        await gw.call('POST', `/writebacks/${pending.commandId}/approve`, {
          as: SERVICE,
          body: { password: TEST_PASSWORD, meaning: 'approved' },
        })
      ).status,
    ).toBe(403);
  });
});

describe('POST /writebacks/:id/revert', () => {
  it('writes the prior value back (202), and answers 200 with the same revert again', async () => {
    const created = await json<WriteBackOutcome>(
      await gw.call('POST', '/writebacks', { as: SERVICE, body: setRequest(fake, { value: 1234 }) }),
    );
    const applied = await settled(created.commandId);
    const first = await gw.call('POST', `/writebacks/${applied.commandId}/revert`, {
      as: OPERATOR,
      body: { reason: 'chatter' },
    });
    expect(first.status).toBe(202);
    const revert = await json<WriteBackOutcome>(first);
    expect(await settled(revert.commandId)).toMatchObject({
      state: 'reverted',
      revertOf: applied.commandId,
      newValue: applied.priorValue,
    });
    const second = await gw.call('POST', `/writebacks/${applied.commandId}/revert`, {
      as: OPERATOR,
      body: { reason: 'again' },
    });
    expect(second.status).toBe(200);
    expect((await json<WriteBackOutcome>(second)).commandId).toBe(revert.commandId);
  });

  it('needs a reason', async () => {
    expect((await gw.call('POST', '/writebacks/x/revert', { as: OPERATOR, body: {} })).status).toBe(400);
  });

  it('is refused to a viewer', async () => {
    expect((await gw.call('POST', '/writebacks/x/revert', { as: VIEWER, body: { reason: 'r' } })).status).toBe(403);
  });
});

describe('targets and control', () => {
  it('lists targets with their state', async () => {
    const { targets } = await json<TargetList>(await gw.call('GET', '/targets', { as: VIEWER }));
    expect(targets.filter((t) => t.instance === 'opc-1')).toEqual([
      expect.objectContaining({
        instance: 'opc-1',
        kind: 'opcenter',
        healthy: true,
        paused: false,
        shadow: false,
        queueDepth: 0,
      }),
    ]);
  });

  it('pauses and resumes a target', async () => {
    expect(
      await json(await gw.call('POST', '/targets/opc-1/pause', { as: OPERATOR, body: { reason: 'maintenance' } })),
    ).toMatchObject({ paused: true });
    expect(await json(await gw.call('POST', '/targets/opc-1/resume', { as: OPERATOR }))).toMatchObject({
      paused: false,
    });
  });

  it('switches shadow mode', async () => {
    expect(
      await json(await gw.call('POST', '/targets/opc-1/shadow', { as: OPERATOR, body: { enabled: true } })),
    ).toMatchObject({ shadow: true });
    expect(
      await json(await gw.call('POST', '/targets/opc-1/shadow', { as: OPERATOR, body: { enabled: false } })),
    ).toMatchObject({ shadow: false });
  });

  it('answers 404 for an unknown target and 403 to a viewer', async () => {
    expect((await gw.call('POST', '/targets/nope/pause', { as: OPERATOR })).status).toBe(404);
    expect((await gw.call('POST', '/targets/opc-1/pause', { as: VIEWER })).status).toBe(403);
  });

  it('stops and resumes all dispatch', async () => {
    expect(
      await json(await gw.call('POST', '/control/stop', { as: OPERATOR, body: { reason: 'drill' } })),
    ).toMatchObject({ stopped: true, stoppedBy: 'olivia' });
    expect(await json(await gw.call('GET', '/control', { as: VIEWER }))).toMatchObject({ stopped: true });
    expect(await json(await gw.call('POST', '/control/resume', { as: OPERATOR }))).toEqual({ stopped: false });
  });
});

describe('outcome stream', () => {
  it('sends an outcome event for a command', async () => {
    const controller = new AbortController();
    const response = await fetch(`${gw.url}/api/v1/outcomes/stream`, {
      headers: { authorization: `Test ${VIEWER}` },
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = response.body!.getReader();
    const created = await json<WriteBackOutcome>(
      await gw.call('POST', '/writebacks', { as: SERVICE, body: setRequest(fake, { value: 1300 }) }),
    );
    let text = '';
    while (!text.includes(`"state":"applied"`)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    expect(text).toContain('event: outcome');
    expect(text).toContain(created.commandId);
  });
});

describe('audit', () => {
  it('filters by outcome and inference id, newest first', async () => {
    const request = setRequest(fake, { value: 1400 });
    const created = await json<WriteBackOutcome>(await gw.call('POST', '/writebacks', { as: SERVICE, body: request }));
    await settled(created.commandId);
    const page = await json<AuditPage>(
      await gw.call('GET', `/audit?inferenceId=${request.lineage.inferenceId}`, { as: VIEWER }),
    );
    expect(page.records.map((r) => r.outcome)).toEqual(['applied', 'accepted']);
    expect(page.records[0]).toMatchObject({
      commandId: created.commandId,
      priorValue: expect.any(Number),
      newValue: 1400,
      target: { instance: 'opc-1' },
    });
    const applied = await json<AuditPage>(await gw.call('GET', '/audit?outcome=applied&limit=1', { as: VIEWER }));
    expect(applied.records).toHaveLength(1);
    expect(applied.nextBefore).toBeDefined();
  });

  it('is refused without audit:read', async () => {
    expect((await gw.call('GET', '/audit', { as: SERVICE })).status).toBe(403);
  });

  it('exports NDJSON whose chain verifies, and CSV with a header', async () => {
    const ndjson = await (await gw.call('GET', '/audit/export?format=ndjson', { as: VIEWER })).text();
    const records = ndjson
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as AuditRecord);
    const verifier = new ChainVerifier();
    for (const record of records) verifier.next(record);
    expect(verifier.result()).toEqual({ ok: true, checked: records.length });
    const csv = await gw.call('GET', '/audit/export?format=csv&outcome=applied', { as: VIEWER });
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).toMatch(/^sequence,time,commandId,requestId,inferenceId/);
    expect(lines.length).toBeGreaterThan(1);
  });

  it('keeps every typed reason in the records: the request’s, a revert’s and a pause’s, searchable and exported', async () => {
    const created = await json<WriteBackOutcome>(
      await gw.call('POST', '/writebacks', {
        as: SERVICE,
        body: setRequest(fake, { value: 1234, reason: 'spindle wear 0.71 at OP20' }),
      }),
    );
    const applied = await settled(created.commandId);
    const revert = await json<WriteBackOutcome>(
      await gw.call('POST', `/writebacks/${applied.commandId}/revert`, {
        as: OPERATOR,
        body: { reason: 'chatter marks on the last three parts' },
      }),
    );
    await settled(revert.commandId);
    await gw.call('POST', '/targets/opc-1/pause', { as: OPERATOR, body: { reason: 'tool change on CNC-01' } });
    await gw.call('POST', '/targets/opc-1/resume', { as: OPERATOR, body: { reason: 'tool changed' } });
    const find = async (q: string) =>
      (await json<AuditPage>(await gw.call('GET', `/audit?q=${encodeURIComponent(q)}`, { as: VIEWER }))).records;
    expect((await find('spindle wear 0.71')).map((r) => [r.commandId, r.reason])).toEqual(
      expect.arrayContaining([[created.commandId, 'spindle wear 0.71 at OP20']]),
    );
    expect(await find('chatter marks')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ commandId: revert.commandId, outcome: 'reverted' }),
        expect.objectContaining({ commandId: revert.commandId, outcome: 'accepted', actor: 'olivia' }),
      ]),
    );
    expect(await find('tool change on CNC-01')).toEqual([
      expect.objectContaining({ reasonCode: 'TARGET_PAUSED', reason: 'tool change on CNC-01', actor: 'olivia' }),
    ]);
    const csv = await (await gw.call('GET', '/audit/export?format=csv', { as: VIEWER })).text();
    expect(csv.split('\r\n')[0].split(',')).toContain('reason');
    expect(csv).toContain('chatter marks on the last three parts');
  });

  it('neutralises formulas in CSV cells and keeps them exact in NDJSON', async () => {
    const writer = gw.app.get<AuditWriter>(AUDIT_WRITER);
    const formula = '=HYPERLINK("http://evil.example","click")';
    await writer.append({
      outcome: 'security',
      actor: '+cmd|calc',
      message: formula,
      reasonCode: '@SUM(A1)',
      lineage: {},
    });
    const csv = await (await gw.call('GET', '/audit/export?format=csv&outcome=security', { as: VIEWER })).text();
    const last = csv.trim().split('\r\n').at(-1)!;
    expect(last).toContain(`"'=HYPERLINK(""http://evil.example"",""click"")"`);
    expect(last).toContain(`'+cmd|calc`);
    expect(last).toContain(`'@SUM(A1)`);
    expect(last).not.toMatch(/(^|,)[=+@]/);
    const ndjson = await (await gw.call('GET', '/audit/export?format=ndjson&outcome=security', { as: VIEWER })).text();
    const record = JSON.parse(ndjson.trim().split('\n').at(-1)!) as AuditRecord;
    expect(record).toMatchObject({ message: formula, actor: '+cmd|calc', reasonCode: '@SUM(A1)' });
  });

  it('verifies the chain and names the first record someone edited', async () => {
    expect(await json(await gw.call('GET', '/audit/verify', { as: ADMIN }))).toMatchObject({ ok: true });
    const [row] = await gw.dataSource.query(
      'SELECT sequence, message FROM audit_records WHERE outcome = ? ORDER BY sequence LIMIT 1',
      ['applied'],
    );
    await gw.dataSource.query('UPDATE audit_records SET message = ? WHERE sequence = ?', ['edited', row.sequence]);
    expect(await json(await gw.call('GET', '/audit/verify', { as: ADMIN }))).toMatchObject({
      ok: false,
      firstBroken: { sequence: row.sequence, reason: 'edited' },
    });
    await gw.dataSource.query('UPDATE audit_records SET message = ? WHERE sequence = ?', [row.message, row.sequence]);
    expect(await json(await gw.call('GET', '/audit/verify', { as: ADMIN }))).toMatchObject({ ok: true });
  });
});

describe('observability', () => {
  it('exposes gateway metrics', async () => {
    const text = await (await gw.call('GET', '/metrics')).text();
    expect(text).toMatch(/loopgate_writeback_commands_total\{outcome="applied",target="opc-1"\} \d+/);
    expect(text).toMatch(/loopgate_guardrail_refusals_total\{code="SAFETY_INTERLOCK",target="opc-1"\} 1/);
    expect(text).toContain('loopgate_writeback_queue_depth{target="opc-1"} 0');
    expect(text).toContain('loopgate_writeback_decision_latency_seconds_bucket');
  });

  it('reports dispatch and target health as ready', async () => {
    const health = await json<{ ready: boolean; checks: Record<string, { ok: boolean }> }>(
      await gw.call('GET', '/health'),
    );
    expect(health.ready).toBe(true);
    expect(health.checks['gateway.dispatch'].ok).toBe(true);
    expect(health.checks['target:opc-1'].ok).toBe(true);
  });
});

describe('quarantine', () => {
  it('releases and resolves only a quarantined command (409 NOT_QUARANTINED), for operators, with a reason', async () => {
    const { commandId } = await json<WriteBackOutcome>(
      await gw.call('POST', '/writebacks', { as: SERVICE, body: setRequest(fake, { value: 1111 }) }),
    );
    await settled(commandId);
    const resolve = { outcome: 'not-applied', reason: 'checked at the console' };
    expect((await gw.call('POST', `/writebacks/${commandId}/resolve`, { as: VIEWER, body: resolve })).status).toBe(403);
    expect((await gw.call('POST', `/writebacks/${commandId}/release`, { as: SERVICE, body: resolve })).status).toBe(
      403,
    );
    const notHeld = await gw.call('POST', `/writebacks/${commandId}/resolve`, { as: OPERATOR, body: resolve });
    expect(notHeld.status).toBe(409);
    expect(await json(notHeld)).toMatchObject({ code: 'NOT_QUARANTINED' });
    expect(
      (await gw.call('POST', `/writebacks/${commandId}/release`, { as: OPERATOR, body: { reason: 'again' } })).status,
    ).toBe(409);
    for (const body of [
      { outcome: 'maybe', reason: 'x' },
      { outcome: 'applied' },
      { outcome: 'applied', reason: '' },
    ]) {
      expect((await gw.call('POST', `/writebacks/${commandId}/resolve`, { as: OPERATOR, body })).status).toBe(400);
    }
    expect((await gw.call('POST', '/writebacks/nope/release', { as: OPERATOR, body: { reason: 'x' } })).status).toBe(
      404,
    );
  });
});

describe('MES health probes', () => {
  it('are shared: /health and GET /targets asked 60 times at once probe the MES at most once', async () => {
    const before = fake.calls.health;
    const answers = await Promise.all([
      ...Array.from({ length: 50 }, () => gw.call('GET', '/health')),
      ...Array.from({ length: 10 }, () => gw.call('GET', '/targets', { as: VIEWER })),
    ]);
    expect(answers.map((a) => a.status)).toEqual([...Array(50).fill(200), ...Array(10).fill(200)]);
    expect(fake.calls.health - before).toBeLessThanOrEqual(1);
  });
});

describe('a target marked down', () => {
  it('shows in GET /targets, /health and the loopgate_target_down gauge, and is marked up when a probe answers', async () => {
    fake.unhealthy = 'HTTP_503: service unavailable';
    fake.failReadsNext(3);
    const { commandId } = await json<WriteBackOutcome>(
      await gw.call('POST', '/writebacks', { as: SERVICE, body: setRequest(fake, { value: 1234 }) }),
    );
    let listed: TargetList['targets'][number] | undefined;
    for (let i = 0; i < 500 && !listed?.down; i++) {
      listed = (await json<TargetList>(await gw.call('GET', '/targets', { as: VIEWER }))).targets[0];
      if (!listed.down) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(listed).toMatchObject({
      healthy: false,
      down: { reason: expect.stringMatching(/^3 outage signals in a row/), nextProbeAt: expect.any(String) },
    });
    const health = await json<{ checks: Record<string, { ok: boolean; message?: string }> }>(
      await gw.call('GET', '/health'),
    );
    expect(health.checks['target:opc-1']).toMatchObject({ ok: false, message: expect.stringMatching(/^marked down/) });
    expect(await (await gw.call('GET', '/metrics')).text()).toContain('loopgate_target_down{target="opc-1"} 1');
    expect(
      (await json<WriteBackOutcome>(await gw.call('GET', `/writebacks/${commandId}`, { as: SERVICE }))).state,
    ).toBe('queued');

    fake.unhealthy = undefined;
    expect(await settled(commandId)).toMatchObject({ state: 'applied' });
    expect((await json<TargetList>(await gw.call('GET', '/targets', { as: VIEWER }))).targets[0].down).toBeUndefined();
    expect(await (await gw.call('GET', '/metrics')).text()).toContain('loopgate_target_down{target="opc-1"} 0');
  });
});

describe('start', () => {
  it('fails, naming the field, when a target has invalid guardrails', async () => {
    const broken = createGatewayTestApp([
      {
        instance: 'bad',
        fake: new FakeTarget({ instance: 'bad' }),
        guardrails: { limits: [{ parameter: 'FeedRate', maxStepPercent: -2 }] },
      },
    ]);
    await expect(broken).rejects.toMatchObject({
      name: 'ConfigError',
      problems: ['site.targets[0].guardrails.limits[0].maxStepPercent: maxStepPercent must be a positive number'],
    });
  });
});

describe('authority comes from who authenticated', () => {
  const HELD = { object: { type: 'recipe-parameter' as const, id: 'CNC-09/OP10' }, parameter: 'FeedRate' };

  it('keeps a service token that labels itself human under the override hold, and says the field is ignored', async () => {
    fake.set(HELD, 500);
    const first = await json<WriteBackOutcome>(
      await gw.call('POST', '/writebacks', { as: SERVICE, body: setRequest(fake, { ...HELD, value: 510 }) }),
    );
    expect(await settled(first.commandId)).toMatchObject({ state: 'applied', initiator: 'ai' });
    fake.operatorSet(HELD, 490, 'jdoe');
    const claimed = await gw.call('POST', '/writebacks', {
      as: SERVICE,
      body: setRequest(fake, { ...HELD, value: 520, initiator: 'human' }),
    });
    expect(claimed.status).toBe(202);
    expect(claimed.headers.get('deprecation')).toBe('true');
    expect(claimed.headers.get('warning')).toMatch(/^299 loopgate "INITIATOR_IGNORED/);
    expect(await settled((await json<WriteBackOutcome>(claimed)).commandId)).toMatchObject({
      state: 'rejected',
      reasonCode: 'OVERRIDE_HOLD',
      initiator: 'ai',
    });
    expect(fake.appliedTo(HELD).map((e) => e.value)).not.toContain(520);
    // Now the hold is known at submit: refused at once, and the answer says when it lifts (about
    // 900 s from now), in the body and as Retry-After.
    const again = await gw.call('POST', '/writebacks', {
      as: SERVICE,
      body: setRequest(fake, { ...HELD, value: 521 }),
    });
    const refusal = await json<WriteBackOutcome>(again);
    expect(refusal).toMatchObject({ state: 'rejected', reasonCode: 'OVERRIDE_HOLD' });
    expect(Date.parse(refusal.blockedUntil!) - Date.now()).toBeGreaterThan(890_000);
    const retryAfter = Number(again.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(890);
    expect(retryAfter).toBeLessThanOrEqual(900);
    // A person is a person without saying so, and passes the hold.
    const { initiator: _omit, ...unlabelled } = setRequest(fake, { ...HELD, value: 495 });
    const person = await gw.call('POST', '/writebacks', { as: ADMIN, body: unlabelled });
    expect(person.headers.get('deprecation')).toBeNull();
    expect(await settled((await json<WriteBackOutcome>(person)).commandId)).toMatchObject({
      state: 'applied',
      initiator: 'human',
    });
  });

  it('records a person who sends "initiator": "ai" as human, and does not let them sign their own change', async () => {
    const response = await gw.call('POST', '/writebacks', {
      as: ADMIN,
      body: setRequest(fake, { ...lotRelease, initiator: 'ai' }),
    });
    const pending = await json<WriteBackOutcome>(response);
    expect(pending).toMatchObject({ state: 'pending-approval', initiator: 'human' });
    const own = await gw.call('POST', `/writebacks/${pending.commandId}/approve`, {
      as: ADMIN,
      body: { password: TEST_PASSWORD, meaning: 'approved' },
    });
    expect(own.status).toBe(403);
    expect((await json<{ code: string }>(own)).code).toBe('SELF_APPROVAL');
  });

  it('does not let the person who created a service token sign what that token submitted', async () => {
    const pending = await json<WriteBackOutcome>(
      await gw.call('POST', '/writebacks', { as: 'token:ada-line', body: setRequest(fake, lotRelease) }),
    );
    expect(pending).toMatchObject({ state: 'pending-approval', initiator: 'ai', requestedBy: 'token:ada-line' });
    const own = await gw.call('POST', `/writebacks/${pending.commandId}/approve`, {
      as: 'ada:admin,qa',
      body: { password: TEST_PASSWORD, meaning: 'approved' },
    });
    expect(own.status).toBe(403);
    expect(await json<{ code: string; message: string }>(own)).toMatchObject({
      code: 'SELF_APPROVAL',
      message: expect.stringContaining('token:ada-line'),
    });
    const other = await gw.call('POST', `/writebacks/${pending.commandId}/approve`, {
      as: QA,
      body: { password: TEST_PASSWORD, meaning: 'approved' },
    });
    expect(other.status).toBe(200);
    expect(await settled(pending.commandId)).toMatchObject({ state: 'applied' });
  });

  it('refuses a request id in the namespace the gateway gives reverts, storing nothing', async () => {
    const before = await counts();
    const response = await gw.call('POST', '/writebacks', {
      as: SERVICE,
      body: setRequest(fake, { requestId: 'revert:01a23e33-5a80-757c-a923-f38c63fabc8c' }),
    });
    expect(response.status).toBe(400);
    expect(await json<{ code: string; issues: { path: string }[] }>(response)).toMatchObject({
      code: 'RESERVED_REQUEST_ID',
      issues: [{ path: '$.requestId' }],
    });
    expect(await counts()).toEqual(before);
  });

  it("answers another caller's request id with 409 REQUEST_ID_TAKEN, never with their command", async () => {
    const request = setRequest(fake, { ...HELD, parameter: 'Speed', value: 7 });
    const mine = await json<WriteBackOutcome>(await gw.call('POST', '/writebacks', { as: SERVICE, body: request }));
    const theirs = await gw.call('POST', '/writebacks', { as: 'token:line2', body: { ...request, value: 8 } });
    expect(theirs.status).toBe(409);
    const body = await json<{ code: string } & Partial<WriteBackOutcome>>(theirs);
    expect(body.code).toBe('REQUEST_ID_TAKEN');
    expect(body.commandId).toBeUndefined();
    const again = await gw.call('POST', '/writebacks', { as: SERVICE, body: request });
    expect(again.status).toBe(200);
    expect((await json<WriteBackOutcome>(again)).commandId).toBe(mine.commandId);
  });
});

describe('times without a zone', () => {
  it('refuses a notAfter or eventTime the server would have to read in its own zone, storing nothing', async () => {
    const before = await counts();
    for (const patch of [{ notAfter: '2030-01-01T10:00:30' }, { eventTime: '2026-11-22T10:00:30.500' }]) {
      const response = await gw.call('POST', '/writebacks', { as: SERVICE, body: setRequest(fake, patch) });
      expect(response.status).toBe(400);
      const field = Object.keys(patch)[0];
      expect(await json<{ code: string; issues: { code: string; path: string }[] }>(response)).toMatchObject({
        code: 'VALIDATION_FAILED',
        issues: [{ code: 'IS_ZONED_TIMESTAMP', path: `$.${field}` }],
      });
    }
    expect(await counts()).toEqual(before);
  });
});
