import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TargetWrite } from '../adapter';
import { describeTargetContract, expectNoSecrets, failureOf, harnessFromDefinition } from '../contract-suite';
import { TargetConfigError } from '../target-config';
import { AvevaAdapter } from './adapter';
import { parseAvevaConfig } from './config';
import { avevaTarget } from './index';
import { parseHistorianFilter, startAvevaSimulator, type AvevaSimulator } from './simulator';

describeTargetContract('aveva', () => harnessFromDefinition(avevaTarget));

const CELL = { type: 'equipment' as const, id: 'CNC_Cell_01' };
const setAttribute = (parameter: string, value: number | boolean | string, externalRef: string): TargetWrite => ({
  action: 'set-parameter',
  object: CELL,
  parameter,
  value,
  externalRef,
  reason: 'tool wear compensation',
});

describe('AVEVA target', () => {
  let sim: AvevaSimulator;
  let adapter: AvevaAdapter;

  beforeAll(async () => {
    sim = await startAvevaSimulator();
    adapter = new AvevaAdapter(
      'aveva-test',
      parseAvevaConfig({ baseUrl: sim.url, username: sim.username, password: sim.secrets[0], requestTimeoutMs: 2000 }),
    );
  });
  afterAll(async () => {
    await adapter.close();
    await sim.close();
  });
  beforeEach(() => sim.reset());

  describe('historian', () => {
    it('records every accepted attribute write with its time, value, writer and reason', async () => {
      const before = Date.now();
      await adapter.write(setAttribute('FeedRate.SP', 1180, 'hist-1'));
      await adapter.write(setAttribute('FeedRate.SP', 1160, 'hist-2'));
      const after = Date.now();

      const rows = await adapter.history('CNC_Cell_01', 'FeedRate.SP', new Date(before));
      expect(rows.map((r) => r.Value)).toEqual([1180, 1160]);
      for (const row of rows) {
        expect(row).toMatchObject({
          FQN: 'CNC_Cell_01.FeedRate.SP',
          OpcQuality: 192,
          Source: 'write',
          User: sim.username,
        });
        expect(row.Comment).toBe('tool wear compensation');
        const time = Date.parse(row.DateTime);
        expect(time).toBeGreaterThanOrEqual(before);
        expect(time).toBeLessThanOrEqual(after);
      }
    });

    it('keeps a refused write out of the historian', async () => {
      sim.lock('CNC_Cell_01');
      await failureOf(adapter.write(setAttribute('FeedRate.SP', 1180, 'hist-locked')));
      expect(await adapter.history('CNC_Cell_01', 'FeedRate.SP')).toEqual([]);
    });

    it('records an operator hand edit too, as the operator', async () => {
      sim.operatorEdit('CNC_Cell_01', 'FeedRate.SP', 1111);
      const rows = await adapter.history('CNC_Cell_01', 'FeedRate.SP');
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ Value: 1111, Source: 'operator' });
    });

    it('filters by tag and time', async () => {
      await adapter.write(setAttribute('SpindleSpeed.SP', 7600, 'hist-speed'));
      await adapter.write(setAttribute('FeedRate.SP', 1190, 'hist-feed'));
      expect((await adapter.history('CNC_Cell_01', 'SpindleSpeed.SP')).map((r) => r.Value)).toEqual([7600]);
      expect(await adapter.history('CNC_Cell_01', 'FeedRate.SP', new Date(Date.now() + 60_000))).toEqual([]);
    });

    it('parses the $filter subset and refuses anything else', () => {
      expect(parseHistorianFilter("FQN eq 'A.B' and DateTime ge 2026-01-01T00:00:00Z")).toEqual({
        fqn: 'A.B',
        from: Date.parse('2026-01-01T00:00:00Z'),
      });
      expect(() => parseHistorianFilter('Value gt 3')).toThrow(/unsupported/);
    });
  });

  describe('attribute writes', () => {
    it('reads the current value of an attribute', async () => {
      expect(await adapter.read({ object: CELL, parameter: 'SpindleSpeed.SP' })).toEqual({
        value: 8000,
        locked: false,
        audited: false,
      });
    });

    it('rejects a value of the wrong type as TYPE_MISMATCH and applies nothing', async () => {
      const failure = await failureOf(adapter.write(setAttribute('SpindleSpeed.SP', 7600.5, 'type')));
      expect(failure).toMatchObject({ kind: 'rejected', code: 'TYPE_MISMATCH' });
      expect(sim.ledger()).toHaveLength(0);
    });

    it('rejects a write to a ViewOnly attribute as NOT_WRITABLE', async () => {
      const failure = await failureOf(adapter.write(setAttribute('SpindleInterlock.PV', false, 'interlock')));
      expect(failure).toMatchObject({ kind: 'rejected', code: 'NOT_WRITABLE' });
      expect(sim.ledger()).toHaveLength(0);
    });

    it('rejects an unknown attribute as NOT_FOUND', async () => {
      const failure = await failureOf(adapter.read({ object: CELL, parameter: 'NoSuch.SP' }));
      expect(failure).toMatchObject({ kind: 'rejected', code: 'NOT_FOUND' });
    });

    it('refuses a read of an attribute without its name, before sending', async () => {
      const before = sim.requestCount();
      const failure = await failureOf(adapter.read({ object: CELL }));
      expect(failure).toMatchObject({ kind: 'rejected', code: 'INVALID_ADDRESS' });
      expect(sim.requestCount()).toBe(before);
    });
  });

  describe('MES web API', () => {
    const lot = { type: 'material-lot' as const, id: 'LOT-4711' };
    const lotCommand = (action: 'hold-lot' | 'release-lot', id = 'LOT-4711'): TargetWrite => ({
      action,
      object: { type: 'material-lot', id },
      externalRef: `${action}-${id}`,
      reason: 'lot correlates with scrap',
    });

    it('holds a lot, confirmed by its status, then releases it', async () => {
      await adapter.write(lotCommand('hold-lot'));
      const hold = adapter.expectedAfter(lotCommand('hold-lot'));
      expect(hold).toEqual({ address: { object: lot, parameter: 'status' }, value: 'Hold' });
      expect((await adapter.read(hold!.address)).value).toBe('Hold');

      await adapter.write(lotCommand('release-lot'));
      expect((await adapter.read({ object: lot })).value).toBe('Available');
      expect(sim.ledger().map((e) => [e.operation, e.externalRef])).toEqual([
        ['HoldLot', 'hold-lot-LOT-4711'],
        ['ReleaseLot', 'release-lot-LOT-4711'],
      ]);
    });

    it('rejects holding a consumed lot', async () => {
      const failure = await failureOf(adapter.write(lotCommand('hold-lot', 'LOT-4700')));
      expect(failure).toMatchObject({ kind: 'rejected', code: 'LOT_CONSUMED' });
    });

    it('reports a lot the operator console holds as locked and refuses it as locked', async () => {
      sim.lock('LOT-4712');
      expect((await adapter.read({ object: { type: 'material-lot', id: 'LOT-4712' } })).locked).toBe(true);
      const failure = await failureOf(adapter.write(lotCommand('hold-lot', 'LOT-4712')));
      expect(failure.kind).toBe('locked');
    });

    it('updates a work order state, confirmed by read-back', async () => {
      const command: TargetWrite = {
        action: 'update-work-order-status',
        object: { type: 'work-order', id: 'WO-2002' },
        value: 'Running',
        externalRef: 'wo-state',
        reason: 'bottleneck at cell B',
      };
      const result = await adapter.write(command);
      expect(result.mesTransactionId).toMatch(/^AVW-/);
      const expected = adapter.expectedAfter(command)!;
      expect((await adapter.read(expected.address)).value).toBe('Running');
    });

    it('rejects a state change of a completed work order', async () => {
      sim.operatorEdit('WO-2001', 'State', 'Complete');
      const failure = await failureOf(
        adapter.write({
          action: 'update-work-order-status',
          object: { type: 'work-order', id: 'WO-2001' },
          value: 'Running',
          externalRef: 'wo-final',
          reason: 'test',
        }),
      );
      expect(failure).toMatchObject({ kind: 'rejected', code: 'INVALID_STATE_TRANSITION' });
    });

    it('refuses an action AVEVA does not support, before sending', async () => {
      const failure = await failureOf(
        adapter.write({
          action: 'reroute-work-order',
          object: { type: 'work-order', id: 'WO-2001' },
          externalRef: 'r',
          reason: 'r',
        }),
      );
      expect(failure).toMatchObject({ kind: 'rejected', code: 'UNSUPPORTED_ACTION' });
    });
  });

  describe('credentials', () => {
    it('reports a wrong password as auth and keeps the password out of the error', async () => {
      const wrong = new AvevaAdapter(
        'aveva-wrong',
        parseAvevaConfig({ baseUrl: sim.url, username: sim.username, password: 'not-the-password-123' }),
      );
      const failure = await failureOf(wrong.read({ object: CELL, parameter: 'FeedRate.SP' }));
      expect(failure.kind).toBe('auth');
      expectNoSecrets(failure, ['not-the-password-123', sim.secrets[0]]);
      await wrong.close();
    });
  });
});

describe('AVEVA configuration', () => {
  it('takes the password from the environment variable it names', () => {
    const config = parseAvevaConfig(
      { baseUrl: 'http://127.0.0.1:18260/', username: 'svc', passwordEnv: 'AVEVA_PASSWORD' },
      { AVEVA_PASSWORD: 'from-env' },
    );
    expect(config.password.reveal()).toBe('from-env');
    expect(config.baseUrl).toBe('http://127.0.0.1:18260');
    expect(config.historianUrl).toBe('http://127.0.0.1:18260');
    expect(JSON.stringify(config)).not.toContain('from-env');
  });

  it('names each bad field, never its value', () => {
    try {
      parseAvevaConfig({ baseUrl: 'ftp://x', password: 'p4ss-w0rd', writesPerSecond: -1 });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TargetConfigError);
      const issues = (error as TargetConfigError).issues;
      expect([...new Set(issues.map((i) => i.path))].sort()).toEqual(['$.baseUrl', '$.username', '$.writesPerSecond']);
      expect(JSON.stringify(issues)).not.toContain('p4ss-w0rd');
    }
  });

  it('names the unset environment variable', () => {
    expect(() => parseAvevaConfig({ baseUrl: 'http://h', username: 'svc', passwordEnv: 'NOT_SET_HERE' }, {})).toThrow(
      /NOT_SET_HERE/,
    );
  });
});
