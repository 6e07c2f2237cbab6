import type { ParameterValue } from '@loopgate/contracts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  TargetError,
  type TargetAdapter,
  type TargetAddress,
  type TargetDefinition,
  type TargetFailureKind,
  type MesLogEvent,
  type TargetWrite,
} from './adapter';
import type { HttpSimulator, RunningSimulator, TargetSample } from './sim-kit';
import { lockIfNeeded, readBackOf, releaseIfHeld, writeAsGateway } from './write-cycle';

export { lockIfNeeded, readBackOf, releaseIfHeld, writeAsGateway };

/*
 * The contract every target adapter passes against its simulator. A target's spec calls
 * `describeTargetContract(name, () => harnessFromDefinition(definition))`; the suite drives the
 * adapter the way the gateway does (lock → write → release, read-back, read-before-retry) and
 * injects faults through the simulator's control handle.
 */

export interface ContractHarness {
  adapter: TargetAdapter;
  simulator: RunningSimulator;
  sample: TargetSample;
  /** The adapter's request timeout; the suite injects latency well above it. */
  requestTimeoutMs: number;
  /** Credentials the adapter holds; no error may contain them. */
  secrets: readonly string[];
  close(): Promise<void>;
}

/** Starts a definition's simulator and builds an adapter pointed at it with a short request timeout. */
export async function harnessFromDefinition(
  definition: TargetDefinition,
  options: { requestTimeoutMs?: number; instance?: string } = {},
): Promise<ContractHarness> {
  const simDefinition = definition.simulator;
  if (!simDefinition) throw new Error(`target ${definition.kind} has no simulator`);
  const requestTimeoutMs = options.requestTimeoutMs ?? 400;
  const simulator = await simDefinition.start({ port: 0 });
  const config = definition.parseConfig(simDefinition.connection(simulator, { requestTimeoutMs }));
  const adapter = definition.create(options.instance ?? `${definition.kind}-contract`, config);
  return {
    adapter,
    simulator,
    sample: simDefinition.sample,
    requestTimeoutMs,
    secrets: simulator.secrets,
    close: async () => {
      await adapter.close();
      await simulator.close();
    },
  };
}

/** The failure `promise` ends with, asserting it is a `TargetError`. */
export async function failureOf(promise: Promise<unknown>): Promise<TargetError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(TargetError);
    return error as TargetError;
  }
  throw new Error('expected a TargetError, but the call succeeded');
}

/** Asserts no credential appears anywhere in an error: message, JSON, stack, cause. */
export function expectNoSecrets(error: unknown, secrets: readonly string[]): void {
  const e = error as Error & { cause?: unknown };
  const surfaces = [String(e), e.message, e.stack ?? '', JSON.stringify(e), JSON.stringify(e.cause ?? null)];
  for (const secret of secrets) {
    for (const surface of surfaces) expect(surface).not.toContain(secret);
  }
}

let refCounter = 0;
function ref(label: string): string {
  refCounter += 1;
  return `contract-${label}-${process.pid}-${refCounter}`;
}

/**
 * The shared contract suite. `setup` starts the simulator and builds the adapter once; the suite
 * resets the simulator before each test.
 *
 * @example
 * describeTargetContract('opcenter', () => harnessFromDefinition(opcenterTarget));
 */
export function describeTargetContract(name: string, setup: () => Promise<ContractHarness>): void {
  describe(`target contract: ${name}`, () => {
    let h: ContractHarness;
    const apiEntries = () => h.simulator.ledger().filter((e) => e.source === 'api');
    const entriesFor = (externalRef: string) => apiEntries().filter((e) => e.externalRef === externalRef);
    const write = (i: number, label: string) => h.sample.write(h.sample.value(i), ref(label));
    const readValue = async (address: TargetAddress) => (await h.adapter.read(address)).value;
    const expected = (command: TargetWrite) => {
      const readBack = readBackOf(h.adapter, command);
      if (!readBack) throw new Error(`the sample write of ${name} has no read-back`);
      return readBack;
    };

    /** Takes the lock (if any) before the fault, writes under the fault, clears it, releases. */
    async function writeUnderFault(command: TargetWrite, fault: Parameters<RunningSimulator['faults']['set']>[0]) {
      const lock = await lockIfNeeded(h.adapter, command);
      h.simulator.faults.set(fault);
      const outcome = await failureOf(h.adapter.write({ ...command, lock }));
      h.simulator.faults.clear();
      await releaseIfHeld(h.adapter, command, lock);
      return outcome;
    }

    beforeAll(async () => {
      h = await setup();
    });
    afterAll(async () => {
      await h?.close();
    });
    beforeEach(() => {
      h.simulator.reset();
    });

    it('reads the prior value of an open record', async () => {
      const read = await h.adapter.read(h.sample.address);
      expect(read).toMatchObject({ value: h.sample.seeded, locked: false, audited: false });
    });

    it('applies a write once, recorded in the simulator ledger with its external reference', async () => {
      const command = write(0, 'apply');
      await writeAsGateway(h.adapter, command);
      const entries = entriesFor(command.externalRef);
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ source: 'api' });
    });

    it('confirms a write by read-back', async () => {
      const command = write(0, 'readback');
      await writeAsGateway(h.adapter, command);
      const { address, value } = expected(command);
      expect(await readValue(address)).toEqual(value);
    });

    it('applies successive writes in the order given', async () => {
      const commands = [write(0, 'order'), write(1, 'order'), write(2, 'order')];
      for (const command of commands) await writeAsGateway(h.adapter, command);
      expect(apiEntries().map((e) => e.externalRef)).toEqual(commands.map((c) => c.externalRef));
      expect(await readValue(expected(commands[2]).address)).toEqual(expected(commands[2]).value);
    });

    it('reads an operator hand edit as the current value', async () => {
      const edited: ParameterValue = h.sample.value(7);
      h.simulator.operatorEdit(h.sample.simObject, h.sample.simParameter, edited);
      expect(await readValue(h.sample.address)).toEqual(edited);
    });

    it('reports a record whose lock the operator console holds as locked and refuses to write it', async () => {
      h.simulator.lock(h.sample.simObject, 'operator-console');
      expect((await h.adapter.read(h.sample.address)).locked).toBe(true);
      const failure = await failureOf(writeAsGateway(h.adapter, write(0, 'console-lock')));
      expect(failure.kind).toBe<TargetFailureKind>('locked');
      expect(apiEntries()).toHaveLength(0);
    });

    it('reports a record locked in the MES as locked and refuses to write it', async () => {
      h.simulator.setRecordState(h.sample.simObject, 'locked');
      expect((await h.adapter.read(h.sample.address)).locked).toBe(true);
      const failure = await failureOf(writeAsGateway(h.adapter, write(0, 'record-lock')));
      expect(failure.kind).toBe<TargetFailureKind>('locked');
      expect(apiEntries()).toHaveLength(0);
    });

    it('reports an audited or closed record as audited and the MES refuses to write it', async () => {
      h.simulator.setRecordState(h.sample.simObject, 'closed');
      expect((await h.adapter.read(h.sample.address)).audited).toBe(true);
      const failure = await failureOf(writeAsGateway(h.adapter, write(0, 'closed')));
      expect(failure.kind).toBe<TargetFailureKind>('rejected');
      expect(apiEntries()).toHaveLength(0);
    });

    it('reports a 5xx as transient and applies nothing', async () => {
      const failure = await writeUnderFault(write(0, 'http503'), { errorRate: 1 });
      expect(failure.kind).toBe<TargetFailureKind>('transient');
      expect(apiEntries()).toHaveLength(0);
    });

    it('applies a command exactly once when a retry follows a transient failure', async () => {
      const command = write(0, 'retry');
      await writeUnderFault(command, { errorRate: 1 });
      await writeAsGateway(h.adapter, command);
      expect(entriesFor(command.externalRef)).toHaveLength(1);
      expect(await readValue(expected(command).address)).toEqual(expected(command).value);
    });

    it('reports a read during a 5xx as transient', async () => {
      h.simulator.faults.set({ errorRate: 1 });
      const failure = await failureOf(h.adapter.read(h.sample.address));
      expect(failure.kind).toBe<TargetFailureKind>('transient');
    });

    it('reports refused credentials as auth, without retrying, and keeps them out of the error', async () => {
      await h.adapter.read(h.sample.address); // a session or token exists before the credentials are revoked
      const before = h.simulator.requestCount();
      const command = write(0, 'auth');
      const failure = await writeUnderFault(command, { authFailure: true });
      expect(failure.kind).toBe<TargetFailureKind>('auth');
      // One attempt, plus at most one token refresh and its retry: never a retry loop.
      expect(h.simulator.requestCount() - before).toBeLessThanOrEqual(3);
      expect(apiEntries()).toHaveLength(0);
      expectNoSecrets(failure, h.secrets);
    });

    it('recovers once the credentials are accepted again', async () => {
      await writeUnderFault(write(0, 'auth-recover'), { authFailure: true });
      const command = write(1, 'auth-recover');
      await writeAsGateway(h.adapter, command);
      expect(entriesFor(command.externalRef)).toHaveLength(1);
    });

    it('reports a timeout after sending as unknown; a read then shows the write landed', async () => {
      const command = write(0, 'timeout');
      const failure = await writeUnderFault(command, { latencyMs: h.requestTimeoutMs * 3 });
      expect(failure.kind).toBe<TargetFailureKind>('unknown');
      expect(await readValue(expected(command).address)).toEqual(expected(command).value);
      expect(entriesFor(command.externalRef)).toHaveLength(1);
    });

    it('reports a connection dropped after sending as unknown; a read then shows the write landed', async () => {
      const command = write(0, 'drop');
      const failure = await writeUnderFault(command, { dropRate: 1 });
      expect(failure.kind).toBe<TargetFailureKind>('unknown');
      expect(await readValue(expected(command).address)).toEqual(expected(command).value);
      expect(entriesFor(command.externalRef)).toHaveLength(1);
    });

    it('reports health, and unhealthy while the MES fails', async () => {
      expect((await h.adapter.health()).healthy).toBe(true);
      h.simulator.faults.set({ errorRate: 1 });
      const health = await h.adapter.health();
      expect(health.healthy).toBe(false);
      expect(health.message).toBeTruthy();
    });

    it('declares a positive client-side rate limit', () => {
      expect(h.adapter.rateLimit).toBeGreaterThan(0);
      expect(Number.isFinite(h.adapter.rateLimit)).toBe(true);
    });

    it('keeps credentials out of JSON and inspection of the adapter', async () => {
      const { inspect } = await import('node:util');
      const surfaces = [inspect(h.adapter, { depth: 8 }), JSON.stringify(h.adapter)];
      for (const secret of h.secrets) for (const surface of surfaces) expect(surface).not.toContain(secret);
    });

    describe('locks', () => {
      it('acquires, writes under the lock and releases it so the next acquire succeeds', async () => {
        if (!h.adapter.capabilities.locks) {
          expect(h.adapter.acquireLock).toBeUndefined();
          return;
        }
        const command = write(0, 'lock-cycle');
        await writeAsGateway(h.adapter, command);
        const again = await lockIfNeeded(h.adapter, command);
        expect(again?.token).toBeTruthy();
        expect(again?.expiresAt).toBeGreaterThan(Date.now());
        await releaseIfHeld(h.adapter, command, again);
        expect(entriesFor(command.externalRef)).toHaveLength(1);
      });
    });

    describe('creates', () => {
      const create = (label: string) => {
        const command = h.sample.create?.(ref(label));
        if (!command) throw new Error(`${name} declares idempotentCreate without a sample create`);
        return command;
      };

      it('finds nothing for an external reference never used', async () => {
        if (!h.adapter.capabilities.idempotentCreate) {
          expect(h.sample.create).toBeUndefined();
          return;
        }
        expect(await h.adapter.findCreated!(ref('never'))).toBeNull();
      });

      it('finds what a create made by its external reference', async () => {
        if (!h.adapter.capabilities.idempotentCreate) return;
        const command = create('find');
        const created = await writeAsGateway(h.adapter, command);
        const found = await h.adapter.findCreated!(command.externalRef);
        expect(found).not.toBeNull();
        expect(found?.mesTransactionId).toEqual(created.mesTransactionId);
      });

      it('does not duplicate a create whose answer was lost: findCreated finds the first', async () => {
        if (!h.adapter.capabilities.idempotentCreate) return;
        const command = create('lost');
        const failure = await writeUnderFault(command, { dropRate: 1 });
        expect(failure.kind).toBe<TargetFailureKind>('unknown');
        // The gateway's read-before-retry: look the reference up; found means do not create again.
        const found = await h.adapter.findCreated!(command.externalRef);
        expect(found).not.toBeNull();
        expect(entriesFor(command.externalRef)).toHaveLength(1);
      });

      it('does not duplicate a create retried after a timeout with the same external reference', async () => {
        if (!h.adapter.capabilities.idempotentCreate) return;
        const command = create('retried');
        await writeUnderFault(command, { latencyMs: h.requestTimeoutMs * 3 });
        const retried = await h.adapter.findCreated!(command.externalRef);
        if (retried === null) await writeAsGateway(h.adapter, command);
        expect(entriesFor(command.externalRef)).toHaveLength(1);
      });

      describe('event log', () => {
        const event = (id: string): MesLogEvent => ({
          id,
          type: 'loopgate.writeback.applied',
          time: new Date().toISOString(),
          summary: `applied: contract event ${id}`,
          data: { sequence: 1, outcome: 'applied', hash: 'ab'.repeat(32), nested: { value: 1200 } },
        });
        const logOf = () => (h.simulator as Partial<HttpSimulator>).eventLog?.() ?? [];

        it('records an event once, with what was sent; sending it again is not an error', async () => {
          if (!h.adapter.logEvent) return;
          const sent = event(`contract-${Date.now()}`);
          await h.adapter.logEvent(sent);
          await h.adapter.logEvent(sent);
          const logged = logOf().filter((e) => e.id === sent.id);
          expect(logged).toHaveLength(1);
          expect(logged[0]).toMatchObject({ time: sent.time, summary: sent.summary, data: sent.data });
          // In the log's type field, or (where the MES's type is a fixed domain value) with the data.
          expect(JSON.stringify(logged[0])).toContain(sent.type);
          expect(h.simulator.ledger().filter((e) => e.source === 'api')).toEqual([]);
        });

        it('reports an event-log outage as a failure to retry, while writes still land', async () => {
          if (!h.adapter.logEvent) return;
          h.simulator.faults.set({ eventLogDown: true });
          const failure = await failureOf(h.adapter.logEvent(event(`contract-down-${Date.now()}`)));
          expect(['transient', 'unknown']).toContain(failure.kind);
          await writeAsGateway(h.adapter, h.sample.write(h.sample.value(0), `ext-${Date.now()}`));
          expect(h.simulator.ledger().filter((e) => e.source === 'api')).toHaveLength(1);
          expect(logOf()).toEqual([]);
        });
      });
    });
  });
}
