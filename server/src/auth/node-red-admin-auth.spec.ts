import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { UserError } from '../common/errors';
import { EditorTokenSigner } from '../red/editor-token';
import type { Authentication, Authenticator } from './authenticator';
import type { PasswordCheck } from './identity/password-check';
import type { LoginThrottle } from './identity/login-throttle';
import { RequestLimit } from './limits/request-limit';
import { NodeRedGate } from './node-red-admin-auth';
import type { SecurityAudit } from './security-audit';

const scorer: Authentication = {
  principal: { kind: 'service', id: 'token:scorer', displayName: 'scorer', roles: [] },
  via: 'bearer',
};

function gateWith(result: Authentication | undefined | Error, requests: RequestLimit): NodeRedGate {
  return new NodeRedGate({
    authenticator: {
      authenticate: async () => {
        if (result instanceof Error) throw result;
        return result;
      },
    } as unknown as Authenticator,
    passwords: {} as PasswordCheck,
    throttle: {} as LoginThrottle,
    audit: {} as SecurityAudit,
    signer: EditorTokenSigner.generate(),
    deploys: { deploy: async () => 'forward' },
    sessionTtlMinutes: 60,
    endpoints: [],
    requests,
  });
}

const from = (address: string) => ({ headers: {}, socket: { remoteAddress: address } }) as unknown as IncomingMessage;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'admitted';
  } catch (error) {
    if (error instanceof UserError) return error.code;
    throw error;
  }
}

describe('NodeRedGate flow endpoints and the API allowance', () => {
  it("counts an AI service's calls to /flows-http against its token's allowance", async () => {
    const gate = gateWith(scorer, new RequestLimit({ apiRequestsPerMinute: 3, apiAnonymousRequestsPerMinute: 100 }));
    const codes: string[] = [];
    for (let i = 0; i < 5; i++) codes.push(await codeOf(gate.admitFlowEndpoint(from('10.0.0.5'), '/score')));
    expect(codes).toEqual(['admitted', 'admitted', 'admitted', 'TOO_MANY_REQUESTS', 'TOO_MANY_REQUESTS']);
  });

  it('counts calls without valid credentials against the client address', async () => {
    const limit = new RequestLimit({ apiRequestsPerMinute: 100, apiAnonymousRequestsPerMinute: 2 });
    const anonymous = gateWith(undefined, limit);
    const guessing = gateWith(new UserError('UNAUTHENTICATED', 'unknown token', 401), limit);
    const codes = [
      await codeOf(anonymous.admitFlowEndpoint(from('10.0.0.6'), '/score')),
      await codeOf(guessing.admitFlowEndpoint(from('10.0.0.6'), '/score')),
      await codeOf(guessing.admitFlowEndpoint(from('10.0.0.6'), '/score')),
      await codeOf(anonymous.admitFlowEndpoint(from('10.0.0.7'), '/score')),
    ];
    expect(codes).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'TOO_MANY_REQUESTS', 'UNAUTHENTICATED']);
  });
});
