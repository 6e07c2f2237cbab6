import { describe, expect, it } from 'vitest';
import { supportedActionsOf } from './tokens';

const runtime = (actions: string[]) => ({ adapter: { capabilities: { actions } } });

describe('supportedActionsOf', () => {
  it('unites the actions of every configured target', () => {
    const engine = { targetRuntimes: () => [runtime(['set-parameter']), runtime(['hold-lot', 'set-parameter'])] };
    expect(supportedActionsOf(engine as never)()).toEqual(new Set(['set-parameter', 'hold-lot']));
  });

  it('checks nothing when no target is configured', () => {
    expect(supportedActionsOf({ targetRuntimes: () => [] })()).toBeUndefined();
  });
});
