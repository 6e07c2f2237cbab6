import type { DecisionRecord, RuleEvent } from '@loopgate/contracts';
import { gatewayFor } from '../loopgate-gateway/loopgate-gateway';
import { GatewayError } from '../lib/gateway-client';
import type { RuleFiring } from '../lib/lineage';
import type { Node, NodeAPI, NodeDef, NodeMessage } from '../lib/node-red';
import { evaluate, typedProperty, type TypedValue } from '../lib/typed-value';
import { isPlainObject } from '../lib/validation';
import { registerRuleAdminRoutes } from './admin-routes';
import { buildFacts, isOpcUaValue, opcuaNodeIdsOf } from './facts';
import { inputSampleOf, inputSamplesOf, LatestInputs } from '../lib/input-samples';
import { listenForPublications } from './rule-set-push';
import { RuleSetCache } from './rule-set-cache';
import { onInput } from '../lib/input';

export const RULE_NODE_TYPE = 'loopgate-rule';
/** Decision records that fail to reach the gateway are reported at most this often. */
const DECISION_WARNING_INTERVAL_MS = 60_000;

export interface RuleNodeConfig {
  ruleSetId: string;
  version: number | 'latest';
  refreshMs: number;
  allowUndefinedFacts: boolean;
  recordDecisions: boolean;
  factMappings: { fact: string; source: TypedValue }[];
}

/** Validates the edit dialog's values. */
export function parseRuleNodeConfig(def: Record<string, unknown>): { config: RuleNodeConfig } | { problem: string } {
  const ruleSetId = typeof def.ruleSet === 'string' ? def.ruleSet.trim() : '';
  if (ruleSetId === '') return { problem: 'no rule set chosen' };
  const rawVersion =
    def.version === undefined || def.version === '' || def.version === 'latest' ? 'latest' : Number(def.version);
  if (rawVersion !== 'latest' && (!Number.isInteger(rawVersion) || rawVersion < 1))
    return { problem: `version must be "latest" or a whole number ≥ 1, got ${String(def.version)}` };
  const refreshSeconds = def.refresh === undefined || def.refresh === '' ? 60 : Number(def.refresh);
  if (!Number.isFinite(refreshSeconds) || refreshSeconds < 1)
    return { problem: `refresh must be at least 1 s, got ${String(def.refresh)}` };
  const factMappings: RuleNodeConfig['factMappings'] = [];
  for (const [i, entry] of (Array.isArray(def.facts) ? def.facts : []).entries()) {
    if (!isPlainObject(entry) || typeof entry.fact !== 'string' || entry.fact.trim() === '')
      return { problem: `fact mapping ${i + 1} has no fact name` };
    factMappings.push({ fact: entry.fact.trim(), source: typedProperty(entry, 'value', 'msg') });
  }
  return {
    config: {
      ruleSetId,
      version: rawVersion,
      refreshMs: refreshSeconds * 1000,
      allowUndefinedFacts: def.allowUndefinedFacts === true,
      recordDecisions: def.recordDecisions !== false,
      factMappings,
    },
  };
}

/**
 * Registers `loopgate-rule`: evaluates a published rule set from the gateway with the same
 * compiled evaluator the gateway uses. Output 1: one message per fired event (`msg.rule`,
 * `msg.payload` = the event's params). Output 2: the per-condition results, for debugging.
 */
export default function register(RED: NodeAPI): void {
  registerRuleAdminRoutes(RED);

  function LoopgateRuleNode(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const parsed = parseRuleNodeConfig(def);
    const gateway = gatewayFor(RED, def.gateway);
    const problem = 'problem' in parsed ? parsed.problem : 'problem' in gateway ? gateway.problem : undefined;
    const opcuaValues = new Map<string, unknown>();
    const latestInputs = new LatestInputs();
    let cache: RuleSetCache | undefined;
    let lastDecisionWarning = 0;

    if (problem) this.status({ fill: 'red', shape: 'ring', text: problem });
    else if ('config' in parsed && 'client' in gateway) {
      const { config } = parsed;
      cache = new RuleSetCache(gateway.client, config.ruleSetId, config.version, config.refreshMs, {
        replaceFactsInEventParams: true,
        allowUndefinedFacts: config.allowUndefinedFacts,
      });
      this.status({ fill: 'grey', shape: 'ring', text: `${config.ruleSetId}: loading` });
      const loadedCache = cache;
      const showLoaded = (loaded: { version: { version: number } }) =>
        this.status({ fill: 'grey', shape: 'dot', text: `${config.ruleSetId} v${loaded.version.version}` });
      if (config.version === 'latest') {
        // A version published (by the second engineer's signature) is used from the next message on.
        const stop = listenForPublications(
          gateway.client,
          (publication) => {
            if (publication.ruleSetId !== config.ruleSetId) return;
            loadedCache.invalidate();
            loadedCache.get().then(showLoaded, (err: Error) => this.warn(`loopgate-rule: ${err.message}`));
          },
          (message) => this.debug(`loopgate-rule: ${message}`),
        );
        this.on('close', () => stop());
      }
      cache.get().then(showLoaded, (err: unknown) =>
        this.status({
          fill: 'red',
          shape: 'ring',
          text: `${config.ruleSetId}: ${err instanceof GatewayError && err.transient ? 'gateway unreachable' : (err as Error).message}`.slice(
            0,
            80,
          ),
        }),
      );
    }

    const recordDecision = (decision: DecisionRecord) => {
      if (!('client' in gateway)) return;
      gateway.client.recordDecision(decision).catch((err: unknown) => {
        if (Date.now() - lastDecisionWarning < DECISION_WARNING_INTERVAL_MS) return;
        lastDecisionWarning = Date.now();
        this.warn(`loopgate-rule: decision record not stored (what-if replay will miss it): ${(err as Error).message}`);
      });
    };

    onInput(this, async (msg, send, done) => {
      if (!cache || !('config' in parsed)) {
        done(new Error(`loopgate-rule: ${problem ?? 'not configured'}`));
        return;
      }
      const { config } = parsed;
      const sample = isOpcUaValue(msg) ? inputSampleOf(msg) : undefined;
      if (isOpcUaValue(msg)) opcuaValues.set(msg.topic as string, msg.payload);
      if (sample) latestInputs.record(sample);
      try {
        const loaded = await cache.get();
        const mapped: Record<string, unknown> = {};
        for (const mapping of config.factMappings)
          mapped[mapping.fact] = await evaluate(RED, this, mapping.source, msg);
        const facts = buildFacts(msg, loaded.version.content.facts, opcuaValues, mapped);
        const result = await loaded.evaluator.evaluateAsync(facts);
        const version = loaded.version.version;
        const fired = result.results.filter((r) => r.result);
        const inputs = latestInputs.forDecision(
          opcuaNodeIdsOf(loaded.version.content.facts),
          sample,
          inputSamplesOf(msg.inputs),
        );

        const eventMessages: NodeMessage[] = fired.map((rule) => {
          const out = RED.util.cloneMessage(msg);
          out.rule = {
            ruleSetId: config.ruleSetId,
            ruleSetVersion: version,
            ruleName: rule.name,
            event: rule.event,
          } satisfies RuleFiring;
          out.payload = { ...(rule.event.params ?? {}) };
          if (inputs.length > 0) out.inputs = inputs;
          return out;
        });
        const debug: NodeMessage = {
          ...RED.util.cloneMessage(msg),
          payload: {
            ruleSetId: config.ruleSetId,
            ruleSetVersion: version,
            facts,
            events: result.events,
            results: result.results,
          },
        };
        if (loaded.staleBecause) {
          this.status({ fill: 'yellow', shape: 'ring', text: `v${version} (cached, gateway unreachable)` });
        } else {
          this.status(
            fired.length > 0
              ? {
                  fill: 'green',
                  shape: 'dot',
                  text: `v${version}: ${fired.map((r) => r.name).join(', ')}`.slice(0, 60),
                }
              : { fill: 'grey', shape: 'dot', text: `v${version}: nothing fired` },
          );
        }
        if (config.recordDecisions) {
          const inferenceId =
            isPlainObject(msg.inference) && typeof msg.inference.inferenceId === 'string'
              ? msg.inference.inferenceId
              : undefined;
          recordDecision({
            ruleSetId: config.ruleSetId,
            ruleSetVersion: version,
            time: new Date().toISOString(),
            facts,
            firedEvents: result.events as RuleEvent[],
            flowId: this.z,
            nodeId: this.id,
            ...(inferenceId ? { inferenceId } : {}),
          });
        }
        send([eventMessages, debug]);
        done();
      } catch (err) {
        const text =
          err instanceof GatewayError && err.transient
            ? 'gateway unreachable: rule set not loaded'
            : (err as Error).message;
        this.status({ fill: 'red', shape: 'ring', text: text.slice(0, 80) });
        done(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  RED.nodes.registerType(RULE_NODE_TYPE, LoopgateRuleNode);
}
