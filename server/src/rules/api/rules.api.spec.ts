import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type {
  ApiErrorBody,
  EvaluateBatchResponse,
  EvaluationResult,
  OutcomeStreamMessage,
  ReplayReport,
  RuleSetDraft,
  RuleSetFile,
  RuleSetImportResult,
  RuleSetSummary,
  RuleSetValidation,
  RuleSetVersion,
} from '@loopgate/contracts';
import { serializeRuleSet, type RuleSetDiff } from '@loopgate/rules';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutcomeStream } from '../../gateway/services/outcome-stream';
import { TEST_PASSWORD } from '../../gateway/testing/test-auth';
import { versionRecordHash } from '../domain/record-hash';
import { createRulesTestApp, type RulesTestApp } from '../testing/rules-test-app';

const ERIN = 'erin:engineer';
const EDGAR = 'edgar:engineer';
const VERA = 'vera:viewer';
const LINE1 = 'token:line1';
const SETS = path.resolve(__dirname, '../../../../rules/sets');

const toolWearText = fs.readFileSync(path.join(SETS, 'tool-wear-feed-compensation.json'), 'utf8');
const toolWear = (): RuleSetFile => JSON.parse(toolWearText) as RuleSetFile;
/** The same rule set with the wear threshold changed, as an engineer would edit it. */
function withWearThreshold(value: number): RuleSetFile {
  const file = toolWear();
  (file.sharedConditions!['tool-wearing'] as { all: { value: unknown }[] }).all[0].value = value;
  return file;
}

const ID = 'tool-wear-feed-compensation';
const worn = {
  machineId: 'CNC-07',
  operation: 'OP20',
  spindleLoad: 91,
  toolWearScore: 0.72,
  feedRate: 1200,
  compensatedFeedRate: 850,
};

let gw: RulesTestApp;

beforeAll(async () => {
  // The one configured target cannot create maintenance work orders.
  gw = await createRulesTestApp(['set-parameter', 'hold-lot', 'reroute-work-order']);
});

afterAll(async () => {
  await gw?.close();
});

async function call<T>(method: string, apiPath: string, as: string, body?: unknown, status = 200): Promise<T> {
  const response = await gw.call(method, apiPath, { as, body });
  const text = await response.text();
  expect(response.status, `${method} ${apiPath}: ${text}`).toBe(status);
  return (text ? JSON.parse(text) : undefined) as T;
}

async function rowCounts(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of ['rule_set_versions', 'rule_set_drafts', 'rule_decisions', 'audit_records']) {
    const [row] = await gw.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`);
    counts[table] = Number(row.n);
  }
  return counts;
}

/** A rule set version submitted by Erin and approved by Edgar. */
async function publish(file: RuleSetFile): Promise<RuleSetVersion> {
  const created = await call<RuleSetVersion>('POST', `/rulesets/${file.id}/versions`, ERIN, { content: file }, 201);
  return call<RuleSetVersion>('POST', `/rulesets/${file.id}/versions/${created.version}/approve`, EDGAR, {
    password: TEST_PASSWORD,
    meaning: 'approved',
  });
}

describe('POST /rulesets/{id}/validate', () => {
  it('answers valid for a sound file', async () => {
    const file = withWearThreshold(0.6);
    file.rules = file.rules.filter((r) => r.name !== 'request-tool-change');
    expect(await call<RuleSetValidation>('POST', `/rulesets/${ID}/validate`, VERA, { content: file })).toEqual({
      valid: true,
      issues: [],
    });
  });

  it('returns issues with stable codes and paths inside the file', async () => {
    const file = toolWear();
    (file.rules[0].conditions as { all: { fact?: string }[] }).all[1].fact = 'toolWear';
    const result = await call<RuleSetValidation>('POST', `/rulesets/${ID}/validate`, VERA, { content: file });
    expect(result.valid).toBe(false);
    expect(result.issues.map((i) => [i.code, i.path])).toEqual([
      ['UNKNOWN_FACT', '$.rules[0].conditions.all[1].fact'],
      // No configured target creates maintenance work orders.
      ['UNSUPPORTED_ACTION', '$.rules[1].event.params.action'],
    ]);
  });

  it('reports a file of another rule set', async () => {
    const result = await call<RuleSetValidation>('POST', `/rulesets/other-set/validate`, VERA, { content: toolWear() });
    expect(result.issues).toContainEqual(expect.objectContaining({ code: 'ID_MISMATCH', path: '$.id' }));
  });

  it('refuses a body without content', async () => {
    const error = await call<ApiErrorBody>('POST', `/rulesets/${ID}/validate`, VERA, { file: {} }, 400);
    expect(error.code).toBe('VALIDATION_FAILED');
  });
});

describe('drafts', () => {
  it('saves a draft even when it is not valid yet, with its issues', async () => {
    const content = { schemaVersion: 1, id: 'lot-hold-draft', name: 'Lot hold' };
    const draft = await call<RuleSetDraft>('PUT', `/rulesets/lot-hold-draft/draft`, ERIN, { content });
    expect(draft).toMatchObject({ ruleSetId: 'lot-hold-draft', updatedBy: 'erin', content });
    expect(draft.issues.map((i) => [i.code, i.path])).toEqual([
      ['REQUIRED', '$.facts'],
      ['REQUIRED', '$.rules'],
    ]);
    expect(await call<RuleSetDraft>('GET', `/rulesets/lot-hold-draft/draft`, VERA)).toEqual(draft);
    expect(await call<RuleSetSummary>('GET', `/rulesets/lot-hold-draft`, VERA)).toMatchObject({ hasDraft: true });
  });

  it('refuses a draft of another rule set', async () => {
    const error = await call<ApiErrorBody>('PUT', `/rulesets/x/draft`, ERIN, { content: { id: 'y' } }, 400);
    expect(error.code).toBe('ID_MISMATCH');
  });

  it('deletes a draft', async () => {
    await call('PUT', `/rulesets/scratch/draft`, ERIN, { content: { id: 'scratch' } });
    await call('DELETE', `/rulesets/scratch/draft`, ERIN, undefined, 204);
    expect((await call<ApiErrorBody>('GET', `/rulesets/scratch/draft`, VERA, undefined, 404)).code).toBe('NOT_FOUND');
  });

  it('lets only editors save drafts', async () => {
    await call('PUT', `/rulesets/x/draft`, VERA, { content: { id: 'x' } }, 403);
    await call('PUT', `/rulesets/x/draft`, undefined as unknown as string, { content: { id: 'x' } }, 401);
  });
});

describe('versions and the two-person rule', () => {
  const RS = 'bearing-failure-maintenance';
  const bearing = (): RuleSetFile => {
    const file = JSON.parse(fs.readFileSync(path.join(SETS, `${RS}.json`), 'utf8')) as RuleSetFile;
    // The test target cannot create maintenance work orders: ask Opcenter for a lot hold instead.
    file.rules[0].event.params = {
      ...file.rules[0].event.params,
      action: 'hold-lot',
      targetKind: 'opcenter',
      objectType: 'material-lot',
    };
    return file;
  };
  let v1: RuleSetVersion;

  beforeAll(async () => {
    v1 = await call<RuleSetVersion>(
      'POST',
      `/rulesets/${RS}/versions`,
      ERIN,
      { content: bearing(), comment: 'first' },
      201,
    );
  });

  it('stores a production version as pending approval, with checksum, author and time', async () => {
    expect(v1).toMatchObject({
      ruleSetId: RS,
      version: 1,
      status: 'pending-approval',
      environment: 'production',
      author: 'erin',
      comment: 'first',
    });
    expect(v1.checksum).toBe(createHash('sha256').update(serializeRuleSet(bearing())).digest('hex'));
    expect(Date.parse(v1.createdAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('refuses an invalid version with its issues, storing nothing', async () => {
    const before = await rowCounts();
    const file = bearing();
    file.rules[0].event.params = {
      ...file.rules[0].event.params,
      action: 'create-maintenance-work-order',
      targetKind: 'cmms',
      objectType: 'equipment',
    };
    const error = await call<ApiErrorBody>('POST', `/rulesets/${RS}/versions`, ERIN, { content: file }, 400);
    expect(error).toMatchObject({
      code: 'VALIDATION_FAILED',
      issues: [{ code: 'UNSUPPORTED_ACTION', path: '$.rules[0].event.params.action' }],
    });
    expect(await rowCounts()).toEqual(before);
  });

  it('refuses the same content twice', async () => {
    expect((await call<ApiErrorBody>('POST', `/rulesets/${RS}/versions`, ERIN, { content: bearing() }, 409)).code).toBe(
      'VERSION_EXISTS',
    );
  });

  it('does not let the author approve their own version', async () => {
    const error = await call<ApiErrorBody>(
      'POST',
      `/rulesets/${RS}/versions/1/approve`,
      ERIN,
      { password: TEST_PASSWORD, meaning: 'approved' },
      403,
    );
    expect(error.code).toBe('SAME_AUTHOR');
  });

  it('refuses a wrong password and leaves the version pending', async () => {
    const error = await call<ApiErrorBody>(
      'POST',
      `/rulesets/${RS}/versions/1/approve`,
      EDGAR,
      { password: 'guess', meaning: 'approved' },
      401,
    );
    expect(error.code).toBe('SIGNATURE_INVALID');
    expect((await call<RuleSetVersion>('GET', `/rulesets/${RS}/versions/1`, VERA)).status).toBe('pending-approval');
  });

  it('refuses a signature whose meaning is not approval', async () => {
    expect(
      (
        await call<ApiErrorBody>(
          'POST',
          `/rulesets/${RS}/versions/1/approve`,
          EDGAR,
          { password: TEST_PASSWORD, meaning: 'rejected' },
          400,
        )
      ).code,
    ).toBe('MEANING_MISMATCH');
  });

  it('has no latest version until one is approved', async () => {
    expect((await call<ApiErrorBody>('GET', `/rulesets/${RS}/versions/latest`, LINE1, undefined, 404)).code).toBe(
      'NOT_FOUND',
    );
  });

  it('publishes on a second person’s signature, bound to the version, and audits it', async () => {
    const approved = await call<RuleSetVersion>('POST', `/rulesets/${RS}/versions/1/approve`, EDGAR, {
      password: TEST_PASSWORD,
      meaning: 'approved',
      comment: 'checked against the CMMS',
    });
    expect(approved).toMatchObject({
      status: 'published',
      approvedBy: 'edgar',
      signature: { signer: 'edgar', meaning: 'approved' },
    });
    expect(approved.signature!.recordHash).toBe(versionRecordHash({ ...v1 }));
    const [audit] = await gw.dataSource.query(
      `SELECT actor, outcome, action, message FROM audit_records WHERE action = 'rule-set-approve'`,
    );
    expect(audit).toMatchObject({ actor: 'edgar', outcome: 'approved' });
    expect(audit.message).toContain('checked against the CMMS');
  });

  it('refuses to decide a version twice', async () => {
    expect(
      (
        await call<ApiErrorBody>(
          'POST',
          `/rulesets/${RS}/versions/1/approve`,
          EDGAR,
          { password: TEST_PASSWORD, meaning: 'approved' },
          409,
        )
      ).code,
    ).toBe('NOT_PENDING');
  });

  it('resolves latest to the newest published version, not a pending one', async () => {
    const file = bearing();
    file.rules[0].priority = 3;
    const v2 = await call<RuleSetVersion>('POST', `/rulesets/${RS}/versions`, ERIN, { content: file }, 201);
    expect(v2.version).toBe(2);
    expect((await call<RuleSetVersion>('GET', `/rulesets/${RS}/versions/latest`, LINE1)).version).toBe(1);
    expect(await call<RuleSetSummary>('GET', `/rulesets/${RS}`, VERA)).toMatchObject({
      latestVersion: 2,
      publishedVersion: 1,
      pendingVersions: [2],
    });
  });

  it('lets a version be rejected with a signature, by its author too', async () => {
    const rejected = await call<RuleSetVersion>('POST', `/rulesets/${RS}/versions/2/reject`, ERIN, {
      password: TEST_PASSWORD,
      meaning: 'rejected',
    });
    expect(rejected).toMatchObject({ status: 'rejected', rejectedBy: 'erin', signature: { meaning: 'rejected' } });
  });

  it('publishes a test version at once, without a second person', async () => {
    const file = bearing();
    file.description = 'trial on the test line';
    const version = await call<RuleSetVersion>(
      'POST',
      `/rulesets/${RS}/versions`,
      ERIN,
      { content: file, environment: 'test' },
      201,
    );
    expect(version).toMatchObject({ status: 'published', environment: 'test' });
    expect((await call<RuleSetVersion>('GET', `/rulesets/${RS}/versions/latest?environment=test`, LINE1)).version).toBe(
      version.version,
    );
    expect((await call<RuleSetVersion>('GET', `/rulesets/${RS}/versions/latest`, LINE1)).version).toBe(1);
  });

  it('lists all versions, oldest first, with their content', async () => {
    const versions = await call<RuleSetVersion[]>('GET', `/rulesets/${RS}/versions`, LINE1);
    expect(versions.map((v) => [v.version, v.status])).toEqual([
      [1, 'published'],
      [2, 'rejected'],
      [3, 'published'],
    ]);
    expect(versions[0].content.id).toBe(RS);
  });

  it('answers 404 for an unknown rule set and 400 for a bad version', async () => {
    expect((await call<ApiErrorBody>('GET', `/rulesets/nope/versions`, VERA, undefined, 404)).code).toBe('NOT_FOUND');
    expect((await call<ApiErrorBody>('GET', `/rulesets/${RS}/versions/0`, VERA, undefined, 400)).code).toBe(
      'INVALID_VERSION',
    );
    expect((await call<ApiErrorBody>('GET', `/rulesets/bad%20id/versions`, VERA, undefined, 400)).code).toBe(
      'INVALID_ID',
    );
  });

  it('numbers concurrent submissions one after another', async () => {
    const submissions = [1, 2, 3, 4, 5].map((n) => {
      const file = bearing();
      file.description = `variant ${n}`;
      return call<RuleSetVersion>('POST', `/rulesets/${RS}/versions`, ERIN, { content: file }, 201);
    });
    const numbers = (await Promise.all(submissions)).map((v) => v.version).sort((a, b) => a - b);
    expect(numbers).toEqual([4, 5, 6, 7, 8]);
  });

  it('submits the saved draft', async () => {
    const file = bearing();
    file.rules[0].name = 'open-bearing-order';
    await call('PUT', `/rulesets/${RS}/draft`, ERIN, { content: file });
    const version = await call<RuleSetVersion>('POST', `/rulesets/${RS}/versions`, ERIN, { fromDraft: true }, 201);
    expect(version.content.rules[0].name).toBe('open-bearing-order');
  });
});

describe('rollback and diff', () => {
  const RS = 'bottleneck-rerouting';
  let v1: RuleSetVersion;
  let v2: RuleSetVersion;

  beforeAll(async () => {
    const file = JSON.parse(fs.readFileSync(path.join(SETS, `${RS}.json`), 'utf8')) as RuleSetFile;
    v1 = await publish(file);
    (file.rules[0].conditions as { all: { value: unknown }[] }).all[1].value = 12;
    v2 = await publish(file);
  });

  it('shows what changed between two versions, with paths', async () => {
    const diff = await call<RuleSetDiff>('GET', `/rulesets/${RS}/diff?from=${v1.version}&to=${v2.version}`, VERA);
    expect(diff.changes.filter((c) => c.subject === 'condition')).toEqual([
      expect.objectContaining({
        kind: 'changed',
        beforePath: '$.rules[0].conditions.all[1]',
        after: expect.objectContaining({ value: 12 }),
      }),
    ]);
  });

  it('republishes an earlier version as the newest, after approval', async () => {
    const rollback = await call<RuleSetVersion>(
      'POST',
      `/rulesets/${RS}/versions/${v1.version}/rollback`,
      ERIN,
      {},
      201,
    );
    expect(rollback).toMatchObject({ version: 3, rollbackOf: 1, status: 'pending-approval', checksum: v1.checksum });
    await call('POST', `/rulesets/${RS}/versions/3/approve`, EDGAR, { password: TEST_PASSWORD, meaning: 'approved' });
    const live = await call<RuleSetVersion>('GET', `/rulesets/${RS}/versions/latest`, LINE1);
    expect(live).toMatchObject({ version: 3, content: v1.content });
    expect((await call<RuleSetDiff>('GET', `/rulesets/${RS}/diff?from=1&to=live`, VERA)).identical).toBe(true);
  });

  it('refuses a rollback to what already runs', async () => {
    expect((await call<ApiErrorBody>('POST', `/rulesets/${RS}/versions/1/rollback`, ERIN, {}, 409)).code).toBe(
      'ALREADY_LIVE',
    );
  });

  it('refuses to approve a version older than the live one', async () => {
    const file = { ...v1.content, description: 'an old proposal' };
    const stale = await call<RuleSetVersion>('POST', `/rulesets/${RS}/versions`, ERIN, { content: file }, 201);
    await publish({ ...v1.content, description: 'a newer one' });
    const error = await call<ApiErrorBody>(
      'POST',
      `/rulesets/${RS}/versions/${stale.version}/approve`,
      EDGAR,
      { password: TEST_PASSWORD, meaning: 'approved' },
      409,
    );
    expect(error.code).toBe('SUPERSEDED');
  });
});

describe('rules/sets import and export', () => {
  it('imports files as drafts by default', async () => {
    const result = await call<RuleSetImportResult>(
      'POST',
      '/rulesets/import',
      ERIN,
      {
        files: [
          { name: 'incoming-lot-hold.json', text: fs.readFileSync(path.join(SETS, 'incoming-lot-hold.json'), 'utf8') },
        ],
      },
      201,
    );
    expect(result.files).toEqual([
      { name: 'incoming-lot-hold.json', ruleSetId: 'incoming-lot-hold', result: 'draft-saved' },
    ]);
    const draft = await call<RuleSetDraft>('GET', '/rulesets/incoming-lot-hold/draft', VERA);
    expect((draft.content as { id?: string }).id).toBe('incoming-lot-hold');
  });

  it('imports files as versions, reports unchanged ones and refuses misnamed or broken files one by one', async () => {
    const text = fs.readFileSync(path.join(SETS, 'incoming-lot-hold.json'), 'utf8');
    const body = { as: 'version', files: [{ text }, { text }, { name: 'wrong.json', text }, { text: '{ nope' }] };
    const result = await call<RuleSetImportResult>('POST', '/rulesets/import', ERIN, body, 201);
    expect(result.files.map((f) => [f.result, f.version ?? f.issues?.[0].code])).toEqual([
      ['version-created', 1],
      ['unchanged', 1],
      ['invalid', 'FILE_NAME_MISMATCH'],
      ['invalid', 'INVALID_JSON'],
    ]);
  });

  it('exports a version byte for byte as rules/sets keeps it', async () => {
    const response = await gw.call('GET', `/rulesets/incoming-lot-hold/versions/1/file`, { as: VERA });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toBe(fs.readFileSync(path.join(SETS, 'incoming-lot-hold.json'), 'utf8'));
    expect(response.headers.get('x-loopgate-checksum')).toBe(createHash('sha256').update(text).digest('hex'));
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="incoming-lot-hold.json"');
  });
});

describe('evaluate', () => {
  let version: number;

  beforeAll(async () => {
    const file = toolWear();
    file.rules = file.rules.filter((r) => r.name !== 'request-tool-change');
    version = (await publish(file)).version;
  });

  it('returns fired events and per-condition results', async () => {
    const result = await call<EvaluationResult>('POST', `/rulesets/${ID}/versions/${version}/evaluate`, VERA, {
      facts: worn,
    });
    expect(result.events).toEqual([
      {
        type: 'writeback',
        params: expect.objectContaining({ action: 'set-parameter', parameter: 'FeedRate', value: 850 }),
      },
    ]);
    expect(result.results[0].conditions).toContainEqual({
      path: '$.conditions.all[2]',
      fact: 'compensatedFeedRate',
      operator: 'lessThan',
      value: 1200,
      factValue: 850,
      result: true,
    });
  });

  it('evaluates the latest published version', async () => {
    const result = await call<EvaluationResult>('POST', `/rulesets/${ID}/versions/latest/evaluate`, LINE1, {
      facts: { ...worn, toolWearScore: 0.1 },
    });
    expect(result.events).toEqual([]);
    expect(result.failureEvents).toHaveLength(1);
  });

  it('answers a missing fact with 400 UNDEFINED_FACT and its path', async () => {
    const { spindleLoad: _omitted, ...facts } = worn;
    const error = await call<ApiErrorBody>(
      'POST',
      `/rulesets/${ID}/versions/${version}/evaluate`,
      VERA,
      { facts },
      400,
    );
    expect(error).toMatchObject({ code: 'UNDEFINED_FACT', issues: [{ path: '$.facts.spindleLoad' }] });
  });

  it('evaluates a batch, one result or error per set of facts', async () => {
    const { spindleLoad: _omitted, ...missing } = worn;
    const batch = await call<EvaluateBatchResponse>(
      'POST',
      `/rulesets/${ID}/versions/${version}/evaluate/batch`,
      VERA,
      { facts: [worn, missing] },
    );
    expect(batch.results.map((r) => (r.ok ? r.result.events.length : r.error.code))).toEqual([1, 'UNDEFINED_FACT']);
  });

  it('answers 404 for a version that does not exist', async () => {
    await call('POST', `/rulesets/${ID}/versions/99/evaluate`, VERA, { facts: worn }, 404);
  });
});

describe('decisions and what-if replay', () => {
  const RS = 'replay-cell';
  const ruleSet = (threshold: number): RuleSetFile => ({
    schemaVersion: 1,
    id: RS,
    name: 'Replay cell',
    facts: [
      { name: 'spindleLoad', type: 'number' },
      { name: 'machineId', type: 'string' },
    ],
    rules: [
      {
        name: 'reduce-feed',
        conditions: { all: [{ fact: 'spindleLoad', operator: 'greaterThan', value: threshold }] },
        event: {
          type: 'writeback',
          params: {
            action: 'set-parameter',
            targetKind: 'opcenter',
            parameter: 'FeedRate',
            value: 900,
            machineId: { fact: 'machineId' },
          },
        },
      },
    ],
  });
  const loads = [70, 82, 88, 95];
  let live: RuleSetVersion;

  beforeAll(async () => {
    live = await publish(ruleSet(85));
    const base = Date.parse('2026-11-22T08:00:00.000Z');
    for (const [i, spindleLoad] of loads.entries()) {
      const firedEvents =
        spindleLoad > 85
          ? [
              {
                type: 'writeback',
                params: {
                  action: 'set-parameter',
                  targetKind: 'opcenter',
                  parameter: 'FeedRate',
                  value: 900,
                  machineId: 'CNC-07',
                },
              },
            ]
          : [];
      await call(
        'POST',
        '/decisions',
        LINE1,
        {
          ruleSetId: RS,
          ruleSetVersion: live.version,
          time: new Date(base + i * 60_000).toISOString(),
          facts: { spindleLoad, machineId: 'CNC-07' },
          firedEvents,
          inferenceId: `inf-${i}`,
        },
        201,
      );
    }
  });

  it('announces a decision that fired on the outcome stream', async () => {
    const messages: OutcomeStreamMessage[] = [];
    const subscription = gw.app
      .get(OutcomeStream)
      .messages()
      .subscribe((m) => messages.push(m));
    const decision = {
      ruleSetId: RS,
      ruleSetVersion: live.version,
      time: '2026-11-21T08:00:00.000Z',
      facts: { spindleLoad: 99, machineId: 'CNC-07' },
    };
    await call('POST', '/decisions', LINE1, { ...decision, firedEvents: [] }, 201);
    await call(
      'POST',
      '/decisions',
      LINE1,
      { ...decision, firedEvents: [{ type: 'writeback', params: { action: 'set-parameter' } }] },
      201,
    );
    subscription.unsubscribe();
    expect(messages).toEqual([
      {
        type: 'decision',
        decision: expect.objectContaining({
          ...decision,
          firedEvents: [{ type: 'writeback', params: { action: 'set-parameter' } }],
        }),
      },
    ]);
  });

  it('refuses a decision for a version that does not exist', async () => {
    const body = { ruleSetId: RS, ruleSetVersion: 42, time: new Date().toISOString(), facts: {}, firedEvents: [] };
    expect((await call<ApiErrorBody>('POST', '/decisions', LINE1, body, 422)).code).toBe('UNKNOWN_RULE_SET_VERSION');
  });

  it('refuses a malformed decision with the path of the field', async () => {
    const body = { ruleSetId: RS, ruleSetVersion: live.version, time: 'yesterday', facts: {}, firedEvents: [{}] };
    const error = await call<ApiErrorBody>('POST', '/decisions', LINE1, body, 400);
    expect(error.issues!.map((i) => i.path)).toEqual(expect.arrayContaining(['$.time', '$.firedEvents[0].type']));
  });

  it('lets only runtimes and editors record decisions', async () => {
    await call(
      'POST',
      '/decisions',
      VERA,
      { ruleSetId: RS, ruleSetVersion: 1, time: new Date().toISOString(), facts: {}, firedEvents: [] },
      403,
    );
  });

  it('lists recorded decisions, newest first', async () => {
    const { decisions } = await call<{ decisions: { facts: { spindleLoad: number } }[] }>(
      'GET',
      `/decisions?ruleSetId=${RS}&limit=2`,
      VERA,
    );
    expect(decisions.map((d) => d.facts.spindleLoad)).toEqual([95, 88]);
  });

  const window = { from: '2026-11-22T07:00:00.000Z', to: '2026-11-22T09:00:00.000Z' };

  it('reports write-backs a lower threshold would have added, writing nothing', async () => {
    const before = await rowCounts();
    const report = await call<ReplayReport>('POST', `/rulesets/${RS}/replay`, VERA, {
      content: ruleSet(80),
      ...window,
    });
    expect(report).toMatchObject({
      ruleSetId: RS,
      liveVersion: live.version,
      liveVersions: [live.version],
      decisions: 4,
      wouldAdd: 1,
      wouldRemove: 0,
    });
    expect(report.differences).toEqual([
      {
        time: '2026-11-22T08:01:00.000Z',
        facts: { spindleLoad: 82, machineId: 'CNC-07' },
        inferenceId: 'inf-1',
        onlyCandidate: [
          {
            type: 'writeback',
            params: {
              action: 'set-parameter',
              targetKind: 'opcenter',
              parameter: 'FeedRate',
              value: 900,
              machineId: 'CNC-07',
            },
          },
        ],
        onlyLive: [],
      },
    ]);
    expect(await rowCounts()).toEqual(before);
  });

  it('reports write-backs a higher threshold would have dropped, from the saved draft', async () => {
    await call('PUT', `/rulesets/${RS}/draft`, ERIN, { content: ruleSet(90) });
    const report = await call<ReplayReport>('POST', `/rulesets/${RS}/replay`, VERA, window);
    expect(report).toMatchObject({ decisions: 4, wouldAdd: 0, wouldRemove: 1 });
    expect(report.differences.map((d) => d.facts.spindleLoad)).toEqual([88]);
  });

  it('finds no difference replaying the live version itself', async () => {
    const report = await call<ReplayReport>('POST', `/rulesets/${RS}/replay`, VERA, {
      version: live.version,
      ...window,
    });
    expect(report).toMatchObject({
      candidateVersion: live.version,
      decisions: 4,
      wouldAdd: 0,
      wouldRemove: 0,
      differences: [],
    });
  });

  it('counts decisions the candidate cannot evaluate instead of failing', async () => {
    const file = ruleSet(80);
    (file.rules[0].conditions as { all: { fact: string }[] }).all[0].fact = 'vibration';
    const report = await call<ReplayReport>('POST', `/rulesets/${RS}/replay`, VERA, { content: file, ...window });
    expect(report.candidateErrors).toHaveLength(4);
    expect(report.candidateErrors![0]).toMatchObject({ code: 'UNDEFINED_FACT' });
  });

  it('replays only the window', async () => {
    const report = await call<ReplayReport>('POST', `/rulesets/${RS}/replay`, VERA, {
      content: ruleSet(80),
      from: '2026-11-22T08:02:00.000Z',
      to: window.to,
    });
    expect(report.decisions).toBe(2);
  });

  it('refuses an empty window and a candidate of another rule set', async () => {
    expect(
      (
        await call<ApiErrorBody>(
          'POST',
          `/rulesets/${RS}/replay`,
          VERA,
          { content: ruleSet(80), from: window.to, to: window.from },
          400,
        )
      ).code,
    ).toBe('INVALID_WINDOW');
    expect(
      (
        await call<ApiErrorBody>(
          'POST',
          `/rulesets/${RS}/replay`,
          VERA,
          { content: { ...ruleSet(80), id: 'other' } },
          400,
        )
      ).code,
    ).toBe('ID_MISMATCH');
  });
});

describe('GET /rulesets', () => {
  it('lists every rule set with versions or a draft', async () => {
    const list = await call<RuleSetSummary[]>('GET', '/rulesets', LINE1);
    expect(list.map((s) => s.id)).toEqual(
      expect.arrayContaining(['bearing-failure-maintenance', 'lot-hold-draft', ID]),
    );
    expect(list.find((s) => s.id === 'lot-hold-draft')).toEqual({
      id: 'lot-hold-draft',
      name: 'Lot hold',
      pendingVersions: [],
      hasDraft: true,
    });
  });
});
