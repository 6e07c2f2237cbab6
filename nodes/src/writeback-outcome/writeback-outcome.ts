import { ApiPaths, COMMAND_STATES, isTerminalCommandState, type WriteBackOutcome } from '@loopgate/contracts';
import { EventSource } from 'eventsource';
import { gatewayFor } from '../loopgate-gateway/loopgate-gateway';
import type { Node, NodeAPI, NodeDef } from '../lib/node-red';
import { isPlainObject } from '../lib/validation';

export const OUTCOME_NODE_TYPE = 'writeback-outcome';
/** After the gateway refuses the stream (401, 404, 5xx), try again after this, doubling up to the maximum. */
const REFUSED_RETRY_MS = 2_000;
const REFUSED_RETRY_MAX_MS = 60_000;

export interface OutcomeFilter {
  /** Only this target instance; empty for all. */
  instance?: string;
  /** Only final states (applied, rejected, …), not queued or waiting. */
  finalOnly: boolean;
  /** Only outcomes of write-backs built on this node's tab. */
  flowId?: string;
}

/**
 * A server-sent event's data as an outcome, or `undefined` when it is not one. The gateway sends
 * `OutcomeStreamMessage`s (`{ type: 'outcome', outcome }`); a bare outcome is accepted too.
 */
export function parseOutcome(data: string): WriteBackOutcome | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (isPlainObject(parsed) && parsed.type === 'outcome' && isPlainObject(parsed.outcome)) parsed = parsed.outcome;
  if (
    !isPlainObject(parsed) ||
    typeof parsed.commandId !== 'string' ||
    !(COMMAND_STATES as readonly unknown[]).includes(parsed.state)
  )
    return undefined;
  return parsed as unknown as WriteBackOutcome;
}

export function matchesFilter(outcome: WriteBackOutcome, filter: OutcomeFilter): boolean {
  if (filter.instance && outcome.target?.instance !== filter.instance) return false;
  if (filter.finalOnly && !isTerminalCommandState(outcome.state)) return false;
  if (filter.flowId && outcome.lineage?.flowId !== filter.flowId) return false;
  return true;
}

/**
 * Registers `writeback-outcome`: an input node streaming the gateway's write-back outcomes
 * (server-sent events from `GET /api/v1/outcomes/stream`) into the flow, for dashboards and
 * notifications. It reconnects by itself after a dropped stream or a gateway restart.
 */
export default function register(RED: NodeAPI): void {
  function WriteBackOutcomeNode(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const gateway = gatewayFor(RED, def.gateway);
    if ('problem' in gateway) {
      this.status({ fill: 'red', shape: 'ring', text: gateway.problem });
      return;
    }
    const client = gateway.client;
    const filter: OutcomeFilter = {
      instance: typeof def.instance === 'string' && def.instance.trim() !== '' ? def.instance.trim() : undefined,
      finalOnly: def.finalOnly === true,
      flowId: def.thisFlowOnly === true ? this.z : undefined,
    };
    let source: EventSource | undefined;
    let retryTimer: NodeJS.Timeout | undefined;
    let refusedDelay = REFUSED_RETRY_MS;
    let closed = false;

    const onData = (event: { data: string }) => {
      const outcome = parseOutcome(event.data);
      if (!outcome) {
        this.warn(
          `writeback-outcome: ignored an event that is not a write-back outcome: ${String(event.data).slice(0, 120)}`,
        );
        return;
      }
      if (!matchesFilter(outcome, filter)) return;
      this.send({ topic: `${outcome.target?.instance}/${outcome.object?.id}/${outcome.state}`, payload: outcome });
    };

    const connect = () => {
      if (closed) return;
      this.status({ fill: 'yellow', shape: 'ring', text: 'connecting' });
      // The gateway filters by target itself; the node filters again, for other gateways.
      const query = filter.instance ? `?target=${encodeURIComponent(filter.instance)}` : '';
      const es = new EventSource(client.url(ApiPaths.outcomesStream) + query, {
        fetch: (input, init) =>
          fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), ...client.authHeaders() } }),
      });
      source = es;
      es.onopen = () => {
        refusedDelay = REFUSED_RETRY_MS;
        this.status({ fill: 'green', shape: 'dot', text: 'connected' });
      };
      es.onmessage = onData;
      es.addEventListener('outcome', onData);
      es.onerror = (event) => {
        if (closed) return;
        if (es.readyState === es.CONNECTING) {
          // eventsource retries dropped connections and refused sockets on its own.
          this.status({ fill: 'yellow', shape: 'ring', text: 'gateway unreachable, reconnecting' });
          return;
        }
        // The gateway answered but refused the stream: eventsource gives up, so we retry later.
        es.close();
        this.status({
          fill: 'red',
          shape: 'ring',
          text: `stream refused${event.code ? `: ${event.code}` : ''}, retry in ${refusedDelay / 1000} s`,
        });
        this.warn(`writeback-outcome: ${event.message ?? 'stream refused'}`);
        retryTimer = setTimeout(connect, refusedDelay);
        refusedDelay = Math.min(refusedDelay * 2, REFUSED_RETRY_MAX_MS);
      };
    };
    connect();

    this.on('close', (_removed, done) => {
      closed = true;
      clearTimeout(retryTimer);
      source?.close();
      done();
    });
  }

  RED.nodes.registerType(OUTCOME_NODE_TYPE, WriteBackOutcomeNode);
}
