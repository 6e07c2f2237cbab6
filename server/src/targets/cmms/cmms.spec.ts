import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TargetWrite } from '../adapter';
import { describeTargetContract, expectNoSecrets, failureOf, harnessFromDefinition } from '../contract-suite';
import { TargetConfigError } from '../target-config';
import { CmmsAdapter } from './adapter';
import { parseCmmsConfig } from './config';
import { cmmsTarget } from './index';
import { maximoRestId as simRestId, parseOslcWhere, startCmmsSimulator, type CmmsSimulator } from './simulator';
import { maximoRestId } from './transport';

describeTargetContract('cmms', () => harnessFromDefinition(cmmsTarget));

const createPm = (externalRef: string, asset = 'PUMP-101'): TargetWrite => ({
  action: 'create-maintenance-work-order',
  object: { type: 'equipment', id: asset },
  externalRef,
  reason: 'MTBF pattern suggests imminent bearing failure',
  details: { description: 'Replace coolant pump bearing', priority: 2 },
});

const setStatus = (wonum: string, status: string, externalRef: string): TargetWrite => ({
  action: 'update-work-order-status',
  object: { type: 'work-order', id: wonum },
  parameter: 'status',
  value: status,
  externalRef,
  reason: 'planner approval',
});

describe('CMMS target', () => {
  let sim: CmmsSimulator;
  let adapter: CmmsAdapter;
  const timeoutMs = 300;

  beforeAll(async () => {
    sim = await startCmmsSimulator();
    adapter = new CmmsAdapter(
      'cmms-test',
      parseCmmsConfig({
        baseUrl: sim.url,
        siteId: sim.siteId,
        apiKey: sim.secrets[0],
        requestTimeoutMs: timeoutMs,
        writesPerSecond: 50,
      }),
    );
  });
  afterAll(async () => {
    await adapter.close();
    await sim.close();
  });
  beforeEach(() => sim.reset());

  describe('creates with an external reference', () => {
    it('creates a preventive maintenance work order for the asset, waiting for approval', async () => {
      const result = await adapter.write(createPm('pm-1'));
      const [workOrder] = sim.workOrdersWithRef('pm-1');
      expect(result.mesTransactionId).toBe(workOrder.id);
      expect(workOrder.fields).toMatchObject({
        assetnum: 'PUMP-101',
        siteid: 'BEDFORD',
        worktype: 'PM',
        status: 'WAPPR',
        wopriority: 2,
        description: 'Replace coolant pump bearing',
        externalrefid: 'pm-1',
      });
    });

    it('yields one work order when a create is retried after its connection dropped', async () => {
      sim.faults.set({ dropRate: 1 });
      const failure = await failureOf(adapter.write(createPm('pm-dropped')));
      sim.faults.clear();
      expect(failure).toMatchObject({ kind: 'unknown', code: 'CONNECTION_DROPPED' });
      expect(sim.workOrdersWithRef('pm-dropped')).toHaveLength(1);

      // A blind retry with the same reference, as a dispatcher that skipped read-before-retry would send.
      const retried = await adapter.write(createPm('pm-dropped'));
      expect(sim.workOrdersWithRef('pm-dropped')).toHaveLength(1);
      expect(retried.mesTransactionId).toBe(sim.workOrdersWithRef('pm-dropped')[0].id);
      expect(sim.ledger().filter((e) => e.operation === 'CreateWorkOrder')).toHaveLength(1);
    });

    it('yields one work order when a create is retried after a timeout', async () => {
      sim.faults.set({ latencyMs: timeoutMs * 3 });
      // The lookup before the create times out too: nothing was sent, so the failure is transient.
      const failure = await failureOf(adapter.write(createPm('pm-slow')));
      sim.faults.clear();
      expect(failure.kind).toBe('transient');
      await adapter.write(createPm('pm-slow'));
      await adapter.write(createPm('pm-slow'));
      expect(sim.workOrdersWithRef('pm-slow')).toHaveLength(1);
    });

    it('finds the first work order of a reference even when the CMMS holds a duplicate', async () => {
      const first = await adapter.write(createPm('pm-dup'));
      // Another client created a second work order with the same reference (Maximo allows that).
      await fetch(`${sim.url}/maximo/oslc/os/mxwo?lean=1`, {
        method: 'POST',
        headers: { apikey: sim.secrets[0], 'content-type': 'application/json' },
        body: JSON.stringify({ siteid: 'BEDFORD', assetnum: 'PUMP-101', externalrefid: 'pm-dup' }),
      });
      expect(sim.workOrdersWithRef('pm-dup')).toHaveLength(2);
      expect((await adapter.findCreated('pm-dup'))?.mesTransactionId).toBe(first.mesTransactionId);
    });

    it('rejects a create for an asset the CMMS does not know, and creates nothing', async () => {
      const failure = await failureOf(adapter.write(createPm('pm-unknown', 'NO-SUCH-ASSET')));
      expect(failure).toMatchObject({ kind: 'rejected', code: 'MES_REJECTED' });
      expect(failure.message).toContain('BMXAA4153E');
      expect(sim.workOrdersWithRef('pm-unknown')).toHaveLength(0);
    });

    it('refuses an external reference Maximo cannot query, before sending', async () => {
      const before = sim.requestCount();
      const failure = await failureOf(adapter.write(createPm('bad"ref')));
      expect(failure).toMatchObject({ kind: 'rejected', code: 'INVALID_COMMAND' });
      expect(sim.requestCount()).toBe(before);
    });
  });

  describe('status changes', () => {
    it('changes the status of a created work order, confirmed by read-back', async () => {
      const { mesTransactionId } = await adapter.write(createPm('pm-approve'));
      const command = setStatus(mesTransactionId!, 'APPR', 'approve-1');
      await adapter.write(command);
      const expected = adapter.expectedAfter(command)!;
      expect(await adapter.read(expected.address)).toEqual({ value: 'APPR', locked: false, audited: false });
    });

    it('reports a closed work order as audited and the CMMS refuses to change it', async () => {
      sim.operatorEdit('1002', 'status', 'CLOSE');
      expect((await adapter.read({ object: { type: 'work-order', id: '1002' } })).audited).toBe(true);
      const failure = await failureOf(adapter.write(setStatus('1002', 'INPRG', 'reopen')));
      expect(failure).toMatchObject({ kind: 'rejected', code: 'MES_REJECTED' });
    });

    it('rejects an unknown status', async () => {
      const failure = await failureOf(adapter.write(setStatus('1001', 'DONE', 'unknown-status')));
      expect(failure.kind).toBe('rejected');
      expect(failure.message).toContain('BMXAA4192E');
    });

    it('reports an unknown work order as NOT_FOUND', async () => {
      const failure = await failureOf(adapter.read({ object: { type: 'work-order', id: '999999' } }));
      expect(failure).toMatchObject({ kind: 'rejected', code: 'NOT_FOUND' });
    });

    it('addresses a work order by the same REST id as the CMMS', () => {
      expect(maximoRestId('BEDFORD', '1001')).toBe(simRestId('BEDFORD', '1001'));
    });
  });

  describe('connection and credentials', () => {
    it('reports a wrong API key as auth, once, and keeps the key out of the error', async () => {
      const wrong = new CmmsAdapter(
        'cmms-wrong',
        parseCmmsConfig({ baseUrl: sim.url, siteId: 'BEDFORD', apiKey: 'wrong-key-0123456789' }),
      );
      const before = sim.requestCount();
      const failure = await failureOf(wrong.write(createPm('pm-auth')));
      expect(failure.kind).toBe('auth');
      expect(sim.requestCount() - before).toBe(1);
      expectNoSecrets(failure, ['wrong-key-0123456789']);
      await wrong.close();
    });

    it('reports a CMMS that refuses connections as transient', async () => {
      const gone = await startCmmsSimulator();
      const url = gone.url;
      await gone.close();
      const offline = new CmmsAdapter(
        'cmms-offline',
        parseCmmsConfig({ baseUrl: url, siteId: 'BEDFORD', apiKey: 'k' }),
      );
      const failure = await failureOf(offline.write(createPm('pm-offline')));
      expect(failure).toMatchObject({ kind: 'transient', code: 'CONNECTION_REFUSED' });
      expect((await offline.health()).healthy).toBe(false);
      await offline.close();
    });
  });
});

describe('CMMS simulator query syntax', () => {
  it('parses attr="value" clauses joined by and', () => {
    expect(parseOslcWhere('siteid="BEDFORD" and externalrefid="cmd-1"')).toEqual({
      siteid: 'BEDFORD',
      externalrefid: 'cmd-1',
    });
  });

  it('refuses other operators', () => {
    expect(() => parseOslcWhere('wopriority>2')).toThrow(/unsupported/);
  });
});

describe('CMMS configuration', () => {
  it('takes the API key from the environment variable it names and defaults the work type to PM', () => {
    const config = parseCmmsConfig(
      { baseUrl: 'http://127.0.0.1:18261/', siteId: 'BEDFORD', apiKeyEnv: 'MAXIMO_API_KEY' },
      { MAXIMO_API_KEY: 'key-from-env' },
    );
    expect(config.apiKey.reveal()).toBe('key-from-env');
    expect(config.workType).toBe('PM');
    expect(config.baseUrl).toBe('http://127.0.0.1:18261');
    expect(JSON.stringify(config)).not.toContain('key-from-env');
  });

  it('names each bad field', () => {
    try {
      parseCmmsConfig({ baseUrl: 'not a url', siteId: 'bedford site', apiKey: 'k', extra: 1 });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TargetConfigError);
      const paths = [...new Set((error as TargetConfigError).issues.map((i) => i.path))].sort();
      expect(paths).toEqual(['$.baseUrl', '$.extra', '$.siteId']);
    }
  });

  it('requires an API key or the name of its environment variable', () => {
    expect(() => parseCmmsConfig({ baseUrl: 'http://h', siteId: 'BEDFORD' }, {})).toThrow(TargetConfigError);
  });
});
