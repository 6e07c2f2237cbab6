/**
 * `npm run bench:rules`: the same generated shop-floor rule sets through json-rules-engine and
 * through the compiled evaluator, in one process. Checks that both fire the same events, prints
 * events/s and the ratio per size, and ends with one JSON line of the figures.
 */
import { isDeepStrictEqual } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { RuleEvent } from '@loopgate/contracts';
import { Engine } from 'json-rules-engine';
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

interface Figures {
  rules: number;
  indexedRules: number;
  verifiedEvents: number;
  firedPerEvent: number;
  jsonRulesEngine: number;
  evaluate: number;
  events: number;
  evaluateRatio: number;
  eventsRatio: number;
}

/**
 * Events of one evaluation, comparable: json-rules-engine orders a priority's events by promise
 * timing, and the compiled rule set keeps params in canonical key order.
 */
const comparable = (events: RuleEvent[]) => events.map((e) => JSON.stringify(canonicalJson(e))).sort();

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

  // The same events fired, event by event, before anything is timed.
  const verified = VERIFIED[ruleCount] ?? 100;
  let fired = 0;
  for (const facts of events.slice(0, verified)) {
    const expected = comparable((await engine.run(facts)).events as RuleEvent[]);
    const viaEvaluate = evaluator.evaluate(facts).events;
    const viaEvents = evaluator.events(facts);
    fired += viaEvents.length;
    if (!isDeepStrictEqual(comparable(viaEvaluate), expected) || !isDeepStrictEqual(comparable(viaEvents), expected)) {
      throw new Error(
        `${ruleCount} rules: compiled evaluator and json-rules-engine disagree on ${JSON.stringify(facts)}`,
      );
    }
  }

  let i = 0;
  const nextFacts = () => events[i++ % events.length];
  // Warm-up, so the JIT has settled before the first window.
  windowSync(200, () => evaluator.evaluate(nextFacts()));
  windowSync(200, () => evaluator.events(nextFacts()));
  let best = { engine: 0, evaluate: 0, events: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    const engineRate = await windowAsync(ENGINE_WINDOW_MS, () => engine.run(nextFacts()));
    const evaluateRate = windowSync(COMPILED_WINDOW_MS, () => evaluator.evaluate(nextFacts()));
    const eventsRate = windowSync(COMPILED_WINDOW_MS, () => evaluator.events(nextFacts()));
    best = {
      engine: Math.max(best.engine, engineRate),
      evaluate: Math.max(best.evaluate, evaluateRate),
      events: Math.max(best.events, eventsRate),
    };
  }
  return {
    rules: ruleCount,
    indexedRules: evaluator.indexedRuleCount,
    verifiedEvents: verified,
    firedPerEvent: Math.round((fired / verified) * 1000) / 1000,
    jsonRulesEngine: Math.round(best.engine),
    evaluate: Math.round(best.evaluate),
    events: Math.round(best.events),
    evaluateRatio: Math.round((best.evaluate / best.engine) * 10) / 10,
    eventsRatio: Math.round((best.events / best.engine) * 10) / 10,
  };
}

async function main(): Promise<void> {
  const results: Figures[] = [];
  console.log(
    `rules bench: generated shop-floor rule sets and events, best of ${ROUNDS} alternating windows, Node ${process.version}`,
  );
  for (const size of SIZES) {
    const f = await benchSize(size);
    results.push(f);
    console.log(
      `${String(size).padStart(5)} rules  json-rules-engine ${f.jsonRulesEngine.toLocaleString('en')} events/s | ` +
        `evaluate (all results) ${f.evaluate.toLocaleString('en')} events/s = ${f.evaluateRatio}× | ` +
        `events (fired only, indexed ${f.indexedRules}/${size}) ${f.events.toLocaleString('en')} events/s = ${f.eventsRatio}× | ` +
        `same events fired on ${f.verifiedEvents} events (${f.firedPerEvent} per event)`,
    );
  }
  const goalMet = results.filter((r) => r.rules >= 100).every((r) => r.eventsRatio >= 100);
  console.log(
    JSON.stringify({ bench: 'rules', goal: '>=100x json-rules-engine at 100 and 1000 rules', goalMet, results }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
