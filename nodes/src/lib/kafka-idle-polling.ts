import { createRequire } from 'node:module';

interface RequestQueueInternals {
  pending: unknown[];
  scheduleCheckPendingRequests(): void;
}

const QUIETED = Symbol.for('loopgate.kafkajs.idle-polling-quieted');

/**
 * kafkajs 2.2 re-arms a timer on every open broker connection after each answer, for as long as
 * the connection lives, even with nothing waiting to be sent: its delay is computed from a
 * "throttled until" of -1, so it is negative, Node clamps it to 1 ms (printing
 * `TimeoutNegativeWarning`), and the timer fires and re-arms a thousand times a second (kafkajs
 * issues #1704 and #1751, unreleased). A gateway idle on the bus spent about 6 % of a core on it.
 *
 * The check only matters while a request waits in the queue, and kafkajs arms it itself when one
 * is queued (`push`) and after every answer; so with nothing pending this skips it, and otherwise
 * leaves kafkajs's own scheduling alone. Idempotent; a kafkajs without this method is left as it is.
 *
 * Patches the kafkajs that `resolveFrom` resolves to (by default the palette's own): the palette's
 * Kafka node applies it to its copy wherever Node-RED runs, the gateway to the copy its command
 * topic uses.
 */
export function quietKafkaIdlePolling(resolveFrom: string = __filename): boolean {
  let RequestQueue: { prototype: RequestQueueInternals & { [QUIETED]?: true } };
  try {
    RequestQueue = createRequire(resolveFrom)('kafkajs/src/network/requestQueue/index.js') as typeof RequestQueue;
  } catch {
    return false;
  }
  const prototype = RequestQueue.prototype;
  if (prototype[QUIETED]) return true;
  const schedule = prototype.scheduleCheckPendingRequests;
  if (typeof schedule !== 'function') return false;
  prototype.scheduleCheckPendingRequests = function (this: RequestQueueInternals) {
    if (this.pending.length === 0) return;
    schedule.call(this);
  };
  prototype[QUIETED] = true;
  return true;
}
