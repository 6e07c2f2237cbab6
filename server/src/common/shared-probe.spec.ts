import { describe, expect, it } from 'vitest';
import { SharedProbe } from './shared-probe';

function counted<T>(answers: T[]) {
  const calls: Array<() => void> = [];
  let n = 0;
  return {
    probe: () => new Promise<T>((resolve) => calls.push(() => resolve(answers[Math.min(n++, answers.length - 1)]))),
    calls,
    answerNext: () => calls.shift()!(),
  };
}

describe('SharedProbe', () => {
  it('run one probe for every caller that arrives while it runs', async () => {
    const source = counted(['up']);
    const probe = new SharedProbe(source.probe, 5_000, { now: () => 0 });
    const answers = Promise.all(Array.from({ length: 50 }, () => probe.get()));
    expect(source.calls).toHaveLength(1);
    source.answerNext();
    expect(await answers).toEqual(Array(50).fill('up'));
  });

  it('answer from the last result while it is fresh, and probe again once it is not', async () => {
    let now = 1_000;
    const source = counted(['up', 'down']);
    const probe = new SharedProbe(source.probe, 5_000, { now: () => now });
    expect(probe.latest).toBeUndefined();
    const first = probe.get();
    source.answerNext();
    expect(await first).toBe('up');
    now += 4_999;
    expect(await probe.get()).toBe('up');
    expect(source.calls).toHaveLength(0);
    now += 1;
    const second = probe.get();
    expect(source.calls).toHaveLength(1);
    source.answerNext();
    expect(await second).toBe('down');
    expect(probe.latest).toBe('down');
  });

  it('let a failed probe fail its callers and try again on the next call', async () => {
    let fail = true;
    const probe = new SharedProbe(
      () => (fail ? Promise.reject(new Error('no answer')) : Promise.resolve('up')),
      5_000,
      { now: () => 0 },
    );
    await expect(probe.get()).rejects.toThrow('no answer');
    fail = false;
    expect(await probe.get()).toBe('up');
  });
});
