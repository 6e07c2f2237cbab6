import { afterEach, describe, expect, it } from 'vitest';
import type { OutboxRow } from '../engine/ports';
import { MemoryGatewayStore } from '../testing/memory-store';
import { until } from '../testing/until';
import type { BusCommand } from './command-bus';
import { OutboxRelay } from './outbox-relay';

const quiet = { warn: () => undefined, error: () => undefined };
const relays: OutboxRelay[] = [];

afterEach(async () => {
  await Promise.all(relays.splice(0).map((relay) => relay.stop()));
});

function command(key: string, i: number): BusCommand {
  return { commandId: `${key}#${i}`, orderingKey: key, targetInstance: 't' };
}

async function add(store: MemoryGatewayStore, commands: BusCommand[]): Promise<void> {
  await store.commit(commands.map((c) => ({ kind: 'outbox-add' as const, command: c })));
}

/** A broker that records what it acknowledged; `fail` makes the next sends fail. */
class Broker {
  readonly log: string[] = [];
  fail = 0;
  sends = 0;
  async send(rows: OutboxRow[]): Promise<void> {
    this.sends += 1;
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (this.fail > 0) {
      this.fail -= 1;
      throw new Error('broker unavailable');
    }
    this.log.push(...rows.map((r) => r.commandId));
  }
}

function relay(store: MemoryGatewayStore, broker: Broker, batchSize = 3): OutboxRelay {
  const r = new OutboxRelay(store, (rows) => broker.send(rows), {
    batchSize,
    pollIntervalMs: 10,
    maxBackoffMs: 20,
    logger: quiet,
  });
  relays.push(r);
  return r;
}

describe('OutboxRelay', () => {
  it('publishes the stored rows in sequence order, in batches, and removes them once acknowledged', async () => {
    const store = new MemoryGatewayStore();
    const broker = new Broker();
    const commands = [0, 1, 2, 3].flatMap((i) => [command('a', i), command('b', i)]);
    await add(store, commands);
    relay(store, broker).start();
    await until(() => store.outbox.length === 0, 'an empty outbox');
    expect(broker.log).toEqual(commands.map((c) => c.commandId));
    expect(broker.sends).toBe(3);
  });

  it('relays rows committed later when nudged, without waiting for the poll', async () => {
    const store = new MemoryGatewayStore();
    const broker = new Broker();
    const r = new OutboxRelay(store, (rows) => broker.send(rows), { pollIntervalMs: 60_000, logger: quiet });
    relays.push(r);
    r.start();
    await until(() => broker.sends === 0 && store.outbox.length === 0, 'the first step');
    await add(store, [command('a', 0)]);
    r.nudge();
    await until(() => broker.log.length === 1, 'the nudged row');
  });

  it('keeps the rows of a failed send and sends them again, in order, before later ones', async () => {
    const store = new MemoryGatewayStore();
    const broker = new Broker();
    broker.fail = 2;
    await add(store, [command('a', 0), command('a', 1)]);
    const r = relay(store, broker);
    r.start();
    await until(() => broker.sends >= 1, 'the first send');
    await add(store, [command('a', 2)]);
    r.nudge();
    await until(() => store.outbox.length === 0, 'an empty outbox');
    expect(broker.log).toEqual(['a#0', 'a#1', 'a#2']);
    expect(broker.sends).toBeGreaterThanOrEqual(3);
  });

  it('leaves the rows when removing them fails after the send: published again, never lost', async () => {
    const store = new MemoryGatewayStore();
    const broker = new Broker();
    await add(store, [command('a', 0)]);
    store.failCommits = true;
    const r = relay(store, broker);
    r.start();
    await until(() => broker.log.length >= 2, 'a second send');
    expect(store.outbox.map((row) => row.commandId)).toEqual(['a#0']);
    store.failCommits = false;
    await until(() => store.outbox.length === 0, 'an empty outbox');
    expect(new Set(broker.log)).toEqual(new Set(['a#0']));
  });

  it('publishes nothing while another relay holds the lock, and takes over from the stored rows', async () => {
    const store = new MemoryGatewayStore();
    const first = new Broker();
    const second = new Broker();
    let release!: () => void;
    let started = false;
    const held = new Promise<void>((resolve) => (release = resolve));
    // The first relay's step hangs in the broker with the lock held.
    const hanging = new OutboxRelay(
      store,
      async (rows) => {
        started = true;
        await held;
        await first.send(rows);
      },
      { batchSize: 2, pollIntervalMs: 10, logger: quiet },
    );
    relays.push(hanging);
    await add(store, [command('a', 0), command('a', 1), command('a', 2)]);
    hanging.start();
    await until(() => started, 'the first relay to hold the lock and hang in the broker');
    const other = relay(store, second, 2);
    other.start();
    // Three polls of the second relay, each refused the lock.
    await until(() => store.relayLockRefusals >= 3, 'the second relay to find the lock held three times');
    expect(second.sends).toBe(0);

    // The first relay stops after its step: the other one continues from what is stored.
    const stopping = hanging.stop();
    release();
    await stopping;
    await until(() => store.outbox.length === 0, 'an empty outbox');
    expect([...first.log, ...second.log]).toEqual(['a#0', 'a#1', 'a#2']);
    expect(second.log).toEqual(['a#2']);
  });
});
