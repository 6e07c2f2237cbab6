import helper from 'node-red-node-test-helper';
import { afterEach, describe, expect, it } from 'vitest';
import gatewayNode, { gatewayFor, resolveGatewaySettings, type GatewayConfigNode } from './loopgate-gateway';

const env = (vars: Record<string, string>) => (name: string) => vars[name];

describe('resolveGatewaySettings', () => {
  it('substitutes ${VAR} inside the URL', () => {
    const result = resolveGatewaySettings(
      'http://127.0.0.1:${LOOPGATE_PORT}',
      '',
      'tok',
      env({ LOOPGATE_PORT: '1880' }),
    );
    expect(result).toEqual({ settings: { url: 'http://127.0.0.1:1880', token: 'tok', timeoutMs: 10_000 } });
  });

  it('names an unset variable in the URL', () => {
    const result = resolveGatewaySettings('http://127.0.0.1:${LOOPGATE_PORT}', '', 'tok', env({}));
    expect(result).toEqual({ problem: 'gateway URL uses unset environment variable LOOPGATE_PORT' });
  });

  it('falls back to LOOPGATE_TOKEN when the credential is empty', () => {
    const result = resolveGatewaySettings('http://gw:1880', '5', '', env({ LOOPGATE_TOKEN: 'from-env' }));
    expect(result).toEqual({ settings: { url: 'http://gw:1880', token: 'from-env', timeoutMs: 5000 } });
  });

  it('prefers the credential over LOOPGATE_TOKEN', () => {
    const result = resolveGatewaySettings('http://gw:1880', '', 'cred', env({ LOOPGATE_TOKEN: 'from-env' }));
    expect(result).toMatchObject({ settings: { token: 'cred' } });
  });

  it.each([
    ['', 'gateway URL is not set'],
    ['not a url', 'gateway URL is not a URL: not a url'],
    ['ftp://gw', 'gateway URL must be http or https, got ftp:'],
  ])('rejects the URL %j', (url, problem) => {
    expect(resolveGatewaySettings(url, '', 't', env({}))).toEqual({ problem });
  });

  it('rejects a timeout out of range', () => {
    expect(resolveGatewaySettings('http://gw', '0', 't', env({}))).toEqual({
      problem: 'request timeout must be between 0 and 300 s, got 0',
    });
  });
});

describe('loopgate-gateway node', () => {
  afterEach(async () => {
    await helper.unload();
    delete process.env.LOOPGATE_TOKEN;
  });

  it('builds a client with the credential token', async () => {
    await helper.load(
      gatewayNode,
      [{ id: 'gw', type: 'loopgate-gateway', url: 'http://127.0.0.1:18399', timeout: '3' }],
      {
        gw: { token: 'secret' },
      },
    );
    const node = helper.getNode('gw') as unknown as GatewayConfigNode;
    expect(node.client?.baseUrl).toBe('http://127.0.0.1:18399');
    expect(node.client?.authHeaders()).toEqual({ authorization: 'Bearer secret' });
  });

  it('uses LOOPGATE_TOKEN from the environment when no credential is stored', async () => {
    process.env.LOOPGATE_TOKEN = 'env-token';
    await helper.load(gatewayNode, [{ id: 'gw', type: 'loopgate-gateway', url: 'http://127.0.0.1:18399' }]);
    const node = helper.getNode('gw') as unknown as GatewayConfigNode;
    expect(node.client?.authHeaders()).toEqual({ authorization: 'Bearer env-token' });
  });

  it('reports an unusable configuration to the nodes that use it', async () => {
    await helper.load(gatewayNode, [
      { id: 'gw', type: 'loopgate-gateway', url: 'http://127.0.0.1:${NOT_SET_ANYWHERE}' },
    ]);
    const RED = { nodes: { getNode: (id: string) => helper.getNode(id) } } as never;
    expect(gatewayFor(RED, 'gw')).toEqual({ problem: 'gateway URL uses unset environment variable NOT_SET_ANYWHERE' });
    expect(gatewayFor(RED, 'missing')).toEqual({ problem: 'gateway configuration not deployed' });
    expect(gatewayFor(RED, '')).toEqual({ problem: 'no gateway configured' });
  });
});
