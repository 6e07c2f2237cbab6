import type { ParameterValue, TargetDescription, TargetKind, WriteBackAction } from '@loopgate/contracts';
import { WRITE_BACK_ACTIONS } from '@loopgate/contracts';
import {
  TargetError,
  type ReadResult,
  type TargetAdapter,
  type TargetAddress,
  type TargetCapabilities,
  type TargetLock,
  type TargetWrite,
  type WriteResult,
} from '../../targets/adapter';

/** A fault the fake MES injects into the next write (or lock acquisition). */
export type FakeFault =
  /** Fails before anything is applied (a 503). */
  | 'transient'
  /** Applies, then the answer is lost (a timeout after the MES acted). */
  | 'unknown-landed'
  /** Times out before anything is applied. */
  | 'unknown-lost'
  /** Answers success but applies nothing (silent throttling). */
  | 'drop'
  /** The MES refuses the write. */
  | 'rejected'
  /** The lock is held by someone else. */
  | 'locked';

export interface FakeLedgerEntry {
  seq: number;
  key: string;
  value: ParameterValue | null;
  externalRef: string;
  source: 'api' | 'operator';
}

export interface FakeTargetOptions {
  instance?: string;
  kind?: TargetKind;
  capabilities?: Partial<TargetCapabilities>;
  /** A real target's description: its adapters expose it, so the gateway judges commands by it at intake. */
  description?: TargetDescription;
  /** Decides a fault per write; `undefined` for none. Scripted faults (`failNext`) go first. */
  faults?: (write: TargetWrite) => FakeFault | undefined;
  /** Answer delay in ms (0: next microtask). */
  latencyMs?: () => number;
}

const addressKey = (address: TargetAddress) => `${address.object.type}|${address.object.id}|${address.parameter ?? ''}`;

/**
 * An in-memory MES for gateway tests: values, record states, locks, creates with external
 * references, an ordered ledger of what it applied, injected faults and operator edits.
 * `connect()` hands out adapters; `kill()` on one makes its later calls hang, like a crashed process.
 */
export class FakeTarget {
  readonly instance: string;
  readonly kind: TargetKind;
  readonly capabilities: TargetCapabilities;
  readonly description?: TargetDescription;
  readonly values = new Map<string, ParameterValue | null>();
  readonly records = new Map<string, { locked?: boolean; audited?: boolean }>();
  readonly ledger: FakeLedgerEntry[] = [];
  readonly created = new Map<string, WriteResult>();
  readonly calls = { read: 0, write: 0, acquireLock: 0, releaseLock: 0, findCreated: 0, health: 0 };
  private readonly scripted: FakeFault[] = [];
  private readonly lockHolders = new Map<string, string>();
  private seq = 0;
  private failingReads = 0;
  /** While set, health checks answer unhealthy with this message. */
  unhealthy: string | undefined;
  /** @internal Per address, the user the MES names for the last hand edit. */
  readonly changedBy = new Map<string, string>();

  constructor(private readonly options: FakeTargetOptions = {}) {
    this.instance = options.instance ?? 'fake-1';
    this.kind = options.kind ?? 'opcenter';
    this.capabilities = {
      actions: WRITE_BACK_ACTIONS as unknown as WriteBackAction[],
      readBack: true,
      locks: false,
      idempotentCreate: true,
      ...options.capabilities,
    };
    if (options.description) this.description = options.description;
  }

  /** The next writes (or lock acquisitions) fail with these faults, in order. */
  failNext(...faults: FakeFault[]): void {
    this.scripted.push(...faults);
  }

  /** The next `count` reads answer 503 (confirming reads failing while writes land). */
  failReadsNext(count: number): void {
    this.failingReads = Math.max(0, this.failingReads + count);
  }

  /** @internal Whether this read fails. */
  readFails(): boolean {
    if (this.failingReads === 0) return false;
    this.failingReads -= 1;
    return true;
  }

  /** A hand edit at the operator console; `user` is what the MES reports as the one who changed it, if anything. */
  operatorSet(address: TargetAddress, value: ParameterValue | null, user?: string): void {
    this.values.set(addressKey(address), value);
    if (user) this.changedBy.set(addressKey(address), user);
    else this.changedBy.delete(addressKey(address));
    this.ledger.push({ seq: ++this.seq, key: addressKey(address), value, externalRef: 'operator', source: 'operator' });
  }

  set(address: TargetAddress, value: ParameterValue | null): void {
    this.values.set(addressKey(address), value);
  }

  get(address: TargetAddress): ParameterValue | null | undefined {
    return this.values.get(addressKey(address));
  }

  /** What the API applied to `address`, in order. */
  appliedTo(address: TargetAddress): FakeLedgerEntry[] {
    return this.ledger.filter((e) => e.source === 'api' && e.key === addressKey(address));
  }

  connect(): FakeTargetAdapter {
    return new FakeTargetAdapter(this);
  }

  /** @internal */
  nextFault(write: TargetWrite, forLock: boolean): FakeFault | undefined {
    const next = this.scripted[0];
    if (next !== undefined && (next === 'locked') === forLock) return this.scripted.shift();
    if (forLock) return undefined;
    return this.options.faults?.(write);
  }

  /** @internal */
  apply(write: TargetWrite): WriteResult {
    const transactionId = `TX-${++this.seq}`;
    if (write.action === 'create-maintenance-work-order' || write.action === 'create-quality-event') {
      const result = { mesTransactionId: transactionId, appliedValue: write.externalRef };
      this.created.set(write.externalRef, result);
      this.ledger.push({
        seq: this.seq,
        key: `create|${write.action}`,
        value: write.externalRef,
        externalRef: write.externalRef,
        source: 'api',
      });
      return result;
    }
    const key = addressKey(write);
    const value = write.value ?? null;
    this.values.set(key, value);
    this.changedBy.delete(key);
    this.ledger.push({ seq: this.seq, key, value, externalRef: write.externalRef, source: 'api' });
    return { mesTransactionId: transactionId, appliedValue: value };
  }

  /** @internal */
  delay(): Promise<void> {
    const ms = this.options.latencyMs?.() ?? 0;
    return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
  }

  /** @internal */
  lock(address: TargetAddress, holder: string): TargetLock {
    const key = addressKey(address);
    const current = this.lockHolders.get(key);
    if (current && current !== holder)
      throw new TargetError('locked', 'LOCKED', `record locked by ${current}`, { heldBy: current });
    this.lockHolders.set(key, holder);
    return { token: `${holder}@${key}`, expiresAt: Date.now() + 30_000 };
  }

  /** @internal */
  unlock(address: TargetAddress): void {
    this.lockHolders.delete(addressKey(address));
  }

  isLocked(address: TargetAddress): boolean {
    return this.lockHolders.has(addressKey(address));
  }

  /** Holds a record's lock as the operator console does, until `releaseOperatorLock`. */
  holdOperatorLock(address: TargetAddress): void {
    this.lockHolders.set(addressKey(address), 'operator-console');
  }

  releaseOperatorLock(address: TargetAddress): void {
    if (this.lockHolders.get(addressKey(address)) === 'operator-console') this.lockHolders.delete(addressKey(address));
  }
}

const NEVER = new Promise<never>(() => undefined);

/** One connection to a FakeTarget. */
export class FakeTargetAdapter implements TargetAdapter {
  readonly kind: TargetKind;
  readonly instance: string;
  readonly capabilities: TargetCapabilities;
  readonly description?: TargetDescription;
  readonly rateLimit = 1_000_000;
  private dead = false;

  constructor(private readonly target: FakeTarget) {
    this.kind = target.kind;
    this.instance = target.instance;
    this.capabilities = target.capabilities;
    if (target.description) this.description = target.description;
  }

  /** Simulates the gateway process dying: calls already made may land, no answer comes back. */
  kill(): void {
    this.dead = true;
  }

  async read(address: TargetAddress): Promise<ReadResult> {
    if (this.dead) return NEVER;
    this.target.calls.read += 1;
    if (this.target.readFails()) throw new TargetError('transient', 'HTTP_503', 'service unavailable');
    const record = this.target.records.get(address.object.id) ?? {};
    const value = this.target.get(address);
    await this.target.delay();
    if (this.dead) return NEVER;
    const changedBy = this.target.changedBy.get(addressKey(address));
    return {
      value: value === undefined ? null : value,
      locked: record.locked ?? false,
      audited: record.audited ?? false,
      ...(changedBy ? { changedBy } : {}),
    };
  }

  async write(command: TargetWrite): Promise<WriteResult> {
    if (this.dead) return NEVER;
    this.target.calls.write += 1;
    const fault = this.target.nextFault(command, false);
    let result: WriteResult | undefined;
    if (fault === 'transient') throw new TargetError('transient', 'HTTP_503', 'service unavailable');
    if (fault === 'rejected') throw new TargetError('rejected', 'NOT_WRITABLE', 'the MES refused the write');
    if (fault === 'unknown-lost') {
      await this.target.delay();
      throw new TargetError('unknown', 'TIMEOUT', 'no answer');
    }
    if (fault !== 'drop') result = this.target.apply(command);
    await this.target.delay();
    if (this.dead) return NEVER;
    if (fault === 'unknown-landed') throw new TargetError('unknown', 'TIMEOUT', 'no answer');
    return result ?? { mesTransactionId: 'TX-dropped' };
  }

  async findCreated(externalRef: string): Promise<WriteResult | null> {
    if (this.dead) return NEVER;
    this.target.calls.findCreated += 1;
    await this.target.delay();
    return this.target.created.get(externalRef) ?? null;
  }

  async acquireLock(address: TargetAddress): Promise<TargetLock> {
    if (this.dead) return NEVER;
    this.target.calls.acquireLock += 1;
    const fault = this.target.nextFault({ ...address, action: 'set-parameter', externalRef: '', reason: '' }, true);
    if (fault === 'locked')
      throw new TargetError('locked', 'LOCKED', 'lock held by the operator console', { heldBy: 'operator-console' });
    return this.target.lock(address, 'gateway');
  }

  async releaseLock(address: TargetAddress, _lock: TargetLock): Promise<void> {
    if (this.dead) return NEVER;
    this.target.calls.releaseLock += 1;
    this.target.unlock(address);
  }

  async health() {
    this.target.calls.health += 1;
    const message = this.target.unhealthy;
    return message ? { healthy: false, message } : { healthy: true };
  }

  async close(): Promise<void> {
    this.dead = true;
  }
}
