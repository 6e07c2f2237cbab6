import type { AuditRecord } from '@loopgate/contracts';
import { GENESIS_HASH, sealRecord } from '../domain/audit-chain';
import type { Command } from '../domain/command';
import type { KeyWriteState } from '../domain/override-detection';
import type { CommitResult, GatewayStore, OutboxRow, StoreChange } from '../engine/ports';

const clone = <T>(value: T): T => structuredClone(value);

/** An in-memory GatewayStore for engine unit tests: each commit is one atomic step. */
export class MemoryGatewayStore implements GatewayStore {
  readonly commands = new Map<string, Command>();
  readonly audit: AuditRecord[] = [];
  readonly outbox: OutboxRow[] = [];
  readonly keyStates = new Map<string, KeyWriteState>();
  readonly control = new Map<string, unknown>();
  private seq = 0;
  /** Makes the next commits fail, as a database that is down. */
  failCommits = false;

  async commit(changes: StoreChange[]): Promise<CommitResult> {
    await Promise.resolve();
    if (this.failCommits) throw new Error('database unavailable');
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
      .filter((c) => ['pending-approval', 'queued', 'dispatching'].includes(c.state))
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
          ['queued', 'dispatching', 'applied', 'reverted', 'shadow', 'failed'].includes(c.state),
      )
      .map((c) => ({ orderingKey: c.orderingKey, decidedAt: c.decidedAt as string }));
  }

  async loadOutbox() {
    return this.outbox.map((row) => ({ ...row }));
  }
}
