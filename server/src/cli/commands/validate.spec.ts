import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { opcenterTarget } from '../../targets/opcenter';
import { configuredTargets } from './validate';

const dirs: string[] = [];
function siteFile(site: unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-site-'));
  dirs.push(dir);
  const file = path.join(dir, 'site.json');
  fs.writeFileSync(file, JSON.stringify(site));
  return file;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('configuredTargets', () => {
  it("learns a target's actions and interlocks without its secrets", () => {
    const file = siteFile({
      targets: [
        {
          instance: 'opcenter-line1',
          kind: 'opcenter',
          connection: {
            baseUrl: 'https://opcenter.example.internal',
            app: 'OpcenterEXDS',
            clientId: 'loopgate',
            clientSecret: { env: 'LOOPGATE_TEST_SECRET_THAT_IS_NEVER_SET' },
          },
          guardrails: { interlocks: [{ parameter: '*Interlock*' }] },
        },
        {
          instance: 'opcenter-line2',
          kind: 'opcenter',
          connection: { baseUrl: 'https://x', app: 'A', clientId: 'c', clientSecretEnv: 'NEVER_SET_EITHER' },
        },
      ],
    });
    const targets = configuredTargets(file);
    expect(targets?.get('opcenter-line1')).toEqual({
      kind: 'opcenter',
      actions: opcenterTarget.actions,
      interlocks: [{ parameter: '*Interlock*' }],
    });
    expect(targets?.get('opcenter-line2')).toEqual({
      kind: 'opcenter',
      actions: opcenterTarget.actions,
      interlocks: [],
    });
  });

  it('is undefined without a site file', () => {
    expect(configuredTargets(undefined)).toBeUndefined();
  });

  it('refuses a site file the gateway would refuse, with exit code 2', () => {
    const file = siteFile({ targets: [{ instance: 'x', kind: 'no-such-kind', connection: {} }] });
    expect(() => configuredTargets(file)).toThrow(expect.objectContaining({ code: 'INVALID_SITE', exitCode: 2 }));
  });
});
