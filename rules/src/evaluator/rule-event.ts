import type { RuleEvent } from '@loopgate/contracts';
import { deepFreeze, isFactReference } from './compile-conditions';
import { plainPathSegments, type PathResolver } from './fact-path';
import type { FactReader, FactSlots } from './fact-reader';

/** A fact an event param reads; the equality index needs to know whether its path can throw. */
export interface EventFactRead {
  name: string;
  plainPath: boolean;
}

/**
 * A rule's event as results show it: the rule's own (frozen, shared) event, or, when params read
 * facts (`replaceFactsInEventParams`), a copy with those params replaced, built per evaluation.
 */
export class RuleEventTemplate {
  /** The rule's own event, frozen and shared by every result that needs no replacing. */
  readonly event: RuleEvent;
  /** Slots the params read, in key order; empty when nothing is replaced. */
  readonly slots: readonly number[];
  readonly factReads: readonly EventFactRead[];
  /** The params keys that read facts, in key order, matching `slots`. */
  private readonly keys: readonly string[];

  constructor(event: RuleEvent, replaceFacts: boolean, slots: FactSlots, pathResolver: PathResolver | undefined) {
    // Rule.setEvent keeps only `type` and truthy `params`.
    this.event = deepFreeze(event.params ? { type: event.type, params: event.params } : { type: event.type });
    const params = this.event.params;
    const keys: string[] = [];
    const reads: number[] = [];
    const factReads: EventFactRead[] = [];
    if (replaceFacts && params !== null && typeof params === 'object') {
      for (const key of Object.keys(params)) {
        const v = params[key];
        if (!isFactReference(v)) continue;
        keys.push(key);
        reads.push(slots.valueSlot(v.fact, v.path, pathResolver));
        factReads.push({ name: v.fact, plainPath: !v.path || plainPathSegments(v.path) !== undefined });
      }
    }
    this.keys = keys;
    this.slots = reads;
    this.factReads = factReads;
  }

  /** Reads what the params read (json-rules-engine's `resolveEventParams`) and builds the event. */
  resolve(reader: FactReader): RuleEvent {
    const slots = this.slots;
    for (let i = 0; i < slots.length; i++) reader.read(slots[i]);
    return this.build(reader.values);
  }

  /** The event from the values of an evaluation that read all of `slots`; the frozen event when nothing is replaced. */
  build(values: readonly unknown[]): RuleEvent {
    const keys = this.keys;
    if (keys.length === 0) return this.event;
    // A shallow copy keeps the key order (the engine replaces values in place on its clone).
    const params: Record<string, unknown> = { ...this.event.params };
    const slots = this.slots;
    for (let i = 0; i < keys.length; i++) params[keys[i]] = values[slots[i]];
    return { type: this.event.type, params };
  }
}
