import { describe, expect, it } from 'vitest';
import { EditorTokenSigner, readEditorToken } from './editor-token';

describe('editor tokens', () => {
  const signer = EditorTokenSigner.generate();

  it('name the user and permissions until they expire', () => {
    const token = signer.mint({ username: 'erin', permissions: '*' }, 2_000);
    expect(readEditorToken(token, signer.publicKeyPem, 1_999)).toEqual({ username: 'erin', permissions: '*' });
    expect(readEditorToken(token, signer.publicKeyPem, 2_000)).toBeNull();
  });

  it('are refused when the payload was changed', () => {
    const token = signer.mint({ username: 'vic', permissions: 'read' }, 2_000);
    const [payload, signature] = token.slice(4).split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, p: '*' })).toString('base64url');
    expect(readEditorToken(`lge_${forged}.${signature}`, signer.publicKeyPem, 1_000)).toBeNull();
  });

  it('are refused when signed by another key', () => {
    const other = EditorTokenSigner.generate().mint({ username: 'erin', permissions: '*' }, 2_000);
    expect(readEditorToken(other, signer.publicKeyPem, 1_000)).toBeNull();
  });

  it('are refused when malformed', () => {
    for (const token of ['', 'lge_', 'lge_abc', 'lge_a.b.c', 'lgu_x.y'])
      expect(readEditorToken(token, signer.publicKeyPem, 1_000)).toBeNull();
  });
});
