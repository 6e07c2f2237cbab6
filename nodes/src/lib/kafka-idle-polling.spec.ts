import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { quietKafkaIdlePolling } from './kafka-idle-polling';

interface Entry {
  correlationId: number;
  apiKey: number;
  apiName: string;
  apiVersion: number;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}
interface Queue {
  pending: unknown[];
  throttledUntil: number;
  push(request: { entry: Entry; expectResponse: boolean; sendRequest(): void }): void;
  fulfillRequest(answer: { correlationId: number; payload: Buffer; size: number }): void;
}

const RequestQueue = createRequire(__filename)('kafkajs/src/network/requestQueue/index.js') as new (
  options: Record<string, unknown>,
) => Queue;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** kafkajs's own request queue of one broker connection, at most one request in flight. */
function queue(): { queue: Queue; sent: number[]; send(id: number): Promise<unknown> } {
  const q = new RequestQueue({
    maxInFlightRequests: 1,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: 'spec',
    broker: 'broker:9092',
    logger: silent,
  });
  const sent: number[] = [];
  const send = (id: number) =>
    new Promise((resolve, reject) =>
      q.push({
        entry: { correlationId: id, apiKey: 3, apiName: 'Metadata', apiVersion: 6, resolve, reject },
        expectResponse: true,
        sendRequest: () => sent.push(id),
      }),
    );
  return { queue: q, sent, send };
}

const answer = (id: number) => ({ correlationId: id, payload: Buffer.alloc(0), size: 0 });

describe('kafkajs request queue polling', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    expect(quietKafkaIdlePolling()).toBe(true);
  });
  afterEach(() => vi.useRealTimers());

  it('arms no timer on an idle connection after an answer (kafkajs re-armed one every millisecond)', async () => {
    const { queue: q, sent, send } = queue();
    const done = send(1);
    expect(sent).toEqual([1]);
    q.fulfillRequest(answer(1));
    await done;
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(1_000);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('still sends a request that waited for a free slot, once the one in flight is answered', async () => {
    const { queue: q, sent, send } = queue();
    const first = send(1);
    const second = send(2);
    expect(sent).toEqual([1]);
    expect(q.pending).toHaveLength(1);
    q.fulfillRequest(answer(1));
    await first;
    expect(sent).toEqual([1, 2]);
    q.fulfillRequest(answer(2));
    await second;
    // The check kafkajs armed while the second waited runs once more, finds nothing and stops.
    vi.advanceTimersByTime(10);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('still sends a queued request when the broker’s throttle ends, with nothing else to wake it', () => {
    const { queue: q, sent, send } = queue();
    q.throttledUntil = Date.now() + 500;
    void send(1);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(499);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([1]);
  });

  it('is applied once however often it is called', () => {
    const prototype = (RequestQueue as unknown as { prototype: { scheduleCheckPendingRequests: unknown } }).prototype;
    const patched = prototype.scheduleCheckPendingRequests;
    expect(quietKafkaIdlePolling()).toBe(true);
    expect(prototype.scheduleCheckPendingRequests).toBe(patched);
  });
});
