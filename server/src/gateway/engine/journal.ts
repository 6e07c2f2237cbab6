import type { AuditOutcome } from '@loopgate/contracts';
import type { AuditEntry } from '../../common/audit.port';
import type { CommandBus } from '../bus/command-bus';
import type { Command } from '../domain/command';
import { auditEntryFor, type AuditDetails } from './audit-entries';
import { busCommandOf } from './context';
import type { CommitResult, EngineObserver, GatewayStore, StoreChange } from './ports';

/**
 * The one way the engine writes: a command, its audit record and (when it is queued) its outbox
 * row commit together in one transaction, so the bus has a command exactly when it is stored and
 * every change of state is audited.
 *
 * @example await journal.record(command, 'accepted', { actor: 'token:line1' }, { enqueue: true });
 */
export class Journal {
  constructor(
    private readonly store: GatewayStore,
    private readonly bus: CommandBus,
    private readonly observer: EngineObserver,
  ) {}

  /**
   * Stores `command` with the audit record of `outcome`; `enqueue` adds its outbox row, `expectState`
   * commits only while the stored command is still in that state, `extra` joins the same transaction.
   */
  async record(
    command: Command,
    outcome: AuditOutcome,
    details: AuditDetails,
    options: { enqueue?: boolean; expectState?: Command['state']; extra?: StoreChange[] } = {},
  ): Promise<CommitResult> {
    const result = await this.store.commit(this.changesFor(command, outcome, details, options));
    this.observer.outcome?.(command);
    return result;
  }

  /** The changes `record` commits, for a caller that commits them inside a larger decision. */
  changesFor(
    command: Command,
    outcome: AuditOutcome,
    details: AuditDetails,
    options: { enqueue?: boolean; expectState?: Command['state']; extra?: StoreChange[] } = {},
  ): StoreChange[] {
    return [
      options.expectState
        ? { kind: 'command', command, expectState: options.expectState }
        : { kind: 'command', command },
      ...(options.extra ?? []),
      { kind: 'audit', entry: auditEntryFor(command, outcome, details) },
      ...(options.enqueue ? [this.bus.outboxRow(busCommandOf(command))] : []),
    ];
  }

  /**
   * Stores a command change that needs no audit record of its own (a progress step, a link);
   * `expectState` commits only while the stored command is still in that state.
   */
  async save(command: Command, expectState?: Command['state']): Promise<Command> {
    await this.store.commit([expectState ? { kind: 'command', command, expectState } : { kind: 'command', command }]);
    this.observer.outcome?.(command);
    return command;
  }

  /** Appends audit records (and any other changes) in one transaction. */
  async append(entries: AuditEntry[], extra: StoreChange[] = []): Promise<CommitResult> {
    return this.store.commit([...extra, ...entries.map((entry) => ({ kind: 'audit' as const, entry }))]);
  }
}
