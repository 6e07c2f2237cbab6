import type { WriteBackOutcome, WriteBackRequest } from '@loopgate/contracts';
import { OutboxBus } from '../bus/outbox-bus';
import { ChainVerifier } from '../domain/audit-chain';
import { toOutcome } from '../domain/command';
import { DEFAULT_POLICY, type GuardrailPolicy } from '../domain/guardrails';
import type { ApprovalRule } from '../domain/approval-policy';
import { processingStrategyOf, type ProcessingStrategy } from '../domain/retry-policy';
import type { GatewayStore, TargetRuntime } from '../engine/ports';
import { WriteBackEngine, type Actor, type EngineOptions } from '../engine/writeback-engine';
import { FakeTarget, type FakeTargetAdapter } from './fake-target';
import { MemoryGatewayStore } from './memory-store';

export const SERVICE: Actor = { id: 'token:line1', permissions: ['writeback:submit', 'read'] };
export const OPERATOR: Actor = {
  id: 'olivia',
  permissions: ['read', 'writeback:approve', 'writeback:revert', 'target:control'],
};
export const QA: Actor = { id: 'quinn', permissions: ['read', 'writeback:approve', 'writeback:approve-quality'] };

export const FAST_RETRY = { maxAttempts: 4, initialDelayMs: 1, maxDelayMs: 4 };

export interface HarnessTarget {
  fake: FakeTarget;
  policy?: Partial<GuardrailPolicy>;
  approvals?: ApprovalRule[];
  shadow?: boolean;
  /** The target's processing strategy; absent: the default with the policy's attempts and delays. */
  processing?: Partial<ProcessingStrategy>;
}

/** An engine on a store and fake targets; `restart()` builds a new engine on the same store and targets. */
export class EngineHarness {
  engine: WriteBackEngine;
  adapters: FakeTargetAdapter[] = [];

  constructor(
    readonly targets: HarnessTarget[],
    readonly store: GatewayStore = new MemoryGatewayStore(),
    readonly options: Partial<EngineOptions> = {},
  ) {
    this.engine = this.build();
  }

  build(): WriteBackEngine {
    this.adapters = this.targets.map((t) => t.fake.connect());
    const runtimes: TargetRuntime[] = this.targets.map((t, i) => {
      const policy = { ...DEFAULT_POLICY, retry: FAST_RETRY, ...t.policy };
      return {
        instance: t.fake.instance,
        kind: t.fake.kind,
        adapter: this.adapters[i],
        policy,
        approvals: t.approvals ?? [],
        shadow: t.shadow ?? false,
        processing: processingStrategyOf(t.processing, policy.retry),
      };
    });
    return new WriteBackEngine({
      store: this.store,
      bus: new OutboxBus(this.store, { logger: quiet }),
      targets: runtimes,
      logger: quiet,
      sweepIntervalMs: 20,
      overrideWatchIntervalMs: 0,
      ...this.options,
    });
  }

  async start(): Promise<this> {
    await this.engine.start();
    return this;
  }

  /** Kills the running engine's connections (calls in flight may land) and starts a new engine. */
  async restart(): Promise<void> {
    for (const adapter of this.adapters) adapter.kill();
    // A crash: the old engine is abandoned, not drained (its calls to the target never answer).
    void this.engine.stop();
    // The dead process's database sessions end, and its key claims with them.
    if (this.store instanceof MemoryGatewayStore) this.store.dropClaims();
    this.engine = this.build();
    await this.engine.start();
  }

  async stop(): Promise<void> {
    await this.engine.stop();
  }

  /** Waits until the command is in a terminal state (or `state`). */
  async settle(commandId: string, state?: WriteBackOutcome['state'], timeoutMs = 5000): Promise<WriteBackOutcome> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const command = await this.engine.get(commandId);
      const terminal =
        command && ['applied', 'shadow', 'rejected', 'failed', 'expired', 'reverted'].includes(command.state);
      if (command && (state ? command.state === state : terminal)) {
        return toOutcome(command);
      }
      if (Date.now() > deadline) throw new Error(`command ${commandId} did not settle (state ${command?.state})`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  async submitAndSettle(request: WriteBackRequest, actor: Actor = SERVICE): Promise<WriteBackOutcome> {
    const { outcome } = await this.engine.submit(request, actor);
    return this.settle(outcome.commandId);
  }
}

const quiet = { warn: () => undefined, error: () => undefined };

let counter = 0;

/** A valid set-parameter request on `fake`, with overrides. */
export function setRequest(fake: FakeTarget, patch: Partial<WriteBackRequest> = {}): WriteBackRequest {
  counter += 1;
  return {
    requestId: `req-${counter}-${Math.random().toString(36).slice(2)}`,
    lineage: {
      inferenceId: `inf-${counter}`,
      modelId: 'wear-v3',
      ruleSetId: 'rs',
      ruleSetVersion: 1,
      ruleName: 'wear',
    },
    target: { kind: fake.kind, instance: fake.instance },
    object: { type: 'recipe-parameter', id: 'CNC-01/OP20' },
    action: 'set-parameter',
    parameter: 'FeedRate',
    value: 1000,
    reason: 'tool wear compensation',
    notAfter: new Date(Date.now() + 60_000).toISOString(),
    initiator: 'ai',
    ...patch,
  };
}

export const FEED = { object: { type: 'recipe-parameter' as const, id: 'CNC-01/OP20' }, parameter: 'FeedRate' };

export function verifyChain(records: { sequence: number; previousHash: string; hash: string }[]) {
  const verifier = new ChainVerifier();
  for (const record of records as Parameters<ChainVerifier['next']>[0][]) if (!verifier.next(record)) break;
  return verifier.result();
}
