import {
  TARGET_CATALOGUE,
  type TargetKind,
  type ValidationIssue,
  type WriteBackOutcome,
  type WriteBackRequest,
} from '@loopgate/contracts';
import { gatewayFor } from '../../loopgate-gateway/loopgate-gateway';
import { hierarchyFor } from '../../isa95-hierarchy/isa95-hierarchy';
import { GatewayError } from '../gateway-client';
import type { Node, NodeAPI, NodeDef, NodeMessage } from '../node-red';
import { evaluate, readEnv } from '../typed-value';
import { describeIssues } from '../validation';
import { buildWriteBackRequest, parseOutputConfig } from './request';
import { outcomeStatus, submitWithRetry, waitForFinalOutcome } from './tracker';
import { onInput } from '../input';
import { registerTargetAdminRoutes } from './admin-routes';

/** The tab environment variable the flow deployer stamps with the flow file's version. */
export const FLOW_VERSION_ENV = 'LOOPGATE_FLOW_VERSION';
/** Polling goes on this long after the request's `notAfter`, for the gateway to report the expiry. */
const OUTCOME_GRACE_MS = 30_000;

/** `msg.writeback` on the output (and on errors, for a Catch node). */
export interface WriteBackMessageInfo {
  request?: WriteBackRequest;
  error?: { code: string; kind: string; issues?: ValidationIssue[] };
}

/** An error for `done(err)`: Catch nodes receive the message with `msg.writeback.error` set. */
class WriteBackNodeError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'WriteBackNodeError';
  }
}

/** `opcenter-out` → `opcenterOut`: Node-RED requires node settings to start with this. */
function settingsPrefix(nodeType: string): string {
  return nodeType.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/**
 * Registers the output node of one target kind. Each message becomes one write-back request
 * with full lineage, submitted to the gateway (never to the MES); the node's status follows the
 * command (queued, waiting for approval, applied, rejected with its reason code) and the final
 * `WriteBackOutcome` leaves on the output as `msg.payload`.
 *
 * @example
 * export default (RED: NodeAPI) => registerWriteBackOutput(RED, 'opcenter');
 */
export function registerWriteBackOutput(RED: NodeAPI, kind: TargetKind): void {
  const spec = TARGET_CATALOGUE[kind];
  registerTargetAdminRoutes(RED);

  function WriteBackOutputNode(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const parsed = parseOutputConfig(def, spec);
    const configProblem = parsed.success ? undefined : describeIssues(parsed.issues);
    const hierarchy = hierarchyFor(RED, def.hierarchy);
    // Config nodes are created before the nodes that use them (and restart them when redeployed).
    const gateway = gatewayFor(RED, def.gateway);
    if (configProblem) this.status({ fill: 'red', shape: 'ring', text: `config: ${configProblem}`.slice(0, 80) });
    else if ('problem' in hierarchy) this.status({ fill: 'red', shape: 'ring', text: hierarchy.problem });
    const inFlight = new Set<AbortController>();
    // Keys the gateway refused with a limit that lifts by itself: not asked again before then.
    const backOff = new BackOff();

    const fail = (
      msg: NodeMessage,
      done: (err?: Error) => void,
      code: string,
      kindOfError: string,
      message: string,
      issues?: ValidationIssue[],
    ) => {
      const info = (msg.writeback ?? {}) as WriteBackMessageInfo;
      info.error = { code, kind: kindOfError, ...(issues ? { issues } : {}) };
      msg.writeback = info;
      done(new WriteBackNodeError(code, `${spec.nodeType}: ${message}`));
    };

    onInput(this, async (msg, send, done) => {
      if (!parsed.success) {
        this.status({ fill: 'red', shape: 'ring', text: 'invalid configuration' });
        return fail(msg, done, 'INVALID_CONFIG', 'config', configProblem ?? 'invalid configuration', parsed.issues);
      }
      if ('problem' in hierarchy) return fail(msg, done, 'INVALID_CONFIG', 'config', hierarchy.problem);
      if ('problem' in gateway) {
        this.status({ fill: 'red', shape: 'ring', text: gateway.problem });
        return fail(msg, done, 'INVALID_CONFIG', 'config', gateway.problem);
      }
      const built = await buildWriteBackRequest(msg, {
        spec,
        config: parsed.value,
        position: { flowId: this.z, flowVersion: readEnv(RED, this, FLOW_VERSION_ENV), nodeId: this.id },
        hierarchy: hierarchy.path,
        evaluate: (prop) => evaluate(RED, this, prop, msg),
        now: new Date(),
      });
      if (!built.success) {
        this.status({
          fill: 'yellow',
          shape: 'ring',
          text: `not sent: ${built.issues[0].path} ${built.issues[0].message}`.slice(0, 80),
        });
        return fail(
          msg,
          done,
          'INVALID_REQUEST',
          'input',
          `write-back not sent: ${describeIssues(built.issues)}`,
          built.issues,
        );
      }
      const request = built.value;
      msg.writeback = { request } satisfies WriteBackMessageInfo;
      const blocked = backOff.blocked(request, Date.now());
      if (blocked) {
        const until = new Date(blocked.until).toISOString();
        this.status({
          fill: 'yellow',
          shape: 'ring',
          text: `backing off until ${until.slice(11, 19)}: ${blocked.code}`,
        });
        return fail(
          msg,
          done,
          'BACKING_OFF',
          'refused',
          `not sent: the gateway refused this key (${blocked.code}) until ${until}; the flow asks again after that`,
        );
      }

      const controller = new AbortController();
      inFlight.add(controller);
      // Submitting after notAfter is pointless (the gateway would expire it); polling gets a grace period.
      const submitOptions = {
        deadline: Date.parse(request.notAfter),
        signal: controller.signal,
        onProgress: (status: Parameters<Node['status']>[0]) => this.status(status),
      };
      const pollOptions = {
        ...submitOptions,
        deadline: submitOptions.deadline + OUTCOME_GRACE_MS,
        graceMs: OUTCOME_GRACE_MS,
      };
      try {
        this.status({ fill: 'blue', shape: 'ring', text: 'submitting' });
        const accepted = await submitWithRetry(gateway.client, request, submitOptions);
        backOff.note(request, accepted);
        this.status(outcomeStatus(accepted));
        const outcome: WriteBackOutcome = parsed.value.waitForOutcome
          ? await waitForFinalOutcome(gateway.client, accepted, pollOptions)
          : accepted;
        this.status(outcomeStatus(outcome));
        msg.payload = outcome;
        send(msg);
        done();
      } catch (err) {
        if (controller.signal.aborted) {
          this.warn(
            `${spec.nodeType}: stopped waiting for ${request.requestId} (node closed); the gateway still has the command`,
          );
          done();
        } else if (err instanceof GatewayError) {
          this.status({
            fill: 'red',
            shape: 'ring',
            text: err.transient ? 'gateway unreachable' : `${err.code}`.slice(0, 60),
          });
          fail(msg, done, err.code, err.kind, err.message, err.issues);
        } else {
          this.status({ fill: 'red', shape: 'dot', text: 'error' });
          done(err as Error);
        }
      } finally {
        inFlight.delete(controller);
      }
    });

    this.on('close', (_removed, done) => {
      for (const controller of inFlight) controller.abort();
      done();
    });
  }

  RED.nodes.registerType(spec.nodeType, WriteBackOutputNode, {
    settings: { [`${settingsPrefix(spec.nodeType)}Target`]: { value: spec, exportable: true } },
  });
}

/**
 * What a refusal with `blockedUntil` (a rate, cooldown or override hold) says to the flow: the
 * same key is not sent again before then. One entry per key, dropped once it has passed.
 */
export class BackOff {
  private readonly until = new Map<string, { until: number; code: string }>();

  note(request: WriteBackRequest, outcome: WriteBackOutcome): void {
    if (outcome.state !== 'rejected' || !outcome.blockedUntil) return;
    const until = Date.parse(outcome.blockedUntil);
    if (Number.isFinite(until)) this.until.set(keyOf(request), { until, code: outcome.reasonCode ?? 'REFUSED' });
  }

  blocked(request: WriteBackRequest, now: number): { until: number; code: string } | undefined {
    const key = keyOf(request);
    const entry = this.until.get(key);
    if (entry && entry.until > now) return entry;
    this.until.delete(key);
    return undefined;
  }
}

const keyOf = (r: WriteBackRequest) =>
  [r.target.instance, r.object.type, r.object.id, r.parameter ?? r.action].join('\u0000');
