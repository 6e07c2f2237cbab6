import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { TERMINAL_COMMAND_STATES, type AuditRecord, type WriteBackRequest } from '@loopgate/contracts';
import { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { dataSourceOptions } from '../../database/data-source';
import { OutboxBus } from '../bus/outbox-bus';
import { ChainVerifier } from '../domain/audit-chain';
import { DEFAULT_POLICY } from '../domain/guardrails';
import { GATEWAY_ENTITIES } from '../persistence/entities';
import { TypeOrmGatewayStore } from '../persistence/gateway-store';
import { rowToAudit, rowToCommand } from '../persistence/row-mappers';
import { FakeTarget, type FakeFault, type FakeTargetAdapter } from '../testing/fake-target';
import type { TargetRuntime } from './ports';
import { WriteBackEngine, type Actor } from './writeback-engine';

const SERVICE: Actor = { id: 'token:prop', permissions: ['writeback:submit'] };
const quiet = { warn: () => undefined, error: () => undefined };

/** One running gateway "gateway": its database connection, store, adapters and engine. */
interface Process {
  dataSource: DataSource;
  store: TypeOrmGatewayStore;
  adapters: FakeTargetAdapter[];
  engine: WriteBackEngine;
}

async function boot(dataDir: string, targets: FakeTarget[]): Promise<Process> {
  const dataSource = new DataSource({ ...dataSourceOptions({ dataDir }), entities: GATEWAY_ENTITIES, logging: false });
  await dataSource.initialize();
  const store = new TypeOrmGatewayStore(dataSource);
  const adapters = targets.map((t) => t.connect());
  const runtimes: TargetRuntime[] = targets.map((t, i) => ({
    instance: t.instance,
    kind: t.kind,
    adapter: adapters[i],
    policy: {
      ...DEFAULT_POLICY,
      overrideHoldSeconds: 0.02,
      retry: { maxAttempts: 6, initialDelayMs: 1, maxDelayMs: 4 },
    },
    approvals: [],
    shadow: false,
  }));
  const engine = new WriteBackEngine({
    store,
    bus: new OutboxBus(store, { logger: quiet }),
    targets: runtimes,
    logger: quiet,
  });
  await engine.start();
  return { dataSource, store, adapters, engine };
}

/** kill -9: nothing more is stored, calls to the targets never answer; then the connection goes. */
async function crash(gateway: Process): Promise<void> {
  for (const adapter of gateway.adapters) adapter.kill();
  await gateway.store.fence();
  void gateway.engine.stop();
  await gateway.dataSource.destroy();
}

const FAULTS: (FakeFault | undefined)[] = ['transient', 'unknown-landed', 'unknown-lost', 'drop', 'locked'];

const scenario = fc.record({
  commands: fc.array(fc.record({ key: fc.nat(5), target: fc.nat(1), pauseMs: fc.nat(2) }), {
    minLength: 5,
    maxLength: 40,
  }),
  faults: fc.array(
    fc.oneof({ arbitrary: fc.constant(undefined), weight: 5 }, { arbitrary: fc.constantFrom(...FAULTS), weight: 1 }),
    { minLength: 8, maxLength: 60 },
  ),
  restarts: fc.uniqueArray(fc.nat(39), { maxLength: 2 }),
  operatorEdits: fc.uniqueArray(fc.nat(39), { maxLength: 2 }),
});

describe('ordered, effectively-once dispatch (property)', () => {
  it('applies each key in accepted order, nothing twice, one terminal state each, chain intact', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ commands, faults, restarts, operatorEdits }) => {
        const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-prop-'));
        let call = 0;
        const faultAt = () => faults[call++ % faults.length];
        const targets = [
          new FakeTarget({
            instance: 'plain',
            faults: () => {
              const f = faultAt();
              return f === 'locked' ? undefined : f;
            },
            latencyMs: () => (call % 3 === 0 ? 1 : 0),
          }),
          new FakeTarget({
            instance: 'locking',
            capabilities: { locks: true },
            faults: () => faultAt(),
            latencyMs: () => call % 2,
          }),
        ];
        // Lock faults are scripted per acquisition on the locking target.
        for (const fault of faults) if (fault === 'locked') targets[1].failNext('locked');
        const addressOf = (key: number) => ({
          object: { type: 'recipe-parameter' as const, id: `R${key}` },
          parameter: 'FeedRate',
        });
        let gateway = await boot(dataDir, targets);
        const submitted: { request: WriteBackRequest; key: number; target: number }[] = [];
        const retry: WriteBackRequest[] = [];
        try {
          for (let i = 0; i < commands.length; i++) {
            const { key, target, pauseMs } = commands[i];
            if (operatorEdits.includes(i)) {
              // An operator edits an idle parameter at the console.
              await settleKey(
                gateway,
                submitted.filter((s) => s.key === key && s.target === target).map((s) => s.request.requestId),
              );
              targets[target].operatorSet(addressOf(key), -1000 - i);
            }
            const request: WriteBackRequest = {
              requestId: `p-${i}`,
              lineage: { inferenceId: `inf-${i}` },
              target: { kind: 'opcenter', instance: targets[target].instance },
              object: addressOf(key).object,
              action: 'set-parameter',
              parameter: 'FeedRate',
              value: 1000 + i,
              reason: 'property',
              notAfter: new Date(Date.now() + 60_000).toISOString(),
              initiator: 'ai',
            };
            submitted.push({ request, key, target });
            gateway.engine.submit(request, SERVICE).catch(() => retry.push(request));
            if (pauseMs) await new Promise((resolve) => setTimeout(resolve, pauseMs));
            if (restarts.includes(i)) {
              await crash(gateway);
              gateway = await boot(dataDir, targets);
              // Clients whose request was lost in the crash send it again (same requestId).
              for (const lost of retry.splice(0)) await gateway.engine.submit(lost, SERVICE);
            }
          }
          await new Promise((resolve) => setImmediate(resolve));
          for (const lost of retry.splice(0)) await gateway.engine.submit(lost, SERVICE);
          await settleAll(gateway, submitted.length);

          const commandsById = new Map(
            ((await gateway.dataSource.query('SELECT * FROM writeback_commands')) as Record<string, unknown>[]).map(
              (row) => {
                const command = rowToCommand(row);
                return [command.id, command] as const;
              },
            ),
          );
          const audit = (
            (await gateway.dataSource.query('SELECT * FROM audit_records ORDER BY sequence')) as Record<
              string,
              unknown
            >[]
          ).map(rowToAudit);

          // Every request became exactly one command, in exactly one terminal state, audited once as such.
          expect(commandsById.size).toBe(submitted.length);
          for (const command of commandsById.values()) {
            expect(TERMINAL_COMMAND_STATES).toContain(command.state);
            const terminal = audit.filter(
              (r) => r.commandId === command.id && (TERMINAL_COMMAND_STATES as readonly string[]).includes(r.outcome),
            );
            expect(terminal.map((r) => r.outcome)).toEqual([command.state]);
          }

          for (const [t, target] of targets.entries()) {
            for (let key = 0; key < 6; key++) {
              const applied = target.appliedTo(addressOf(key)).map((e) => e.externalRef);
              // Nothing applied twice.
              expect(new Set(applied).size).toBe(applied.length);
              // The applied sequence equals the accepted sequence of the commands that ended applied.
              const accepted = acceptedOrder(audit, target.instance, `R${key}`).filter(
                (id) => commandsById.get(id)?.state === 'applied',
              );
              expect(applied).toEqual(accepted);
              expect(t).toBeGreaterThanOrEqual(0);
            }
          }

          const verifier = new ChainVerifier();
          for (const record of audit) verifier.next(record);
          expect(verifier.result()).toEqual({ ok: true, checked: audit.length });
        } finally {
          await gateway.engine.stop();
          await gateway.dataSource.destroy();
          fs.rmSync(dataDir, { recursive: true, force: true });
        }
      }),
      { numRuns: Number(process.env.LOOPGATE_PROPERTY_RUNS ?? 40), endOnFailure: true },
    );
  }, 120_000);
});

function acceptedOrder(audit: AuditRecord[], instance: string, objectId: string): string[] {
  return audit
    .filter((r) => r.outcome === 'accepted' && r.target?.instance === instance && r.object?.id === objectId)
    .map((r) => r.commandId as string);
}

async function settleKey(gateway: Process, requestIds: string[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const rows = (await gateway.dataSource.query(
      `SELECT state FROM writeback_commands WHERE request_id IN (${requestIds.map(() => '?').join(',') || "''"})`,
      requestIds,
    )) as { state: string }[];
    const active = rows.filter((r) => !(TERMINAL_COMMAND_STATES as readonly string[]).includes(r.state)).length;
    if (active === 0 && rows.length === requestIds.length) return;
    if (Date.now() > deadline) throw new Error('key did not settle');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function settleAll(gateway: Process, expected: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const [row] = (await gateway.dataSource.query(
      `SELECT COUNT(*) AS total, SUM(CASE WHEN state IN ('queued','dispatching','pending-approval') THEN 1 ELSE 0 END) AS active FROM writeback_commands`,
    )) as { total: number; active: number | null }[];
    if (Number(row.total) === expected && Number(row.active ?? 0) === 0) {
      await gateway.store.drain();
      return;
    }
    if (Date.now() > deadline) throw new Error(`commands did not settle: ${JSON.stringify(row)}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
