import { Fact } from 'json-rules-engine';
import { AsyncFactError, UndefinedFactError } from './errors';
import { compileFactPath, plainPathSegments, type PathResolver } from './fact-path';

/** The facts one evaluation sees: a plain object of values, as passed to `engine.run(facts)`. */
export type Facts = Record<string, unknown>;

/** A fact known when compiling, like json-rules-engine's `engine.addFact(id, valueOrMethod, options)`. */
export interface EngineFact {
  id: string;
  /** A constant value. A function here is a computed fact, as in json-rules-engine. */
  value?: unknown;
  /** A computed fact (`(params, almanac) => value`); evaluated by json-rules-engine through `evaluateAsync`. */
  calculate?: (params: Record<string, unknown>, almanac: unknown) => unknown;
  /** Conditions on higher-priority facts are evaluated first (json-rules-engine fact priority). */
  priority?: number;
  cache?: boolean;
}

interface EngineFactEntry {
  dynamic: boolean;
  value: unknown;
}

/** A slot holding a path read inside another slot's fact value. */
interface PathSlot {
  base: number;
  resolve: (factValue: unknown) => unknown;
}

const propertyIsEnumerable = Object.prototype.propertyIsEnumerable;
const EMPTY_FACTS: Facts = Object.freeze(Object.create(null) as Facts);

/** Whether the engine would adopt `v` as a promise (`Promise.resolve` follows any callable `then`). */
export function isThenable(v: unknown): boolean {
  return (
    v !== null &&
    (typeof v === 'object' || typeof v === 'function') &&
    typeof (v as { then?: unknown }).then === 'function'
  );
}

/**
 * What a compiled rule set reads, by slot: facts by name, and values at a path inside a fact.
 * Each slot is read at most once per evaluation, so conditions and event params share the reads.
 */
export class FactSlots {
  /** The fact each slot reads (for a path slot, the fact the path starts from). */
  readonly names: string[] = [];
  /** Set for path slots only. */
  readonly paths: (PathSlot | undefined)[] = [];
  private readonly byName = new Map<string, number>();
  private readonly byPath = new Map<string, number>();
  readonly engineFacts = new Map<string, EngineFactEntry>();
  readonly enginePriority = new Map<string, number>();

  constructor(engineFacts: readonly EngineFact[] = []) {
    for (const fact of engineFacts) {
      if (!fact.id) throw new Error('factId required');
      const value = fact.calculate ?? fact.value;
      this.engineFacts.set(fact.id, { dynamic: typeof value === 'function', value });
      this.enginePriority.set(fact.id, Number.parseInt(String(fact.priority || 1), 10));
    }
  }

  slot(name: string): number {
    let slot = this.byName.get(name);
    if (slot === undefined) {
      slot = this.add(name, undefined);
      this.byName.set(name, slot);
    }
    return slot;
  }

  /**
   * `Almanac.factValue(fact, params, path)` as a slot. Plain property paths are shared by every
   * reader; jsonpath expressions and custom resolvers get a slot per reader, so they run as often
   * as in the engine.
   */
  valueSlot(name: string, path: string | undefined, resolver: PathResolver | undefined): number {
    const base = this.slot(name);
    if (!path) return base;
    const segments = resolver ? undefined : plainPathSegments(path);
    const key = segments ? `${base}:${JSON.stringify(segments)}` : undefined;
    const known = key === undefined ? undefined : this.byPath.get(key);
    if (known !== undefined) return known;
    const slot = this.add(name, { base, resolve: compileFactPath(path, resolver) });
    if (key !== undefined) this.byPath.set(key, slot);
    return slot;
  }

  get count(): number {
    return this.names.length;
  }

  private add(name: string, path: PathSlot | undefined): number {
    this.names.push(name);
    this.paths.push(path);
    return this.names.length - 1;
  }
}

/**
 * Reads fact values for one evaluation at a time, each at most once (the almanac's cache, without
 * the promises). Values are never copied: conditions see the caller's objects.
 */
export class FactReader {
  private facts: Facts = EMPTY_FACTS;
  private epoch = 0;
  private readonly stamps: number[];
  /** This evaluation's values by slot; only slots read in this evaluation hold its values. */
  private slotValues: unknown[];
  private slotValuesKept = false;
  private scannedForEngineFacts = -1;
  /** Set while an evaluation runs, so a re-entrant call gets its own reader. */
  busy = false;
  /** Scratch space for the equality index: rule positions that can match. */
  readonly candidates: Int32Array;

  constructor(
    private readonly slots: FactSlots,
    private readonly allowUndefinedFacts: boolean,
    ruleCount: number,
  ) {
    this.stamps = new Array<number>(slots.count).fill(-1);
    this.slotValues = new Array<unknown>(slots.count).fill(undefined);
    this.candidates = new Int32Array(ruleCount);
  }

  /** The values read so far in this evaluation, by slot (valid for slots `read` has returned). */
  get values(): readonly unknown[] {
    return this.slotValues;
  }

  /**
   * Starts an evaluation over `input`, which `engine.run` would read with `for…in`. With
   * `keepValues` its values go to a fresh array that the result may keep: the next evaluation writes elsewhere.
   */
  begin(input: unknown, keepValues = false): void {
    this.epoch++;
    if (this.epoch === 0x3fffffff) {
      this.stamps.fill(-1);
      this.scannedForEngineFacts = -1;
      this.epoch = 1;
    }
    if (keepValues || this.slotValuesKept) {
      this.slotValues = new Array<unknown>(this.stamps.length).fill(undefined);
      this.slotValuesKept = keepValues;
    }
    if (input === undefined || input === null) {
      this.facts = EMPTY_FACTS;
      return;
    }
    const proto = typeof input === 'object' ? Object.getPrototypeOf(input) : undefined;
    if (proto === Object.prototype || proto === null) {
      // `new Fact('')` throws in engine.run before anything is evaluated.
      if (propertyIsEnumerable.call(input, '')) throw new Error('factId required');
      this.facts = input as Facts;
      return;
    }
    // Arrays, strings, class instances: take exactly what for…in yields, inherited keys included.
    const flat = Object.create(null) as Facts;
    for (const key in input as Facts) {
      if (key === '') throw new Error('factId required');
      flat[key] = (input as Facts)[key];
    }
    this.facts = flat;
  }

  end(): void {
    this.facts = EMPTY_FACTS;
  }

  /** The value of the fact in `slot`; throws as the engine would reject. */
  read(slot: number): unknown {
    if (this.stamps[slot] === this.epoch) return this.slotValues[slot];
    return this.load(slot);
  }

  /** Whether reading `slot` succeeds without throwing (and, if asked, gives a primitive that is not a symbol). */
  probe(slot: number, primitive: boolean): boolean {
    let v: unknown;
    try {
      v = this.read(slot);
    } catch {
      // The caller falls back to the exact path, which reads again and throws there.
      return false;
    }
    if (!primitive || v === null) return true;
    const t = typeof v;
    return t !== 'object' && t !== 'function' && t !== 'symbol';
  }

  private load(slot: number): unknown {
    const name = this.slots.names[slot];
    const path = this.slots.paths[slot];
    let v: unknown;
    if (path !== undefined) {
      v = path.resolve(this.read(path.base));
      // The almanac resolves the path inside a `then`, so a promise found there is awaited.
      if (isThenable(v)) throw new AsyncFactError(name);
    } else if (propertyIsEnumerable.call(this.facts, name)) {
      v = this.facts[name];
      if (typeof v === 'function' || (v !== null && typeof v === 'object' && (v instanceof Fact || isThenable(v)))) {
        throw new AsyncFactError(name);
      }
    } else {
      this.checkForEngineFacts(name);
      const engineFact = this.slots.engineFacts.get(name);
      if (engineFact) {
        if (engineFact.dynamic || isThenable(engineFact.value)) throw new AsyncFactError(name);
        v = engineFact.value;
      } else if (!this.allowUndefinedFacts) {
        throw new UndefinedFactError(name);
      }
    }
    this.stamps[slot] = this.epoch;
    this.slotValues[slot] = v;
    return v;
  }

  /** A json-rules-engine `Fact` passed among the facts registers under its own id: only the engine can say which. */
  private checkForEngineFacts(missing: string): void {
    if (this.scannedForEngineFacts === this.epoch) return;
    for (const key in this.facts) {
      if (this.facts[key] instanceof Fact) throw new AsyncFactError(missing);
    }
    this.scannedForEngineFacts = this.epoch;
  }
}
