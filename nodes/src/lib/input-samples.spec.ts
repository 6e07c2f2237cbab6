import { describe, expect, it } from 'vitest';
import { inputSampleOf, inputSamplesOf, LatestInputs, MAX_INPUTS_PER_DECISION } from './input-samples';

const SPINDLE = 'ns=1;s=CNC_Cell_01.SpindleLoad';
const AT = '2026-12-03T08:00:00.120Z';

describe('inputSampleOf', () => {
  it('reads node-opcua status objects, plain numbers and cloned objects, with the source time', () => {
    expect(
      inputSampleOf({ topic: SPINDLE, payload: 91, statusCode: { value: 0 }, sourceTimestamp: new Date(AT) }),
    ).toEqual({ name: SPINDLE, sourceTime: AT, statusCode: 0 });
    expect(inputSampleOf({ topic: SPINDLE, statusCode: 0x80000000, sourceTimestamp: AT })).toEqual({
      name: SPINDLE,
      sourceTime: AT,
      statusCode: 0x80000000,
    });
    expect(inputSampleOf({ topic: SPINDLE, statusCode: { _value: 0x40000000 } })).toEqual({
      name: SPINDLE,
      statusCode: 0x40000000,
    });
  });

  it('says nothing of messages without a status or a time, or without a topic', () => {
    expect(inputSampleOf({ topic: SPINDLE, payload: 91 })).toBeUndefined();
    expect(inputSampleOf({ payload: 91, statusCode: 0 })).toBeUndefined();
    expect(inputSampleOf({ topic: SPINDLE, sourceTimestamp: 'not a time', statusCode: 'Good' })).toBeUndefined();
  });
});

describe('inputSamplesOf', () => {
  it('keeps well-formed samples only, at most the limit', () => {
    expect(
      inputSamplesOf([
        { name: 'a', sourceTime: AT, statusCode: 0, extra: 'dropped' },
        { name: '', statusCode: 0 },
        'text',
        { name: 'b', quality: 'bad', statusCode: -1 },
      ]),
    ).toEqual([
      { name: 'a', sourceTime: AT, statusCode: 0 },
      { name: 'b', quality: 'bad' },
    ]);
    expect(inputSamplesOf(Array.from({ length: 80 }, (_, i) => ({ name: `n${i}` })))).toHaveLength(
      MAX_INPUTS_PER_DECISION,
    );
    expect(inputSamplesOf('x')).toBeUndefined();
    expect(inputSamplesOf([])).toBeUndefined();
  });
});

describe('LatestInputs', () => {
  it('answers the named nodes seen, or the current sample when the rule set names none', () => {
    const latest = new LatestInputs();
    latest.record({ name: 'a', statusCode: 0 });
    latest.record({ name: 'b', statusCode: 0 });
    latest.record({ name: 'a', statusCode: 0x80000000 });
    expect(latest.forDecision(['a', 'b', 'never-seen'], undefined)).toEqual([
      { name: 'a', statusCode: 0x80000000 },
      { name: 'b', statusCode: 0 },
    ]);
    expect(latest.forDecision([], { name: 'c', statusCode: 0 })).toEqual([{ name: 'c', statusCode: 0 }]);
    expect(latest.forDecision([], undefined)).toEqual([]);
    // What the model upstream says it used comes first and wins for its names.
    expect(latest.forDecision(['a', 'b'], undefined, [{ name: 'b', quality: 'good' }])).toEqual([
      { name: 'b', quality: 'good' },
      { name: 'a', statusCode: 0x80000000 },
    ]);
  });

  it('forgets the node heard from longest ago beyond its capacity', () => {
    const latest = new LatestInputs(2);
    latest.record({ name: 'a' });
    latest.record({ name: 'b' });
    latest.record({ name: 'a', statusCode: 0 });
    latest.record({ name: 'c' });
    expect(latest.forDecision(['a', 'b', 'c'], undefined).map((s) => s.name)).toEqual(['a', 'c']);
  });
});
