/* Pieces shared by the gateway and bus benches. */
import { performance } from 'node:perf_hooks';
import type { WriteBackRequest } from '@loopgate/contracts';
import type { Command } from '../gateway/domain/command';
import type { Actor, WriteBackEngine } from '../gateway/engine/writeback-engine';

export const log = (line: string) => process.stderr.write(`${line}\n`);
export const SERVICE: Actor = { id: 'token:bench', permissions: ['writeback:submit'] };
export const quiet = { warn: (m: string) => log(`warn: ${m}`), error: (m: string) => log(`error: ${m}`) };

/** The `sequence`-th bench request, a feed-rate change on one of the keyed CNC operations. */
export function benchRequest(requestId: string, sequence: number, key: number): WriteBackRequest {
  return {
    requestId,
    lineage: {
      inferenceId: `inf-${sequence}`,
      modelId: 'wear-v3',
      ruleSetId: 'tool-wear',
      ruleSetVersion: 3,
      ruleName: 'feed compensation',
    },
    target: { kind: 'opcenter', instance: 'bench-sim' },
    object: { type: 'recipe-parameter', id: `CNC-${String(key).padStart(3, '0')}/OP20` },
    action: 'set-parameter',
    parameter: 'FeedRate',
    value: 1000 + (sequence % 500) + sequence / 1e6,
    reason: 'bench',
    notAfter: new Date(Date.now() + 600_000).toISOString(),
    initiator: 'ai',
  };
}

/** Nearest-rank percentile of an ascending list. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** A running gateway under bench: submit requests, learn when each one finishes. */
export interface BenchHarness {
  engine: Pick<WriteBackEngine, 'submit'>;
  /** Resolves when the command with this request id reaches a terminal state. */
  done(requestId: string): Promise<Command>;
}

/** Closed loop: `window` callers submit `count` requests one after another; resolves with every finished command. */
export async function submitAll(
  h: BenchHarness,
  count: number,
  window: number,
  request: (i: number) => WriteBackRequest,
): Promise<Command[]> {
  const finished: Promise<Command>[] = [];
  let next = 0;
  const client = async () => {
    while (next < count) {
      const r = request(next++);
      finished.push(h.done(r.requestId));
      await h.engine.submit(r, SERVICE);
    }
  };
  await Promise.all(Array.from({ length: window }, client));
  return Promise.all(finished);
}

/**
 * Open loop: request i is due at i / `rate` seconds, whatever the gateway does. Resolves with the sorted
 * request-to-applied latencies (ms) of the requests from `measureFrom` on, and the seconds it all took.
 */
export async function submitAtRate(
  h: BenchHarness,
  rate: number,
  total: number,
  request: (i: number) => WriteBackRequest,
  measureFrom = 0,
): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = started + (i * 1000) / rate - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const r = request(i);
    const sent = performance.now();
    const done = h.done(r.requestId);
    pending.push(
      h.engine.submit(r, SERVICE).then(async () => {
        const command = await done;
        if (command.state === 'applied' && i >= measureFrom) latencies.push(performance.now() - sent);
      }),
    );
  }
  await Promise.all(pending);
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { latencies, seconds };
}
