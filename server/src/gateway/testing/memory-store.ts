import type { AuditRecord, CommandState } from '@loopgate/contracts';
import { GENESIS_HASH, sealRecord } from '../domain/audit-chain';
import { isInQueue, type Command } from '../domain/command';
import { judgeAdmission, type AdmissionState } from '../domain/guardrails';
import type { KeyWriteState } from '../domain/override-detection';
import {
  CommandConflictError,
  type CommitResult,
  type GatewayStore,
  type KeyClaim,
  type OutboxRow,
  type RelayStep,
  type StoreChange,
} from '../engine/ports';

const clone = <T>(value: T): T => structuredClone(value);

/**
 * An in-memory GatewayStore for engine unit tests: each commit is one atomic step. Several engines
 * on one store stand for gateway processes on one database: the relay lock and key claims hold
 * across them.
 */
export class MemoryGatewayStore implements GatewayStore {
  readonly commands = new Map<string, Command>();
  readonly audit: AuditRecord[] = [];
  readonly outbox: OutboxRow[] = [];
  readonly keyStates = new Map<string, KeyWriteState>();
  readonly control = new Map<string, unknown>();
  private readonly admissions = new Map<string, AdmissionState & { expiresAt: number }>();
  private seq = 0;
  private relayLocked = false;
  /** How often a relay step found the outbox lock held by another relay (and stepped back). */
  relayLockRefusals = 0;
  private readonly claimed = new Map<string, { done: Promise<void>; end: () => void }>();
  private readonly claimWaiting = new Map<string, number>();
  /** Makes the next commits fail, as a database that is down. */
  failCommits = false;

  async commit(changes: StoreChange[]): Promise<CommitResult> {
    await Promise.resolve();
    if (this.failCommits) throw new Error('database unavailable');
    if (changes.some((change) => change.kind === 'rows'))
      throw new Error('the memory store has no tables for row changes');
    const states = new Map<string, CommandState>();
    // A request id names one command, as the databases' unique index has it.
    const requestIds = new Map<string, string>();
    for (const change of changes) {
      if (change.kind !== 'command') continue;
      const { id, requestId } = change.command;
      const owner = requestIds.get(requestId) ?? [...this.commands.values()].find((c) => c.requestId === requestId)?.id;
      if (owner !== undefined && owner !== id) throw new Error(`request id ${requestId} is taken by command ${owner}`);
      requestIds.set(requestId, id);
    }
    for (const change of changes) {
      if (change.kind !== 'command') continue;
      const current = states.get(change.command.id) ?? this.commands.get(change.command.id)?.state;
      if (change.expectState !== undefined && current !== change.expectState) {
        throw new CommandConflictError(change.command.id, change.expectState, current);
      }
      states.set(change.command.id, change.command.state);
    }
    // Admissions are judged before anything is written: a refused one leaves the commit unwritten.
    const admitted = new Map<string, AdmissionState & { expiresAt: number }>();
    for (const change of changes) {
      if (change.kind !== 'admit') continue;
      const { key } = change.admission;
      const hold = this.keyStates.get(key)?.holdUntil;
      const holdUntil = hold ? Date.parse(hold) : NaN;
      const stored: AdmissionState = { ...(this.admissions.get(key) ?? { times: [] }) };
      delete stored.holdUntil;
      const current = admitted.get(key) ?? (Number.isFinite(holdUntil) ? { ...stored, holdUntil } : stored);
      admitted.set(key, judgeAdmission(current, change.admission));
    }
    for (const [key, { holdUntil: _hold, ...state }] of admitted) this.admissions.set(key, state);
    const result: CommitResult = { audit: [] };
    for (const change of changes) {
      switch (change.kind) {
        case 'command':
          this.commands.set(change.command.id, clone(change.command));
          break;
        case 'audit': {
          const previous = this.audit[this.audit.length - 1];
          const record = sealRecord(
            JSON.parse(
              JSON.stringify({
                ...change.entry,
                lineage: change.entry.lineage ?? {},
                sequence: (previous?.sequence ?? 0) + 1,
                time: change.entry.time ?? new Date().toISOString(),
                previousHash: previous?.hash ?? GENESIS_HASH,
              }),
            ),
          );
          this.audit.push(record);
          result.audit.push(record);
          break;
        }
        case 'key-state':
          this.keyStates.set(change.state.key, clone(change.state));
          break;
        case 'control':
          this.control.set(change.key, clone(change.value));
          break;
        case 'outbox-add':
          this.outbox.push({ ...change.command, seq: ++this.seq });
          change.onCommitted?.(this.seq);
          break;
        case 'outbox-remove': {
          const index = this.outbox.findIndex((row) => row.commandId === change.commandId);
          if (index >= 0) this.outbox.splice(index, 1);
          break;
        }
      }
    }
    return result;
  }

  async findCommand(id: string) {
    const found = this.commands.get(id);
    return found ? clone(found) : undefined;
  }

  async findCommandByRequestId(requestId: string) {
    const found = [...this.commands.values()].find((c) => c.requestId === requestId);
    return found ? clone(found) : undefined;
  }

  async loadActiveCommands() {
    return [...this.commands.values()]
      .filter((c) => ['pending-approval', 'queued', 'dispatching', 'reconciling', 'quarantined'].includes(c.state))
      .map(clone);
  }

  async loadKeyStates() {
    return [...this.keyStates.values()].map(clone);
  }

  async loadControl() {
    return new Map(this.control);
  }

  async loadAcceptedSince(since: string) {
    return [...this.commands.values()]
      .filter(
        (c) =>
          c.decidedAt &&
          c.decidedAt >= since &&
          ['queued', 'dispatching', 'reconciling', 'applied', 'reverted', 'shadow', 'failed'].includes(c.state),
      )
      .map((c) => ({ orderingKey: c.orderingKey, decidedAt: c.decidedAt as string }));
  }

  async admissionState(orderingKey: string): Promise<AdmissionState> {
    const state = this.admissions.get(orderingKey);
    return state
      ? clone({ times: state.times, ...(state.baseline ? { baseline: state.baseline } : {}) })
      : { times: [] };
  }

  async pruneAdmissions(now: number) {
    let pruned = 0;
    for (const [key, state] of this.admissions)
      if (state.expiresAt <= now) {
        this.admissions.delete(key);
        pruned++;
      }
    return pruned;
  }

  async loadOutbox() {
    return this.outbox.map((row) => ({ ...row }));
  }

  async relayOutbox(limit: number, relay: (rows: OutboxRow[]) => Promise<void>): Promise<RelayStep | undefined> {
    if (this.relayLocked) {
      this.relayLockRefusals += 1;
      return undefined;
    }
    this.relayLocked = true;
    try {
      const rows = this.outbox.slice(0, limit).map((row) => ({ ...row }));
      if (rows.length > 0) {
        await relay(rows);
        if (this.failCommits) throw new Error('database unavailable');
        const relayed = new Set(rows.map((row) => row.seq));
        for (let i = this.outbox.length - 1; i >= 0; i--) if (relayed.has(this.outbox[i].seq)) this.outbox.splice(i, 1);
      }
      return { relayed: rows.length, more: rows.length === limit };
    } finally {
      this.relayLocked = false;
    }
  }

  async findCommandsInState(state: CommandState, limit = 1000) {
    return [...this.commands.values()]
      .filter((c) => c.state === state)
      .sort((a, b) => a.receivedAt.localeCompare(b.receivedAt))
      .slice(0, limit)
      .map(clone);
  }

  async findPendingOnKey(orderingKey: string) {
    return [...this.commands.values()]
      .filter((c) => c.orderingKey === orderingKey && c.state === 'pending-approval')
      .sort((a, b) => a.receivedAt.localeCompare(b.receivedAt))
      .map(clone);
  }

  async findLandedOnKey(orderingKey: string, limit: number) {
    return [...this.commands.values()]
      .filter((c) => c.orderingKey === orderingKey && (c.state === 'applied' || c.state === 'reverted'))
      .sort((a, b) => (b.decidedAt ?? '').localeCompare(a.decidedAt ?? '') || b.id.localeCompare(a.id))
      .slice(0, limit)
      .map(clone);
  }

  async countQueuedByTarget() {
    const counts = new Map<string, number>();
    for (const c of this.commands.values()) {
      if (isInQueue(c.state)) counts.set(c.target.instance, (counts.get(c.target.instance) ?? 0) + 1);
    }
    return counts;
  }

  async hasQueuedOnKey(orderingKey: string) {
    return [...this.commands.values()].some((c) => c.orderingKey === orderingKey && isInQueue(c.state));
  }

  async loadKeyState(orderingKey: string) {
    const state = this.keyStates.get(orderingKey);
    return state ? clone(state) : undefined;
  }

  /** One holder per key across every engine on this store; later claims wait their turn. */
  async claimKey(orderingKey: string, signal: AbortSignal): Promise<KeyClaim> {
    for (;;) {
      signal.throwIfAborted();
      const held = this.claimed.get(orderingKey);
      if (!held) break;
      this.claimWaiting.set(orderingKey, (this.claimWaiting.get(orderingKey) ?? 0) + 1);
      try {
        await new Promise<void>((resolve, reject) => {
          const onAbort = () => reject(signal.reason as Error);
          signal.addEventListener('abort', onAbort, { once: true });
          void held.done.then(() => {
            signal.removeEventListener('abort', onAbort);
            resolve();
          });
        });
      } finally {
        const left = (this.claimWaiting.get(orderingKey) ?? 1) - 1;
        if (left > 0) this.claimWaiting.set(orderingKey, left);
        else this.claimWaiting.delete(orderingKey);
      }
    }
    let end!: () => void;
    const claim = { done: new Promise<void>((resolve) => (end = resolve)), end: () => end() };
    this.claimed.set(orderingKey, claim);
    return {
      release: async () => {
        if (this.claimed.get(orderingKey) === claim) this.claimed.delete(orderingKey);
        claim.end();
      },
    };
  }

  /** Ends every claim, as the database does for the sessions of a gateway process that died. */
  dropClaims(): void {
    const held = [...this.claimed.values()];
    this.claimed.clear();
    for (const claim of held) claim.end();
  }

  /** Claims on `orderingKey` waiting for its holder to let go, now. */
  claimsWaiting(orderingKey: string): number {
    return this.claimWaiting.get(orderingKey) ?? 0;
  }

  /** Whether an engine holds a claim on `orderingKey` now. */
  isClaimed(orderingKey: string): boolean {
    return this.claimed.has(orderingKey);
  }
}
