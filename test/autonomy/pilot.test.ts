/**
 * A scripted pilot of earned autonomy on the real gateway modules with an injected clock: the
 * tool-wear model starts in shadow, operators mark its decisions, a signed promotion to supervised
 * and then autonomous succeeds only once the thresholds are met, three operator overrides demote
 * it by themselves, an adverse KPI after a write reverts it and counts; the pilot's training data
 * is exported and read back with two Parquet readers (hyparquet, and Apache Arrow's Rust implementation).
 */
import { tableFromIPC } from 'apache-arrow';
import { parquetReadObjects } from 'hyparquet';
import { readParquet } from 'parquet-wasm';
import type { AuditPage, WriteBackOutcome, WriteBackRequest } from '@loopgate/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeTarget } from '../../server/src/gateway/testing/fake-target';
import { TEST_PASSWORD } from '../../server/src/gateway/testing/test-auth';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../support/databases';
import { AutonomyRepository } from '../../server/src/autonomy/persistence/autonomy.repository';
import { createPilotApp, until, type PilotApp } from './pilot-app';

const SCOPE = 'opcenter-demo|FeedRate|tool-wear';
const SCOPE_PATH = `/autonomy/scopes/${encodeURIComponent(SCOPE)}`;
const KPI = 'spindleLoad:{object}';
const START = Date.parse('2026-12-01T06:00:00.000Z');

const SITE_AUTONOMY = {
  scopes: [
    {
      target: 'opcenter-demo',
      parameter: 'FeedRate',
      model: 'tool-wear',
      level: 'shadow',
      autoRevertAdverse: true,
      effect: { kpi: KPI, expected: 'decrease', windowSeconds: 60, tolerance: 2 },
    },
  ],
  promotion: {
    supervised: { periodDays: 30, minShadowDecisions: 10, minReviewed: 10, minAgreement: 0.9, maxInterlockRefusals: 0 },
    autonomous: {
      periodDays: 30,
      minSupervisedDecisions: 3,
      minApprovalRate: 1,
      maxInterlockRefusals: 0,
      maxOverrides: 0,
      maxReverts: 0,
      maxAdverseEffects: 0,
    },
  },
  inputQuality: { maxAgeSeconds: 10, maxClockSkewSeconds: 2 },
  demotion: {
    windowHours: 24,
    minDecisions: 5,
    maxOverrideRate: 0.5,
    maxRevertRate: 0.5,
    maxRejectionRate: 0.5,
    maxAdverseRate: 0.5,
  },
};

describe.each(databaseKinds())('earned autonomy pilot on %s', (kind) => {
  let db: TestDatabase;
  let gw: PilotApp;
  const fake = new FakeTarget({ instance: 'opcenter-demo', kind: 'opcenter' });
  let seq = 0;

  const request = (object: string, value: number): WriteBackRequest => ({
    requestId: `inf-${++seq}`,
    lineage: {
      modelId: 'tool-wear',
      modelVersion: '3.1',
      ruleSetId: 'tool-wear-feed-compensation',
      ruleSetVersion: 2,
      inferenceId: `inf-${seq}`,
    },
    target: { kind: 'opcenter', instance: 'opcenter-demo' },
    object: { type: 'recipe-parameter', id: object },
    action: 'set-parameter',
    parameter: 'FeedRate',
    value,
    reason: 'tool wear compensation',
    notAfter: new Date(gw.clock.now() + 24 * 3600_000).toISOString(),
    initiator: 'ai',
  });
  const submit = async (object: string, value: number): Promise<WriteBackOutcome> => {
    const res = await gw.call('POST', '/writebacks', { as: 'token:line1', body: request(object, value) });
    expect(res.status).toBe(202);
    return (await res.json()) as WriteBackOutcome;
  };
  const outcome = async (id: string) =>
    (await (await gw.call('GET', `/writebacks/${id}`, { as: 'vera:viewer' })).json()) as WriteBackOutcome;
  const applied = (id: string) =>
    until(
      () => outcome(id),
      (o) => o.state === 'applied',
    );
  const evidence = async () =>
    (await (await gw.call('GET', `${SCOPE_PATH}/evidence`, { as: 'vera:viewer' })).json()) as {
      level: string;
      evidenceHash: string;
      unmet: { code: string }[];
      evidence: Record<string, unknown>;
    };
  const promote = async (toLevel: string, as = 'quinn:qa', patch: Record<string, unknown> = {}) => {
    const { evidenceHash } = await evidence();
    return gw.call('POST', `${SCOPE_PATH}/promotion`, {
      as,
      body: { toLevel, evidenceHash, password: TEST_PASSWORD, ...patch },
    });
  };
  const level = async () =>
    (
      (await (await gw.call('GET', '/autonomy/scopes', { as: 'vera:viewer' })).json()) as {
        scopeId: string;
        level: string;
      }[]
    ).find((s) => s.scopeId === SCOPE)?.level;
  const approve = (id: string) =>
    gw.call('POST', `/writebacks/${id}/approve`, {
      as: 'olivia:operator',
      body: { meaning: 'approved', password: TEST_PASSWORD },
    });

  beforeAll(async () => {
    db = await createTestDatabase(kind, { name: 'autonomy-pilot' });
    for (let i = 1; i <= 9; i++)
      fake.set({ object: { type: 'recipe-parameter', id: `CNC-0${i}/OP20` }, parameter: 'FeedRate' }, 1200);
    gw = await createPilotApp(db, fake, SITE_AUTONOMY, START);
  });
  afterAll(async () => {
    await gw?.close();
    await db?.cleanup();
  });

  const shadowIds: string[] = [];

  it('starts in shadow: decides and audits with the level, writes nothing', async () => {
    const first = await submit('CNC-01/OP20', 1180);
    expect(first).toMatchObject({
      state: 'shadow',
      reasonCode: 'SHADOW_MODE',
      lineage: { autonomyLevel: 'shadow', autonomyScope: SCOPE },
    });
    shadowIds.push(first.commandId);
    expect(fake.ledger).toHaveLength(0);
    const audit = (await (await gw.call('GET', `/audit?inferenceId=inf-1`, { as: 'vera:viewer' })).json()) as AuditPage;
    expect(audit.records.map((r) => [r.outcome, r.lineage.autonomyLevel])).toEqual([['shadow', 'shadow']]);
  });

  it('refuses a promotion before the thresholds are met, with a stable code and the missing figures', async () => {
    const res = await promote('supervised');
    expect(res.status).toBe(409);
    const body = (await res.json()) as { code: string; issues: { code: string }[] };
    expect(body.code).toBe('PROMOTION_THRESHOLDS_NOT_MET');
    expect(body.issues.map((i) => i.code)).toEqual(['SHADOW_DECISIONS', 'REVIEWED', 'AGREEMENT']);
    expect(await level()).toBe('shadow');
  });

  it('records operator agreement on shadow decisions', async () => {
    for (let i = 0; i < 9; i++) shadowIds.push((await submit('CNC-01/OP20', 1170 - i)).commandId);
    for (const [index, id] of shadowIds.entries()) {
      const verdict = index === 4 ? 'wrong' : 'right';
      const res = await gw.call('POST', `/autonomy/decisions/${id}/feedback`, {
        as: 'olivia:operator',
        body: { verdict, note: index === 4 ? 'too aggressive for this alloy' : undefined },
      });
      expect(res.status).toBe(200);
    }
    const { evidence: figures, unmet } = await evidence();
    expect(figures).toMatchObject({ shadowDecisions: 10, agreed: 9, disagreed: 1, agreement: 0.9 });
    expect(unmet).toEqual([]);
  });

  it('promotes to supervised only with the permission, the evidence the signer saw and a valid signature', async () => {
    expect((await promote('supervised', 'olivia:operator')).status).toBe(403);
    const stale = await gw.call('POST', `${SCOPE_PATH}/promotion`, {
      as: 'quinn:qa',
      body: { toLevel: 'supervised', evidenceHash: 'a'.repeat(64), password: TEST_PASSWORD },
    });
    expect(((await stale.json()) as { code: string }).code).toBe('EVIDENCE_CHANGED');
    const wrongPassword = await promote('supervised', 'quinn:qa', { password: 'nope' });
    expect(wrongPassword.status).toBe(401);
    expect(((await (await promote('autonomous')).json()) as { code: string }).code).toBe('PROMOTION_NOT_NEXT_LEVEL');

    const { evidenceHash } = await evidence();
    const res = await promote('supervised', 'quinn:qa', { comment: 'pilot week 1 reviewed' });
    expect(res.status).toBe(200);
    expect(await level()).toBe('supervised');
    expect(gw.signatures.signed.at(-1)).toEqual({ username: 'quinn', recordHash: evidenceHash });
    const changes = (await (await gw.call('GET', `${SCOPE_PATH}/changes`, { as: 'vera:viewer' })).json()) as {
      kind: string;
      evidenceHash?: string;
      signature?: { recordHash: string };
      evidence?: unknown;
    }[];
    expect(changes[0]).toMatchObject({ kind: 'promoted', evidenceHash, signature: { recordHash: evidenceHash } });
    expect(changes[0].evidence).toMatchObject({ evidence: { shadowDecisions: 10 } });
  });

  it('in supervised, every write waits for a signature; autonomous needs the supervised evidence first', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const pending = await submit('CNC-01/OP20', 1160 - i);
      expect(pending).toMatchObject({
        state: 'pending-approval',
        approval: { rule: `autonomy:${SCOPE}` },
        lineage: { autonomyLevel: 'supervised' },
      });
      if (i === 0) {
        const early = await promote('autonomous');
        expect(((await early.json()) as { code: string }).code).toBe('PROMOTION_THRESHOLDS_NOT_MET');
      }
      expect((await approve(pending.commandId)).status).toBe(200);
      ids.push(pending.commandId);
      await applied(pending.commandId);
    }
    expect(
      fake.appliedTo({ object: { type: 'recipe-parameter', id: 'CNC-01/OP20' }, parameter: 'FeedRate' }),
    ).toHaveLength(3);
    const res = await promote('autonomous');
    expect(res.status).toBe(200);
    expect(await level()).toBe('autonomous');
  });

  it('demotes itself to supervised when operators override three of five autonomous writes', async () => {
    const writes: WriteBackOutcome[] = [];
    for (let i = 2; i <= 6; i++) {
      const accepted = await submit(`CNC-0${i}/OP20`, 1150);
      expect(accepted.lineage.autonomyLevel).toBe('autonomous');
      writes.push(await applied(accepted.commandId));
    }
    for (const write of writes.slice(0, 3)) fake.operatorSet({ object: write.object, parameter: 'FeedRate' }, 1210);
    // The override watch reads back the written values and audits each override; the third one demotes.
    await until(level, (l) => l === 'supervised', 60_000);
    const changes = (await (await gw.call('GET', `${SCOPE_PATH}/changes`, { as: 'vera:viewer' })).json()) as {
      kind: string;
      actor: string;
      figures?: { trigger: unknown };
    }[];
    expect(changes[0]).toMatchObject({
      kind: 'demoted',
      actor: 'gateway:autonomy',
      figures: { trigger: { rule: 'override-rate', count: 3, of: 5, rate: 0.6 } },
    });
    // The level change and its audit record are two commits: wait for the record, not only the level.
    const demoted = await until(
      async () => (await (await gw.call('GET', '/audit?outcome=autonomy', { as: 'vera:viewer' })).json()) as AuditPage,
      (page) => page.records.some((r) => r.action === 'autonomy-demote'),
      10_000,
    );
    expect(
      demoted.records.some((r) => r.action === 'autonomy-demote' && /override-rate 3\/5/.test(r.message ?? '')),
    ).toBe(true);
    const metrics = await (await gw.call('GET', '/metrics')).text();
    expect(metrics).toContain(`loopgate_autonomy_demoted{scope="${SCOPE}"} 1`);
    expect(metrics).toMatch(
      new RegExp(`loopgate_autonomy_level\\{scope="${SCOPE.replace(/[|*]/g, '\\$&')}"[^}]*\\} 1`),
    );
  });

  it('reverts a write whose KPI turned adverse after it, and counts it', async () => {
    const address = { object: { type: 'recipe-parameter' as const, id: 'CNC-07/OP20' }, parameter: 'FeedRate' };
    const pending = await submit('CNC-07/OP20', 1100);
    expect(pending.state).toBe('pending-approval');
    expect((await approve(pending.commandId)).status).toBe(200);
    const write = await applied(pending.commandId);
    const at = Date.parse(write.timings.appliedAt as string);
    for (const [offset, value] of [
      [-40, 70],
      [-20, 71],
      [20, 78],
      [40, 79],
    ] as const) {
      const res = await gw.call('POST', '/autonomy/kpi-samples', {
        as: 'token:line1',
        body: { kpi: 'spindleLoad:CNC-07/OP20', value, at: new Date(at + offset * 1000).toISOString() },
      });
      expect(res.status).toBe(204);
    }
    // Before the window has passed nothing is judged.
    await gw.autonomy.tick();
    expect(
      (
        (await (await gw.call('GET', `/autonomy/decisions/${pending.commandId}`, { as: 'vera:viewer' })).json()) as {
          effect: unknown;
        }
      ).effect,
    ).toBeNull();
    gw.clock.advance(61_000);
    await gw.autonomy.tick();
    const decision = (await (
      await gw.call('GET', `/autonomy/decisions/${pending.commandId}`, { as: 'vera:viewer' })
    ).json()) as {
      effect: { verdict: string; before: { mean: number }; after: { mean: number } };
      revertCommandId: string;
    };
    expect(decision.effect).toMatchObject({ verdict: 'adverse', before: { mean: 70.5 }, after: { mean: 78.5 } });
    await until(
      () => outcome(decision.revertCommandId),
      (o) => o.state === 'reverted',
    );
    expect(fake.get(address)).toBe(1200);
    const reverted = await outcome(pending.commandId);
    expect(reverted.revertedBy).toBe(decision.revertCommandId);
    await until(
      async () =>
        (await (await gw.call('GET', `/autonomy/decisions/${pending.commandId}`, { as: 'vera:viewer' })).json()) as {
          reverted: boolean;
        },
      (d) => d.reverted,
    );
    const recent = (await (
      await gw.call('GET', `/autonomy/decisions?scope=${encodeURIComponent(SCOPE)}&limit=5`, { as: 'vera:viewer' })
    ).json()) as { commandId: string; reverted: boolean; effect: { verdict: string } | null }[];
    expect(recent).toHaveLength(5);
    expect(recent.find((d) => d.commandId === pending.commandId)).toMatchObject({
      reverted: true,
      effect: { verdict: 'adverse' },
    });

    const cards = (await (await gw.call('GET', '/autonomy/scorecards?by=scope', { as: 'vera:viewer' })).json()) as {
      key: string;
      proposals: number;
      shadow: number;
      applied: number;
      approved: number;
      overridden: number;
      reverted: number;
      effects: Record<string, number>;
      feedbackWrong: number;
      weeks: unknown[];
    }[];
    expect(cards).toHaveLength(1);
    expect(cards[0]).toMatchObject({
      key: SCOPE,
      proposals: 19,
      shadow: 10,
      applied: 9,
      approved: 4,
      overridden: 3,
      reverted: 1,
      feedbackWrong: 1,
      effects: { adverse: 1 },
    });
    expect(cards[0].weeks).toHaveLength(1);
  });

  it('exports the pilot as training data: NDJSON and Parquet read back by an independent reader', async () => {
    const ndjson = await (
      await gw.call('GET', '/autonomy/training-data?format=ndjson&model=tool-wear', { as: 'vera:viewer' })
    ).text();
    const lines = ndjson
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(19);
    const res = await gw.call('GET', '/autonomy/training-data?format=parquet&model=tool-wear', { as: 'vera:viewer' });
    expect(res.headers.get('content-type')).toBe('application/vnd.apache.parquet');
    const bytes = await res.arrayBuffer();
    const rows = (await parquetReadObjects({ file: bytes })) as Record<string, unknown>[];
    expect(rows).toHaveLength(19);
    expect(rows.map((r) => r.command_id)).toEqual(lines.map((l) => l.command_id));
    const adverse = rows.find((r) => r.effect_verdict === 'adverse');
    expect(adverse).toMatchObject({
      model_id: 'tool-wear',
      model_version: '3.1',
      rule_set_version: 2,
      reverted: true,
      state: 'applied',
      approval: 'approved',
    });
    expect(JSON.parse(adverse?.effect_json as string)).toMatchObject({
      verdict: 'adverse',
      check: { kpi: 'spindleLoad:CNC-07/OP20' },
    });
    expect(rows.filter((r) => r.feedback === 'wrong').map((r) => r.feedback_note)).toEqual([
      'too aggressive for this alloy',
    ]);
    expect(rows.filter((r) => r.overridden === 1)).toHaveLength(3);

    // A second reader shares no code with the writer: Apache Arrow's Rust Parquet implementation
    // (parquet-wasm), read into Apache Arrow JS. Same rows, same values, the declared column types.
    const arrow = tableFromIPC(readParquet(new Uint8Array(bytes)).intoIPCStream());
    expect(arrow.numRows).toBe(19);
    const types = Object.fromEntries(arrow.schema.fields.map((f) => [f.name, String(f.type)]));
    expect(types).toMatchObject({
      command_id: 'Utf8',
      rule_set_version: 'Int32',
      overridden: 'Int32',
      reverted: 'Bool',
    });
    const arrowRows = arrow.toArray().map((row: { toJSON(): Record<string, unknown> }) => row.toJSON());
    expect(arrowRows).toEqual(rows);
    expect((await gw.call('GET', '/autonomy/training-data?format=parquet', { as: 'olivia' })).status).toBe(403);
  });

  it('refuses decisions made on Bad, Uncertain, stale or clock-skewed inputs, each with its reason code', async () => {
    const now = gw.clock.now();
    const withInputs = async (inputs: unknown[]) => {
      const body = { ...request('CNC-08/OP20', 1190), lineage: { ...request('CNC-08/OP20', 1190).lineage, inputs } };
      const res = await gw.call('POST', '/writebacks', { as: 'token:line1', body });
      expect(res.status).toBe(202);
      return (await res.json()) as WriteBackOutcome;
    };
    const load = 'ns=2;s=CNC-08.SpindleLoad';
    const cases: [unknown, string][] = [
      [{ name: load, statusCode: 0x80340000, sourceTime: new Date(now).toISOString() }, 'INPUT_BAD'],
      [{ name: load, statusCode: 0x40920000, sourceTime: new Date(now).toISOString() }, 'INPUT_UNCERTAIN'],
      [{ name: load, statusCode: 0, sourceTime: new Date(now - 30_000).toISOString() }, 'INPUT_STALE'],
      [{ name: load, statusCode: 0, sourceTime: new Date(now + 60_000).toISOString() }, 'CLOCK_SKEW'],
    ];
    for (const [input, code] of cases)
      expect(await withInputs([input])).toMatchObject({ state: 'rejected', reasonCode: code });
    // The Targets page's input clocks: the latest reading, 60 s ahead, past the allowed skew.
    const clocks = (await (await gw.call('GET', '/autonomy/inputs', { as: 'vera:viewer' })).json()) as {
      name: string;
      skewSeconds: number;
      skewed: boolean;
    }[];
    expect(clocks.find((c) => c.name === load)).toMatchObject({ skewSeconds: 60, skewed: true, quality: 'good' });
    // The alert series, judged against the site's allowed skew (5 s here), not a number in a dashboard.
    expect(await (await gw.call('GET', '/metrics')).text()).toContain(`loopgate_input_clock_skewed{input="${load}"} 1`);
    const good = await withInputs([{ name: load, statusCode: 0, sourceTime: new Date(now - 1_000).toISOString() }]);
    expect(good).toMatchObject({ state: 'pending-approval', lineage: { inputs: [{ name: load, statusCode: 0 }] } });
    const metrics = await (await gw.call('GET', '/metrics')).text();
    expect(metrics).toContain(`loopgate_input_clock_skew_seconds{input="${load}"} -1`);
    expect(metrics).toContain(`loopgate_input_clock_skewed{input="${load}"} 0`);
    const bad = await gw.call('POST', '/writebacks', {
      as: 'token:line1',
      body: {
        ...request('CNC-08/OP20', 1190),
        lineage: { modelId: 'tool-wear', inputs: [{ name: load, statusCode: -1 }] },
      },
    });
    expect(bad.status).toBe(400);
  });

  it('forgets KPI samples a day old, and keeps what an effect not yet judged still needs', async () => {
    const repository = gw.app.get(AutonomyRepository);
    const kpi = 'prune-test';
    const now = gw.clock.now();
    const report = (hoursAgo: number) =>
      gw.call('POST', '/autonomy/kpi-samples', {
        as: 'token:line1',
        body: { kpi, value: hoursAgo, at: new Date(now - hoursAgo * 3600_000).toISOString() },
      });
    for (const hoursAgo of [30, 25, 2]) expect((await report(hoursAgo)).status).toBe(204);
    // The sweep prunes at most once an hour: the next one is due after this.
    gw.clock.advance(3600_000);
    await gw.autonomy.tick();
    const left = await repository.samplesOf(kpi, new Date(0).toISOString(), new Date(now).toISOString());
    expect(left.map((s) => Number(s.value))).toEqual([2]);
  });
});
