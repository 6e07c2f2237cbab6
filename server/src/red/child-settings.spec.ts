import { describe, expect, it } from 'vitest';
import type { ChildStart } from './child-protocol';
import { childSettings } from './child-settings';
import { EditorTokenSigner } from './editor-token';

const signer = EditorTokenSigner.generate();
const start: ChildStart = {
  type: 'start',
  serviceToken: 'lgs_x',
  editorPublicKeyPem: signer.publicKeyPem,
  credentialSecret: 'c'.repeat(32),
  userDir: '/data/node-red',
  logLevel: 'warn',
  enableExec: false,
};

describe('childSettings', () => {
  it('excludes the exec node unless the site enables it', () => {
    expect(childSettings(start).nodesExcludes).toEqual(['90-exec.js']);
    expect(childSettings({ ...start, enableExec: true }).nodesExcludes).toEqual([]);
  });

  it('reaches nothing on the internet and installs nothing', () => {
    const settings = childSettings(start);
    expect(settings).toMatchObject({
      telemetry: { enabled: false, updateNotification: false },
      diagnostics: { enabled: false },
      externalModules: { autoInstall: false, palette: { allowInstall: false }, modules: { allowInstall: false } },
      functionExternalModules: false,
      credentialSecret: start.credentialSecret,
      uiHost: '127.0.0.1',
    });
  });

  it('signs nobody in with a password, only with an editor token the gateway signed', async () => {
    const auth = childSettings(start, () => 1_000).adminAuth as {
      authenticate: (u: string, p: string) => Promise<unknown>;
      tokens: (t: string) => Promise<unknown>;
      tokenHeader: string;
    };
    expect(await auth.authenticate('admin', 'anything')).toBeNull();
    expect(await auth.tokens(signer.mint({ username: 'erin', permissions: '*' }, 2_000))).toEqual({
      username: 'erin',
      permissions: '*',
    });
    expect(await auth.tokens(EditorTokenSigner.generate().mint({ username: 'x', permissions: '*' }, 2_000))).toBeNull();
    expect(auth.tokenHeader).toBe('x-loopgate-editor');
  });
});
