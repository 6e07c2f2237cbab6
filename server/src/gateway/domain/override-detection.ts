import type { ParameterValue } from '@loopgate/contracts';
import { valuesEqual } from './values';

/** What the gateway last wrote to an ordering key, and whether someone changed it since. */
export interface KeyWriteState {
  key: string;
  value: ParameterValue | null;
  commandId: string;
  writtenAt: string;
  /** The value someone else put there, once noticed, so one override is audited once. */
  overriddenWith?: ParameterValue | null;
  /** AI writes to the key are held until then (OVERRIDE_HOLD). */
  holdUntil?: string;
}

export interface OverrideObservation {
  state: KeyWriteState;
  /** The value the gateway wrote and the value found instead. */
  written: ParameterValue | null;
  found: ParameterValue | null;
  /** Who changed it, as the target reports it; absent when the target does not say. */
  changedBy?: string;
}

/**
 * Tracks the gateway's own last write per key. A read that finds another value that no write of
 * the gateway explains is an external change (by whoever the target names, or an unknown hand):
 * audited once, and AI writes to the key are held.
 */
export class OverrideTracker {
  private readonly states = new Map<string, KeyWriteState>();
  /** Per key, values this process sent that were never confirmed (a write that may land late). */
  private readonly unconfirmed = new Map<string, { value: ParameterValue | null; commandId: string }[]>();

  /** A cache of the stored key states: at most `maxKeys`, the least recently set dropped first. */
  constructor(private readonly maxKeys = 10_000) {}

  load(states: Iterable<KeyWriteState>): void {
    for (const state of states) this.put(state);
  }

  private put(state: KeyWriteState): void {
    this.states.delete(state.key);
    this.states.set(state.key, state);
    if (this.states.size > this.maxKeys) this.states.delete(this.states.keys().next().value as string);
  }

  get(key: string): KeyWriteState | undefined {
    return this.states.get(key);
  }

  /** A write of `value` was sent to `key`: until a later write is applied, finding it there is explained. */
  recordSent(key: string, value: ParameterValue | null, commandId: string): void {
    const sent = (this.unconfirmed.get(key) ?? []).filter((s) => s.commandId !== commandId);
    sent.push({ value, commandId });
    this.unconfirmed.delete(key);
    this.unconfirmed.set(key, sent.slice(-10));
    if (this.unconfirmed.size > this.maxKeys) this.unconfirmed.delete(this.unconfirmed.keys().next().value as string);
  }

  /**
   * The gateway applied `value` to `key`: later reads are compared with it. `holdUntil` (a person's
   * revert) holds the AI's writes to the key until then; a later hold already there stays.
   */
  recordWrite(
    key: string,
    value: ParameterValue | null,
    commandId: string,
    at: string,
    holdUntil?: string,
  ): KeyWriteState {
    this.unconfirmed.delete(key);
    const previous = this.states.get(key);
    const held = !previous?.holdUntil || (holdUntil ?? '') > previous.holdUntil ? holdUntil : previous.holdUntil;
    const state: KeyWriteState = { key, value, commandId, writtenAt: at, holdUntil: held };
    this.put(state);
    return state;
  }

  /**
   * Compares a fresh read with the last write; returns the change the first time it is seen. A value
   * the gateway itself sent without confirmation (a write that landed late) is not a change by anyone
   * else: the key's state takes it and nothing is returned.
   */
  observe(
    key: string,
    found: ParameterValue | null,
    now: number,
    holdSeconds: number,
    changedBy?: string,
  ): OverrideObservation | undefined {
    const state = this.states.get(key);
    if (!state || valuesEqual(state.value, found)) return undefined;
    if (state.overriddenWith !== undefined && valuesEqual(state.overriddenWith, found)) return undefined;
    const own = this.unconfirmed.get(key)?.find((s) => valuesEqual(s.value, found));
    if (own) {
      this.put({ ...state, value: found, commandId: own.commandId, overriddenWith: undefined });
      return undefined;
    }
    const next: KeyWriteState = {
      ...state,
      overriddenWith: found,
      holdUntil: new Date(now + holdSeconds * 1000).toISOString(),
    };
    this.put(next);
    return { state: next, written: state.value, found, ...(changedBy ? { changedBy } : {}) };
  }

  /** Whether AI writes to `key` are held after an override. */
  isHeld(key: string, now: number): boolean {
    const until = this.states.get(key)?.holdUntil;
    return until !== undefined && Date.parse(until) > now;
  }

  keysWrittenSince(since: number): KeyWriteState[] {
    return [...this.states.values()].filter((s) => Date.parse(s.writtenAt) >= since);
  }
}
