import { inspect } from 'node:util';
import { TARGET_KINDS } from '@loopgate/contracts';
import { describe, expect, it } from 'vitest';
import { createTargetAdapter, TARGET_DEFINITIONS } from './registry';
import { redact, Secret } from './secret';
import { TargetConfigError } from './target-config';

function issuesOf(raw: unknown) {
  try {
    createTargetAdapter(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(TargetConfigError);
    return (error as TargetConfigError).issues;
  }
  throw new Error('expected a TargetConfigError');
}

const opcenter = {
  instance: 'opcenter-line1',
  kind: 'opcenter',
  connection: {
    baseUrl: 'http://127.0.0.1:18201',
    app: 'OpcenterEXDS',
    clientId: 'loopgate',
    clientSecret: 'registry-secret',
  },
};

describe('target registry', () => {
  it('registers each kind at most once, and only known kinds', () => {
    const kinds = TARGET_DEFINITIONS.map((d) => d.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    for (const kind of kinds) expect(TARGET_KINDS).toContain(kind);
  });

  it('builds an adapter from a valid instance configuration', async () => {
    const adapter = createTargetAdapter(opcenter);
    expect(adapter).toMatchObject({ kind: 'opcenter', instance: 'opcenter-line1' });
    await adapter.close();
  });

  it('names a bad instance name and an unknown kind', () => {
    const issues = issuesOf({ ...opcenter, instance: 'has space', kind: 'sap' });
    expect(issues.map((i) => i.path).sort()).toEqual(['$.instance', '$.kind']);
  });

  it('puts the connection issues of the kind under $.connection', () => {
    const issues = issuesOf({ ...opcenter, connection: { ...opcenter.connection, baseUrl: 'not-a-url' } });
    expect(issues).toEqual([expect.objectContaining({ path: '$.connection.baseUrl' })]);
  });

  it('requires a connection block', () => {
    expect(issuesOf({ instance: 'x', kind: 'opcenter' })).toEqual([
      expect.objectContaining({ path: '$.connection', code: 'REQUIRED' }),
    ]);
  });

  const missing = TARGET_KINDS.find((k) => !TARGET_DEFINITIONS.some((d) => d.kind === k));
  it.skipIf(missing === undefined)('names the kind when none is registered for it', () => {
    expect(issuesOf({ ...opcenter, kind: missing })).toEqual([
      expect.objectContaining({ code: 'UNKNOWN_TARGET', path: '$.kind' }),
    ]);
  });

  it('gives every simulator sample values that differ from the seed and from the previous value', () => {
    for (const definition of TARGET_DEFINITIONS) {
      const sample = definition.simulator?.sample;
      if (!sample) continue;
      for (let i = 0; i < 50; i++) {
        expect(sample.value(i), definition.kind).not.toEqual(sample.seeded);
        if (i > 0) expect(sample.value(i), definition.kind).not.toEqual(sample.value(i - 1));
      }
    }
  });
});

describe('Secret', () => {
  it('prints as [redacted] through String, JSON and inspect, and reveals on request', () => {
    const secret = new Secret('hunter2-xyz');
    const surfaces = [String(secret), `${secret}`, JSON.stringify({ secret }), inspect({ secret }, { depth: 5 })];
    for (const surface of surfaces) expect(surface).not.toContain('hunter2-xyz');
    expect(secret.reveal()).toBe('hunter2-xyz');
  });

  it('is scrubbed from text an MES echoes', () => {
    expect(redact('bad password hunter2-xyz for user', [new Secret('hunter2-xyz')])).toBe(
      'bad password [redacted] for user',
    );
  });
});
