import * as fs from 'node:fs';
import * as path from 'node:path';
import * as prettier from 'prettier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_PREFIX, type AiEpisode, type WriteBackOutcome } from '@loopgate/contracts';
import type { OpenAPIObject, OperationObject } from '@nestjs/swagger';
import { ResponseContract } from '../../server/src/openapi/response-contract';
import { renderClientTypes, renderRequestSchema } from '../../server/src/openapi/client-types';
import { DEMO_PASSWORD, eventually, startTestStack, type DemoStack } from '../support/stack';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** An answer's JSON as this walk reads it: fields of whatever the operation answers. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the walk reads many shapes; the gateway checks them
type Answer = any;
const RULE_SET = 'incoming-lot-hold';

/** Operations that a demo site cannot bring to a success, each with the reason and the answer it gives. */
const NO_SUCCESS_IN_THIS_WALK: Record<string, string> = {
  'GET /api/v1/auth/oidc/login': 'single sign-on is not configured in the demo (404 OIDC_NOT_CONFIGURED)',
  'GET /api/v1/auth/oidc/callback': 'single sign-on is not configured in the demo',
  'POST /api/v1/writebacks/{commandId}/release': 'needs a quarantined command (409 NOT_QUARANTINED here)',
  'POST /api/v1/writebacks/{commandId}/resolve': 'needs a quarantined command (409 NOT_QUARANTINED here)',
  'POST /api/v1/autonomy/scopes/{scopeId}/promotion':
    'needs a scope whose evidence meets its thresholds (409 with the unmet thresholds here)',
};

/**
 * Walks the whole API as its users do, on the demo stack, with the gateway checking every answer
 * against its own OpenAPI document (LOOPGATE_CHECK_RESPONSES, a 500 RESPONSE_CONTRACT when one does
 * not match). Every documented operation is called; each is brought to a success unless listed above.
 */
describe('the OpenAPI document is the contract of every answer', () => {
  let stack: DemoStack;
  let document: OpenAPIObject;
  const answers = new Map<string, number[]>();
  let route: (method: string, url: string) => string | undefined;
  const tokens: Record<string, string> = {};

  async function call(
    who: string,
    method: string,
    url: string,
    body?: unknown,
  ): Promise<{ status: number; json: Answer; text: string }> {
    const response = await fetch(`${stack.url}${url.startsWith('/health') ? '' : API_PREFIX}${url}`, {
      method,
      headers: {
        ...(tokens[who] ? { authorization: `Bearer ${tokens[who]}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      redirect: 'manual',
      signal: AbortSignal.timeout(20_000),
    });
    const text = response.headers.get('content-type')?.includes('event-stream') ? '' : await response.text();
    if (!text) await response.body?.cancel();
    const json = response.headers.get('content-type')?.includes('application/json') ? JSON.parse(text) : undefined;
    const key = route(method, `${url.startsWith('/health') ? '' : API_PREFIX}${url.split('?')[0]}`);
    if (key) answers.set(key, [...(answers.get(key) ?? []), response.status]);
    // A 500 here is most likely RESPONSE_CONTRACT: the answer and the document parted ways.
    expect(response.status, `${method} ${url}: ${text.slice(0, 600)}`).toBeLessThan(500);
    return { status: response.status, json, text };
  }

  async function login(username: string, password: string): Promise<string> {
    const { status, json } = await call('anyone', 'POST', '/auth/login', { username, password });
    expect(status).toBe(200);
    return json.token as string;
  }

  beforeAll(async () => {
    stack = await startTestStack({ flowFile: null });
    const served = await fetch(`${stack.url}/api/docs/openapi.json`);
    document = (await served.json()) as OpenAPIObject;
    const contract = new ResponseContract(document);
    route = (method, url) => contract.operationOf(method, url);
    for (const who of ['engineer', 'engineer2', 'operator', 'qa', 'viewer'])
      tokens[who] = await login(who, DEMO_PASSWORD);
    tokens.admin = await login('admin', stack.adminPassword);
    tokens.service = stack.serviceToken;
  }, 180_000);
  afterAll(async () => stack?.close());

  it('describes every operation: a body schema for each success that has one, the error body for every refusal', () => {
    const contract = new ResponseContract(document);
    const missing: string[] = [];
    for (const [template, item] of Object.entries(document.paths)) {
      for (const method of METHODS) {
        const operation = item[method] as OperationObject | undefined;
        if (!operation) continue;
        const responses = operation.responses as Record<string, { content?: Record<string, unknown> }>;
        for (const range of ['4XX', '5XX'])
          if (!responses[range]?.content?.['application/json']) missing.push(`${method} ${template} ${range}`);
        const successes = Object.entries(responses).filter(([status]) => /^2\d\d$/.test(status));
        for (const [status, response] of successes)
          if (status !== '204' && !response.content) missing.push(`${method} ${template} ${status} has no body`);
      }
    }
    expect(missing.join('\n')).toBe('');
    expect(document.openapi).toBe('3.1.0');
    // The checker itself: a wrong body and an undocumented status are caught.
    expect(contract.check('GET', '/api/v1/control', 200, 'application/json', { stopped: 'no' })).toMatch(/stopped/);
    expect(contract.check('GET', '/api/v1/control', 201, 'application/json', {})).toMatch(/not a documented answer/);
    // /health's 503 answers its report, naming the failing check, not the error body.
    const report = { status: 'unavailable', live: true, ready: false, checks: { db: { ok: false, critical: true } } };
    expect(contract.check('GET', '/health', 503, 'application/json', report)).toBeUndefined();
    expect(contract.check('GET', '/health', 503, 'application/json', { code: 'X' })).toBeDefined();
    expect(
      contract.check('GET', '/api/v1/control', 404, 'application/json', {
        statusCode: 404,
        code: 'NOT_FOUND',
        path: '/api/v1/control',
        message: 'x',
      }),
    ).toBeUndefined();
  });

  // `npm run generate:api` runs this with -u to write the file; otherwise it only compares.
  it('contracts/src/client/api-types.generated.ts is the served document, for the one typed client', async () => {
    const file = path.resolve(__dirname, '../../contracts/src/client/api-types.generated.ts');
    await expect(await renderClientTypes(document, file)).toMatchFileSnapshot(file);
  });

  it('contracts/openapi.json is the served document (the contract, for clients and the stand-in gateway)', async () => {
    const file = path.resolve(__dirname, '../../contracts/openapi.json');
    const source = await prettier.format(JSON.stringify(document), {
      ...(await prettier.resolveConfig(file)),
      filepath: file,
    });
    await expect(source).toMatchFileSnapshot(file);
  });

  it('contracts/src/client/request-schemas.generated.ts is the write-back request the server validates', async () => {
    const file = path.resolve(__dirname, '../../contracts/src/client/request-schemas.generated.ts');
    const source = await renderRequestSchema(document, 'WriteBackRequestDto', 'WRITEBACK_REQUEST_SCHEMA', file);
    await expect(source).toMatchFileSnapshot(file);
  });

  it('answers every operation as documented', async () => {
    // The gateways tests start check their answers (vitest.config.mts); without it a mismatch would pass.
    expect(process.env.LOOPGATE_CHECK_RESPONSES).toBe('1');
    // Who is signed in, and how one signs in.
    await call('anyone', 'GET', '/health');
    await call('anyone', 'GET', '/auth/providers');
    expect((await call('anyone', 'GET', '/auth/oidc/login')).status).toBeGreaterThanOrEqual(400);
    expect((await call('anyone', 'GET', '/auth/oidc/callback?code=x&state=y')).status).toBeGreaterThanOrEqual(400);
    await call('operator', 'GET', '/auth/me');

    // Accounts and tokens.
    await call('admin', 'GET', '/users');
    const user = await call('admin', 'POST', '/users', {
      username: 'walker',
      roles: ['viewer'],
      password: 'walker password 2026!',
    });
    expect(user.status).toBe(201);
    await call('admin', 'GET', '/users/walker');
    await call('admin', 'PATCH', '/users/walker', { displayName: 'Walt Walker' });
    await call('admin', 'POST', '/users/walker/unlock');
    tokens.walker = await login('walker', 'walker password 2026!');
    expect(
      (
        await call('walker', 'POST', '/auth/password', {
          currentPassword: 'walker password 2026!',
          newPassword: 'a new walker password 2026!',
        })
      ).status,
    ).toBe(204);
    tokens.walker = await login('walker', 'a new walker password 2026!');
    expect((await call('walker', 'POST', '/auth/logout')).status).toBe(204);
    await call('admin', 'GET', '/tokens');
    const token = await call('admin', 'POST', '/tokens', { name: 'walk' });
    expect(token.status).toBe(201);
    await call('admin', 'DELETE', `/tokens/${token.json.id}`);

    // Write-backs: submit, read, approve, reject, revert, episodes.
    const opcenter = stack.instances.opcenter as string;
    const request = (requestId: string, value: number, extra: Record<string, unknown> = {}) => ({
      requestId,
      lineage: { modelId: 'tool-wear-cnc', modelVersion: '1', inferenceId: `inf-${requestId}` },
      target: { kind: 'opcenter', instance: opcenter },
      object: { type: 'recipe-parameter', id: 'CNC_Cell_01/OP20' },
      action: 'set-parameter',
      parameter: 'FeedRate',
      value,
      reason: 'walk',
      notAfter: new Date(Date.now() + 600_000).toISOString(),
      ...extra,
    });
    const first = await call('service', 'POST', '/writebacks', request('walk-1', 1150));
    expect(first.status).toBe(202);
    expect((await call('service', 'POST', '/writebacks', request('walk-1', 1150))).status).toBe(200);
    const applied = await eventually(async () => {
      const { json } = await call('viewer', 'GET', `/writebacks/${first.json.commandId}`);
      return (json as WriteBackOutcome).state === 'applied' ? (json as WriteBackOutcome) : undefined;
    });
    await call('viewer', 'GET', '/writebacks?limit=5&states=applied,queued');
    await call('viewer', 'GET', `/writebacks/${applied.commandId}/episode`);
    const episode = (await call('viewer', 'GET', `/writebacks/${applied.commandId}/episode`)).json as AiEpisode;
    expect(episode.commandIds).toContain(applied.commandId);
    // A step above 5 % waits for a person: one approves, another is rejected.
    const pending = await call('service', 'POST', '/writebacks', request('walk-2', 1220));
    const pending2 = await call('service', 'POST', '/writebacks', request('walk-3', 1215));
    await call('viewer', 'GET', '/approvals');
    expect(
      (
        await call('operator', 'POST', `/writebacks/${pending.json.commandId}/approve`, {
          password: DEMO_PASSWORD,
          meaning: 'approved',
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await call('operator', 'POST', `/writebacks/${pending2.json.commandId}/reject`, {
          password: DEMO_PASSWORD,
          meaning: 'rejected',
          comment: 'walk',
        })
      ).status,
    ).toBe(200);
    await eventually(async () => {
      const { json } = await call('viewer', 'GET', `/writebacks/${pending.json.commandId}`);
      return (json as WriteBackOutcome).state === 'applied' ? true : undefined;
    });
    // The AI's episode back to the value before it, in one command (202 new, 200 known); a command of
    // that episode is reverted already: its revert answers with the episode's (200).
    const episodeRevert = `/writebacks/${applied.commandId}/revert-episode`;
    const reverted = await call('operator', 'POST', episodeRevert, { reason: 'walk' });
    expect(reverted.status).toBe(202);
    expect((await call('operator', 'POST', episodeRevert, { reason: 'walk' })).status).toBe(200);
    const revert = await call('operator', 'POST', `/writebacks/${pending.json.commandId}/revert`, { reason: 'walk' });
    expect([revert.status, revert.json.commandId]).toEqual([200, reverted.json.revert.commandId]);
    expect(
      (await call('operator', 'POST', `/writebacks/${applied.commandId}/release`, { reason: 'walk' })).status,
    ).toBe(409);
    expect(
      (
        await call('operator', 'POST', `/writebacks/${applied.commandId}/resolve`, {
          outcome: 'applied',
          reason: 'walk',
        })
      ).status,
    ).toBe(409);

    // Targets and the stop.
    await call('viewer', 'GET', '/targets');
    await call('operator', 'POST', `/targets/${opcenter}/pause`, { reason: 'walk' });
    await call('operator', 'POST', `/targets/${opcenter}/resume`, { reason: 'walk' });
    await call('operator', 'POST', `/targets/${opcenter}/shadow`, { enabled: true, reason: 'walk' });
    await call('operator', 'POST', `/targets/${opcenter}/shadow`, { enabled: false, reason: 'walk' });
    await call('viewer', 'GET', '/control');
    await call('operator', 'POST', '/control/stop', { reason: 'walk' });
    await call('operator', 'POST', '/control/resume', { reason: 'walk' });
    await call('viewer', 'GET', '/outcomes/stream');

    // Refusals collapse into alarms.
    for (const id of ['walk-5', 'walk-6']) await call('service', 'POST', '/writebacks', request(id, 5000));
    const alarms = await call('operator', 'GET', '/alarms');
    const alarm = alarms.json.alarms[0];
    expect(alarm).toBeDefined();
    await call('operator', 'POST', `/alarms/${alarm.id}/acknowledge`, { reason: 'walk' });
    await call('operator', 'POST', `/alarms/${alarm.id}/shelve`, { reason: 'walk', minutes: 5 });
    await call('operator', 'GET', '/alarms?shelved=true');

    // Audit.
    await call('viewer', 'GET', '/audit?limit=5');
    await call('qa', 'GET', '/audit/verify');
    await call('qa', 'GET', '/audit/export?limit=5');

    // Rule sets: draft, validate, version, approve, reject, diff, replay, evaluate, rollback, import.
    await call('viewer', 'GET', '/rulesets');
    const file = JSON.parse(fs.readFileSync(path.resolve(__dirname, `../../rules/sets/${RULE_SET}.json`), 'utf8'));
    await call('engineer', 'GET', `/rulesets/${RULE_SET}`);
    await call('engineer', 'PUT', `/rulesets/${RULE_SET}/draft`, { content: { ...file, rules: [] } });
    await call('engineer', 'GET', `/rulesets/${RULE_SET}/draft`);
    expect((await call('engineer', 'DELETE', `/rulesets/${RULE_SET}/draft`)).status).toBe(204);
    await call('engineer', 'POST', `/rulesets/${RULE_SET}/validate`, { content: file });
    const changed = { ...file, description: `${file.description} (walk)` };
    const version = await call('engineer', 'POST', `/rulesets/${RULE_SET}/versions`, { content: changed });
    expect(version.status).toBe(201);
    const v = version.json.version as number;
    await call('engineer2', 'POST', `/rulesets/${RULE_SET}/versions/${v}/approve`, {
      password: DEMO_PASSWORD,
      meaning: 'approved',
    });
    const rejected = await call('engineer', 'POST', `/rulesets/${RULE_SET}/versions`, {
      content: { ...file, description: 'to be rejected' },
    });
    await call('engineer2', 'POST', `/rulesets/${RULE_SET}/versions/${rejected.json.version}/reject`, {
      password: DEMO_PASSWORD,
      meaning: 'rejected',
    });
    await call('engineer', 'GET', `/rulesets/${RULE_SET}/versions`);
    await call('engineer', 'GET', `/rulesets/${RULE_SET}/versions/${v}`);
    await call('engineer', 'GET', `/rulesets/${RULE_SET}/versions/${v}/file`);
    await call('engineer', 'GET', `/rulesets/${RULE_SET}/diff?from=1&to=${v}`);
    await call('engineer', 'POST', `/rulesets/${RULE_SET}/replay`, { version: v });
    const facts = {
      lotId: 'LOT-1',
      lotStatus: 'received',
      scrapCorrelationScore: 0.9,
      certificate: {},
      failedChecks: [],
    };
    await call('service', 'POST', `/rulesets/${RULE_SET}/versions/${v}/evaluate`, { facts });
    await call('service', 'POST', `/rulesets/${RULE_SET}/versions/${v}/evaluate/batch`, { facts: [facts, facts] });
    expect(
      (await call('engineer', 'POST', `/rulesets/${RULE_SET}/versions/1/rollback`, { comment: 'walk' })).status,
    ).toBe(201);
    const imported = await call('engineer', 'POST', '/rulesets/import', {
      files: [
        { name: 'walk.json', text: JSON.stringify({ ...file, id: 'walk-imported', name: 'Imported in the walk' }) },
      ],
    });
    expect(imported.status).toBe(201);
    await call('service', 'POST', '/decisions', {
      ruleSetId: RULE_SET,
      ruleSetVersion: 1,
      time: new Date().toISOString(),
      facts,
      firedEvents: [],
    });
    await call('engineer', 'GET', `/decisions?ruleSetId=${RULE_SET}&limit=5`);

    // Earned autonomy.
    const scopes = await call('viewer', 'GET', '/autonomy/scopes');
    const scopeId = encodeURIComponent(scopes.json[0].scopeId as string);
    await call('viewer', 'GET', '/autonomy/inputs');
    const evidence = await call('engineer', 'GET', `/autonomy/scopes/${scopeId}/evidence`);
    await call('viewer', 'GET', `/autonomy/scopes/${scopeId}/changes`);
    await call('viewer', 'GET', '/autonomy/changes');
    await call('operator', 'POST', `/autonomy/scopes/${scopeId}/demotion`, { reason: 'walk' });
    const promotion = await call('engineer', 'POST', `/autonomy/scopes/${scopeId}/promotion`, {
      toLevel: 'autonomous',
      evidenceHash: evidence.json.evidenceHash,
      evidenceUntil: evidence.json.until,
      password: DEMO_PASSWORD,
    });
    expect(promotion.status).toBeGreaterThanOrEqual(400);
    const decisions = await call('viewer', 'GET', `/autonomy/decisions?scope=${scopeId}&limit=5`);
    expect(decisions.json.length).toBeGreaterThan(0);
    await call('viewer', 'GET', `/autonomy/decisions/${decisions.json[0].commandId}`);
    await call('operator', 'POST', `/autonomy/decisions/${decisions.json[0].commandId}/feedback`, { verdict: 'right' });
    expect(
      (await call('service', 'POST', '/autonomy/kpi-samples', { kpi: 'CNC_Cell_01 spindle load', value: 40 })).status,
    ).toBe(204);
    await call('viewer', 'GET', '/autonomy/scorecards?by=scope');
    await call('qa', 'GET', '/autonomy/training-data?format=ndjson');

    // Flows: a deploy waits for a second engineer; rollback; deployments the CLI records.
    const flows = [{ id: 'walk-tab', type: 'tab', label: 'Walk' }];
    const submitted = await call('engineer', 'POST', '/flow-versions', { flows, comment: 'walk' });
    expect(submitted.status).toBe(201);
    await call('viewer', 'GET', '/flow-versions?limit=5');
    await call('viewer', 'GET', `/flow-versions/${submitted.json.version}`);
    await call('engineer2', 'POST', `/flow-versions/${submitted.json.version}/approve`, {
      password: DEMO_PASSWORD,
      meaning: 'approved',
    });
    const second = await call('engineer', 'POST', '/flow-versions', {
      flows: [...flows, { id: 'walk-comment', type: 'comment', z: 'walk-tab', name: 'second' }],
    });
    await call('engineer2', 'POST', `/flow-versions/${second.json.version}/approve`, {
      password: DEMO_PASSWORD,
      meaning: 'approved',
    });
    const third = await call('engineer', 'POST', '/flow-versions', {
      flows: [...flows, { id: 'walk-comment', type: 'comment', z: 'walk-tab', name: 'third' }],
    });
    await call('engineer2', 'POST', `/flow-versions/${third.json.version}/reject`, {
      password: DEMO_PASSWORD,
      meaning: 'rejected',
    });
    // Back to the first: a new pending version with its content.
    const rollback = await call('engineer', 'POST', `/flow-versions/${submitted.json.version}/rollback`, {
      comment: 'walk',
    });
    expect(rollback.status, rollback.text).toBe(200);
    await call('engineer', 'POST', '/deployments', {
      items: [{ kind: 'rule-set', id: RULE_SET, version: '1', checksum: 'a'.repeat(64), result: 'unchanged' }],
    });
    await call('qa', 'GET', '/deployments?limit=5');

    const operations = Object.entries(document.paths).flatMap(([template, item]) =>
      METHODS.filter((m) => item[m]).map((m) => `${m.toUpperCase()} ${template}`),
    );
    const uncalled = operations.filter((op) => !answers.has(op));
    const noSuccess = operations.filter(
      (op) => answers.has(op) && !answers.get(op)!.some((s) => s < 400) && !(op in NO_SUCCESS_IN_THIS_WALK),
    );
    expect(uncalled).toEqual([]);
    expect(noSuccess).toEqual([]);
    const successes = operations.filter((op) => answers.get(op)!.some((s) => s < 400)).length;
    console.log(
      `API walk: ${operations.length} operations called, ${successes} answered with a success, ${
        [...answers.values()].flat().length
      } answers, each checked against the document`,
    );
  });
});
