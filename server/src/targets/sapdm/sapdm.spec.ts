import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TargetWrite } from '../adapter';
import { describeTargetContract, expectNoSecrets, failureOf, harnessFromDefinition } from '../contract-suite';
import { TargetConfigError } from '../target-config';
import { writeAsGateway } from '../write-cycle';
import { SapDmAdapter, SFC_HOLD_STATUS, SFC_RELEASED_STATUS } from './adapter';
import { parseSapDmConfig } from './config';
import { sapDmTarget } from './index';
import { startSapDmSimulator, type SapDmSimulator } from './simulator';

describeTargetContract('sapdm', () => harnessFromDefinition(sapDmTarget));

const SFC = { type: 'material-lot' as const, id: 'SFC-1710-0001' };
const hold = (externalRef: string, details?: Record<string, string>): TargetWrite => ({
  action: 'hold-lot',
  object: SFC,
  externalRef,
  reason: 'vision model: porosity trend on housing face B',
  ...(details ? { details } : {}),
});
const release = (externalRef: string): TargetWrite => ({ ...hold(externalRef), action: 'release-lot' });
const logNc = (externalRef: string): TargetWrite => ({
  action: 'create-quality-event',
  object: SFC,
  externalRef,
  reason: 'porosity above the limit',
  details: { description: 'Porosity on housing face B', code: 'POROSITY' },
});

describe('SAP Digital Manufacturing target', () => {
  let sim: SapDmSimulator;
  let adapter: SapDmAdapter;

  beforeAll(async () => {
    sim = await startSapDmSimulator();
    adapter = new SapDmAdapter(
      'sapdm-test',
      parseSapDmConfig({
        baseUrl: sim.url,
        tokenUrl: `${sim.url}/oauth/token`,
        clientId: sim.clientId,
        clientSecret: sim.secrets[0],
        plant: sim.plant,
        requestTimeoutMs: 300,
        writesPerSecond: 50,
      }),
    );
  });
  afterAll(async () => {
    await adapter.close();
    await sim.close();
  });
  beforeEach(() => sim.reset());

  it('holds an SFC and releases it back into the queue of its operation, each confirmed by read-back', async () => {
    await writeAsGateway(adapter, hold('hold-1', { comment: 'QA: check face B' }));
    expect((await adapter.read({ object: SFC, parameter: 'status' })).value).toBe(SFC_HOLD_STATUS);
    await writeAsGateway(adapter, release('release-1'));
    expect((await adapter.read({ object: SFC, parameter: 'status' })).value).toBe(SFC_RELEASED_STATUS);
    expect(sim.ledger().map((e) => [e.operation, e.externalRef])).toEqual([
      ['HoldSfc', 'hold-1'],
      ['ReleaseSfc', 'release-1'],
    ]);
  });

  it('refuses to release an SFC that is not on hold, and to change a done one, as the MES does', async () => {
    expect(await failureOf(adapter.write(release('not-held')))).toMatchObject({
      kind: 'rejected',
      code: 'MES_SFC_NOT_ON_HOLD',
    });
    const done = { ...hold('done'), object: { type: 'material-lot' as const, id: 'SFC-1710-0003' } };
    expect((await adapter.read(done)).audited).toBe(true);
    expect(await failureOf(adapter.write(done))).toMatchObject({ kind: 'rejected', code: 'MES_SFC_NOT_MODIFIABLE' });
    expect(sim.ledger()).toHaveLength(0);
  });

  it('reports an SFC in work at a resource as locked', async () => {
    sim.lock(SFC.id, 'operator at ASSEMBLY-01');
    expect((await adapter.read({ object: SFC })).locked).toBe(true);
    expect(await failureOf(adapter.write(hold('in-work')))).toMatchObject({ kind: 'locked', code: 'RECORD_LOCKED' });
  });

  it('logs one nonconformance per reference, even when the answer to the first was lost', async () => {
    sim.faults.set({ dropRate: 1 });
    expect(await failureOf(adapter.write(logNc('nc-1')))).toMatchObject({ kind: 'unknown' });
    sim.faults.clear();
    const retried = await adapter.write(logNc('nc-1'));
    expect(sim.nonconformancesWithRef('nc-1')).toHaveLength(1);
    expect(sim.nonconformancesWithRef('nc-1')[0].fields).toMatchObject({ code: 'POROSITY', sfc: SFC.id });
    expect(retried.mesTransactionId).toBe(sim.nonconformancesWithRef('nc-1')[0].fields.incidentNumber);
  });

  it('fetches a new token once when the MES forgot the old one', async () => {
    await adapter.read({ object: SFC });
    sim.revokeTokens();
    expect((await adapter.read({ object: SFC })).value).toBe('IN_QUEUE');
  });

  it('names each bad connection field and never echoes the secret', () => {
    let error: unknown;
    try {
      parseSapDmConfig({
        baseUrl: 'not a url',
        tokenUrl: sim.url,
        clientId: '',
        clientSecret: 's3cret',
        plant: 'no plant!',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TargetConfigError);
    expect((error as TargetConfigError).issues.map((i) => i.path).sort()).toEqual([
      '$.baseUrl',
      '$.clientId',
      '$.plant',
    ]);
    expectNoSecrets(error, ['s3cret']);
  });
});
