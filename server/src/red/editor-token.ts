import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

/** Header the gateway's proxy sets on every request it forwards to Node-RED for a signed-in person. */
export const EDITOR_TOKEN_HEADER = 'x-loopgate-editor';
const PREFIX = 'lge_';

/** A Node-RED editor user: `*` (edit and deploy) or `read`. */
export interface EditorUser {
  username: string;
  permissions: '*' | 'read';
}

interface Claims {
  u: string;
  p: EditorUser['permissions'];
  /** Expiry, milliseconds since the epoch. */
  e: number;
}

/**
 * Signs editor tokens (Ed25519): the gateway holds the private key, the Node-RED process only the
 * public one, so code running in Node-RED can check a token but never make one.
 *
 * @example
 * const keys = EditorTokenSigner.generate();
 * const token = keys.mint({ username: 'erin', permissions: '*' }, Date.now() + 60_000);
 * readEditorToken(token, keys.publicKeyPem, Date.now()); // { username: 'erin', permissions: '*' }
 */
export class EditorTokenSigner {
  private constructor(
    private readonly privateKey: KeyObject,
    readonly publicKeyPem: string,
  ) {}

  static generate(): EditorTokenSigner {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    return new EditorTokenSigner(privateKey, publicKey.export({ type: 'spki', format: 'pem' }).toString());
  }

  static fromPrivatePem(pem: string): EditorTokenSigner {
    const privateKey = createPrivateKey(pem);
    return new EditorTokenSigner(
      privateKey,
      createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString(),
    );
  }

  mint(user: EditorUser, expiresAt: number): string {
    const claims: Claims = { u: user.username, p: user.permissions, e: expiresAt };
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    const signature = sign(null, Buffer.from(payload), this.privateKey).toString('base64url');
    return `${PREFIX}${payload}.${signature}`;
  }

  read(token: string, now: number): EditorUser | null {
    return readEditorToken(token, this.publicKeyPem, now);
  }
}

export function isEditorToken(token: string): boolean {
  return token.startsWith(PREFIX);
}

/** The user an editor token names, or null when it is malformed, forged or expired. */
export function readEditorToken(token: string, publicKeyPem: string, now: number): EditorUser | null {
  if (typeof token !== 'string' || !token.startsWith(PREFIX) || token.length > 2048) return null;
  const [payload, signature, extra] = token.slice(PREFIX.length).split('.');
  if (!payload || !signature || extra !== undefined) return null;
  let valid = false;
  try {
    valid = verify(null, Buffer.from(payload), publicKeyPem, Buffer.from(signature, 'base64url'));
  } catch {
    return null;
  }
  if (!valid) return null;
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<Claims>;
  if (typeof claims.u !== 'string' || (claims.p !== '*' && claims.p !== 'read') || typeof claims.e !== 'number')
    return null;
  if (claims.e <= now) return null;
  return { username: claims.u, permissions: claims.p };
}
