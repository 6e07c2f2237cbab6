import { describe, expect, it } from 'vitest';
import { childEnvironment } from './child-environment';

describe('childEnvironment', () => {
  const parent = {
    PATH: '/usr/bin',
    TZ: 'Europe/Berlin',
    HOME: '/root',
    LOOPGATE_ADMIN_PASSWORD: 'secret',
    LOOPGATE_BOOTSTRAP_TOKEN: 'token',
    LOOPGATE_DATABASE_URL: 'postgres://u:p@db/x',
    NODE_OPTIONS: '--inspect',
    MES_CLIENT_SECRET: 'mes',
  };

  it('is an allow-list: nothing of the gateway but PATH, TZ and the locale', () => {
    const env = childEnvironment({
      parent,
      userDir: '/data/node-red',
      gatewayPort: 1880,
      gatewayUrl: 'http://127.0.0.1:1880',
      flowEnv: { LOOPGATE_OPCUA_PORT: '4840' },
    });
    expect(env).toEqual({
      PATH: '/usr/bin',
      TZ: 'Europe/Berlin',
      HOME: '/data/node-red',
      NODE_ENV: 'production',
      NODE_RED_HOME: '/data/node-red',
      LOOPGATE_PORT: '1880',
      LOOPGATE_URL: 'http://127.0.0.1:1880',
      LOOPGATE_OPCUA_PORT: '4840',
    });
  });

  it('does not let site values override the fixed ones', () => {
    const env = childEnvironment({
      parent,
      userDir: '/d',
      gatewayPort: 1,
      gatewayUrl: 'http://x',
      flowEnv: { HOME: '/root', PATH: '/evil' },
    });
    expect(env.HOME).toBe('/d');
    expect(env.PATH).toBe('/usr/bin');
  });
});
