/**
 * `npm run bench:rules`: the same generated shop-floor rule sets through json-rules-engine and
 * through the compiled evaluator, in one process. Checks that both paths give json-rules-engine's
 * events (and `evaluate` its failure events and per-condition results), prints events/s and the
 * ratio of each path per size, and ends with one JSON line of the figures.
 *
 * Paths: `evaluate` as returned (for large rule sets, failure events and per-condition results
 * are built when first read), `evaluate` with those read (what the evaluate endpoint and the rule
 * node pay), and `events` (fired events only, through the equality index).
 */
import { isDeepStrictEqual } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { EvaluationResult, RuleEvent, RuleResult } from '@loopgate/contracts';
import { Engine, type RuleResult as EngineRuleResult } from 'json-rules-engine';
import { engineConditionResults } from '../evaluator/engine-runner';
import { LOOPGATE_RULE_OPTIONS, compileRuleSet } from '../evaluator/evaluator';
import { canonicalJson } from '../file/canonical';
import { shopFloorBench } from './shop-floor';

const SIZES = [10, 100, 1000];
/** Events checked against json-rules-engine per size, before timing (it runs ~30 events/s at 1,000 rules). */
const VERIFIED: Record<number, number> = { 10: 2000, 100: 1000, 1000: 150 };
const EVENT_COUNT = 2000;
/** Each implementation is timed in alternating windows and the best window counts: the CI machine is shared. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ENGINE_WINDOW_MS = Number(process.env.BENCH_ENGINE_WINDOW_MS ?? 700);
const COMPILED_WINDOW_MS = Number(process.env.BENCH_COMPILED_WINDOW_MS ?? 600);

/** Events/s per path, and each path's ratio to json-rules-engine. */
interface Figures {
  rules: number;
  indexedRules: number;
  verifiedEvents: number;
  firedPerEvent: number;
  jsonRulesEngine: number;
  evaluate: number;
  evaluateResultsRead: number;
  events: number;
  evaluateRatio: number;
  evaluateResultsReadRatio: number;
  eventsRatio: number;
}

const GOAL_RATIO = 100;
const GOAL_SIZES = [100, 1000];

/**
 * Events of one evaluation, comparable: json-rules-engine orders a priority's events by promise
 * timing, and the compiled rule set keeps params in canonical key order.
 */
const comparable = (events: readonly RuleEvent[]) => events.map((e) => JSON.stringify(canonicalJson(e))).sort();

/** Rule results in one order (rule names are unique in the generated sets), compared strictly but for key order. */
const byName = (results: readonly RuleResult[]) => [...results].sort((a, b) => (a.name < b.name ? -1 : 1));

/** json-rules-engine's run in the evaluator's terms. */
function engineResults(run: { results: EngineRuleResult[]; failureResults: EngineRuleResult[] }): RuleResult[] {
  return [...run.results, ...run.failureResults].map((r) => ({
    name: r.name,
    priority: r.priority as number,
    result: r.result,
    event: r.event as RuleEvent,
    conditions: engineConditionResults(r.conditions),
  }));
}

/** Reads what `evaluate` may build lazily, as the evaluate endpoint's serializer does. */
function readResults(result: EvaluationResult): number {
  return result.results.length + result.failureEvents.length;
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Each window starts on a collected heap, so one implementation's garbage is not billed to the next. */
async function windowAsync(ms: number, next: () => Promise<unknown>): Promise<number> {
  gc();
  const start = performance.now();
  let n = 0;
  while (n < 5 || performance.now() - start < ms) {
    await next();
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

function windowSync(ms: number, next: () => unknown): number {
  gc();
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < ms) {
    for (let k = 0; k < 50; k++) next();
    n += 50;
  }
  return n / ((performance.now() - start) / 1000);
}

async function benchSize(ruleCount: number): Promise<Figures> {
  const { ruleSet, events } = shopFloorBench(ruleCount, EVENT_COUNT);
  const engine = new Engine(structuredClone(ruleSet.rules) as never, { ...LOOPGATE_RULE_OPTIONS });
  const evaluator = compileRuleSet(ruleSet, LOOPGATE_RULE_OPTIONS);

  // Both paths checked against json-rules-engine, event by event, before anything is timed.
  const verified = VERIFIED[ruleCount] ?? 100;
  let fired = 0;
  for (const facts of events.slice(0, verified)) {
    const run = await engine.run(facts);
    const expectedEvents = comparable(run.events as RuleEvent[]);
    const full = evaluator.evaluate(facts);
    const viaEvents = evaluator.events(facts);
    fired += viaEvents.length;
    const disagreement = !isDeepStrictEqual(comparable(viaEvents), expectedEvents)
      ? 'events()'
      : !isDeepStrictEqual(comparable(full.events), expectedEvents)
        ? 'evaluate().events'
        : !isDeepStrictEqual(comparable(full.failureEvents), comparable(run.failureEvents as RuleEvent[]))
          ? 'evaluate().failureEvents'
          : !isDeepStrictEqual(byName(full.results), byName(engineResults(run)))
            ? 'evaluate().results'
            : undefined;
    if (disagreement) {
      throw new Error(`${ruleCount} rules: ${disagreement} and json-rules-engine disagree on ${JSON.stringify(facts)}`);
    }
  }

  let i = 0;
  const nextFacts = () => events[i++ % events.length];
  const paths = {
    evaluate: () => evaluator.evaluate(nextFacts()),
    evaluateResultsRead: () => readResults(evaluator.evaluate(nextFacts())),
    events: () => evaluator.events(nextFacts()),
  };
  // Warm-up, so the JIT has settled before the first window.
  for (const path of Object.values(paths)) windowSync(200, path);
  const best = { engine: 0, evaluate: 0, evaluateResultsRead: 0, events: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    best.engine = Math.max(best.engine, await windowAsync(ENGINE_WINDOW_MS, () => engine.run(nextFacts())));
    best.evaluate = Math.max(best.evaluate, windowSync(COMPILED_WINDOW_MS, paths.evaluate));
    best.evaluateResultsRead = Math.max(
      best.evaluateResultsRead,
      windowSync(COMPILED_WINDOW_MS, paths.evaluateResultsRead),
    );
    best.events = Math.max(best.events, windowSync(COMPILED_WINDOW_MS, paths.events));
  }
  const ratio = (rate: number) => Math.round((rate / best.engine) * 10) / 10;
  return {
    rules: ruleCount,
    indexedRules: evaluator.indexedRuleCount,
    verifiedEvents: verified,
    firedPerEvent: Math.round((fired / verified) * 1000) / 1000,
    jsonRulesEngine: Math.round(best.engine),
    evaluate: Math.round(best.evaluate),
    evaluateResultsRead: Math.round(best.evaluateResultsRead),
    events: Math.round(best.events),
    evaluateRatio: ratio(best.evaluate),
    evaluateResultsReadRatio: ratio(best.evaluateResultsRead),
    eventsRatio: ratio(best.events),
  };
}

async function main(): Promise<void> {
  const results: Figures[] = [];
  console.log(
    `rules bench: generated shop-floor rule sets and events, best of ${ROUNDS} alternating windows, Node ${process.version}`,
  );
  const rate = (n: number) => `${n.toLocaleString('en')} events/s`;
  for (const size of SIZES) {
    const f = await benchSize(size);
    results.push(f);
    console.log(
      `${String(size).padStart(5)} rules  json-rules-engine ${rate(f.jsonRulesEngine)} | ` +
        `evaluate ${rate(f.evaluate)} = ${f.evaluateRatio}× | ` +
        `evaluate, results read ${rate(f.evaluateResultsRead)} = ${f.evaluateResultsReadRatio}× | ` +
        `events (fired only, indexed ${f.indexedRules}/${size}) ${rate(f.events)} = ${f.eventsRatio}× | ` +
        `same results as json-rules-engine on ${f.verifiedEvents} events (${f.firedPerEvent} fired per event)`,
    );
  }
  const atGoalSizes = results.filter((r) => GOAL_SIZES.includes(r.rules));
  const goalMetBy = {
    evaluate: atGoalSizes.every((r) => r.evaluateRatio >= GOAL_RATIO),
    evaluateResultsRead: atGoalSizes.every((r) => r.evaluateResultsReadRatio >= GOAL_RATIO),
    events: atGoalSizes.every((r) => r.eventsRatio >= GOAL_RATIO),
  };
  const goalMet = Object.values(goalMetBy).every(Boolean);
  const goal = `>=${GOAL_RATIO}x json-rules-engine at ${GOAL_SIZES.join(' and ')} rules, every path`;
  console.log(JSON.stringify({ bench: 'rules', goal, goalMet, goalMetBy, results }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
