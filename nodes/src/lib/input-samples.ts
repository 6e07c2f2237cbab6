import type { InputSample } from '@loopgate/contracts';
import type { NodeMessage } from './node-red';
import { isPlainObject } from './validation';

/** At most this many inputs travel with one request; a decision on more names the first ones. */
export const MAX_INPUTS_PER_DECISION = 50;

function isoTime(value: unknown): string | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  if (typeof value === 'string' || typeof value === 'number') {
    const time = new Date(value);
    return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
  }
  return undefined;
}

/**
 * The numeric OPC UA StatusCode of a node-red-contrib-opcua message: node-opcua sends a StatusCode
 * object (`value` getter, `_value` once cloned by a library that drops getters); flows may send the number.
 */
function statusCodeOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value >>> 0;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const key of ['value', '_value']) {
    const code = (value as Record<string, unknown>)[key];
    if (typeof code === 'number' && Number.isInteger(code) && code >= 0) return code >>> 0;
  }
  return undefined;
}

/**
 * One input sample from a node-red-contrib-opcua message: the node id (topic), the source
 * timestamp and the status code, as the server reported them; undefined for other messages.
 *
 * @example
 * inputSampleOf({ topic: 'ns=1;s=CNC_Cell_01.SpindleLoad', payload: 91, statusCode: { value: 0 },
 *   sourceTimestamp: new Date('2026-12-03T08:00:00.120Z') })
 * // → { name: 'ns=1;s=CNC_Cell_01.SpindleLoad', sourceTime: '2026-12-03T08:00:00.120Z', statusCode: 0 }
 */
export function inputSampleOf(msg: NodeMessage): InputSample | undefined {
  if (typeof msg.topic !== 'string' || msg.topic === '') return undefined;
  const sourceTime = isoTime(msg.sourceTimestamp);
  const statusCode = statusCodeOf(msg.statusCode);
  if (sourceTime === undefined && statusCode === undefined) return undefined;
  return {
    name: msg.topic,
    ...(sourceTime !== undefined ? { sourceTime } : {}),
    ...(statusCode !== undefined ? { statusCode } : {}),
  };
}

/**
 * `msg.inputs` as a flow or the rule node set it, kept to well-formed samples (a name, an ISO
 * source time, a numeric status code or a quality word), at most {@link MAX_INPUTS_PER_DECISION}.
 */
export function inputSamplesOf(value: unknown): InputSample[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const samples: InputSample[] = [];
  for (const entry of value) {
    if (!isPlainObject(entry) || typeof entry.name !== 'string' || entry.name === '') continue;
    const sample: InputSample = { name: entry.name };
    const sourceTime = isoTime(entry.sourceTime);
    if (sourceTime !== undefined) sample.sourceTime = sourceTime;
    const statusCode = statusCodeOf(entry.statusCode);
    if (statusCode !== undefined) sample.statusCode = statusCode;
    if (entry.quality === 'good' || entry.quality === 'uncertain' || entry.quality === 'bad')
      sample.quality = entry.quality;
    samples.push(sample);
    if (samples.length === MAX_INPUTS_PER_DECISION) break;
  }
  return samples.length > 0 ? samples : undefined;
}

/**
 * The latest sample per OPC UA node a rule node has seen, bounded: a node that subscribes to more
 * than `capacity` items forgets the one it heard from longest ago.
 */
export class LatestInputs {
  private readonly samples = new Map<string, InputSample>();

  constructor(private readonly capacity = 1000) {}

  record(sample: InputSample): void {
    this.samples.delete(sample.name);
    this.samples.set(sample.name, sample);
    if (this.samples.size > this.capacity) {
      const oldest = this.samples.keys().next().value;
      if (oldest !== undefined) this.samples.delete(oldest);
    }
  }

  /**
   * The samples a decision rests on: those the message already carries (`msg.inputs`, set by the
   * model upstream), then those of the named nodes (the rule set's `opcua:` facts) that have been
   * seen, or, when the rule set names none, the sample of the message itself. One per name.
   */
  forDecision(
    nodeIds: readonly string[],
    current: InputSample | undefined,
    carried: readonly InputSample[] = [],
  ): InputSample[] {
    const seen = nodeIds.length > 0 ? nodeIds.flatMap((id) => this.samples.get(id) ?? []) : current ? [current] : [];
    const names = new Set(carried.map((s) => s.name));
    return [...carried, ...seen.filter((s) => !names.has(s.name))].slice(0, MAX_INPUTS_PER_DECISION);
  }
}
