import { describe, expect, it } from 'vitest';
import { BatchProgress, runByKey } from './batch-progress';

describe('BatchProgress', () => {
  it('commits nothing while the first record is still running', () => {
    const progress = new BatchProgress(['10', '11', '12']);
    expect(progress.done('11')).toBeUndefined();
    expect(progress.done('12')).toBeUndefined();
    expect(progress.lastHandled()).toBeUndefined();
  });

  it('moves to the first unhandled record once the prefix is handled', () => {
    const progress = new BatchProgress(['10', '11', '12']);
    progress.done('11');
    expect(progress.done('10')).toBe('12');
    expect(progress.lastHandled()).toBe('11');
    expect(progress.done('12')).toBe('13');
    expect(progress.remaining).toBe(0);
  });

  it('compares offsets as 64-bit numbers, not strings', () => {
    const progress = new BatchProgress(['9', '10', '9007199254740993']);
    expect(progress.done('9')).toBe('10');
    expect(progress.done('10')).toBe('11');
    expect(progress.done('9007199254740993')).toBe('9007199254740994');
  });
});

const rec = (key: string, offset: number) => ({ key, offset: String(offset) });
const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('runByKey', () => {
  it('delivers one key in offset order, one at a time', async () => {
    const log: string[] = [];
    let running = 0;
    await runByKey(
      [rec('a', 0), rec('a', 1), rec('a', 2)],
      async (r) => {
        running += 1;
        expect(running).toBe(1);
        log.push(r.offset);
        await tick();
        running -= 1;
        return true;
      },
      { concurrency: 8, shouldContinue: () => true, onHandled: () => undefined },
    );
    expect(log).toEqual(['0', '1', '2']);
  });

  it('runs different keys in parallel', async () => {
    let running = 0;
    let peak = 0;
    await runByKey(
      [rec('a', 0), rec('b', 1), rec('c', 2)],
      async () => {
        running += 1;
        peak = Math.max(peak, running);
        await tick();
        running -= 1;
        return true;
      },
      { concurrency: 8, shouldContinue: () => true, onHandled: () => undefined },
    );
    expect(peak).toBe(3);
  });

  it('starts no later record of a key after a give-up', async () => {
    const handled: string[] = [];
    await runByKey([rec('a', 0), rec('a', 1), rec('b', 2)], async (r) => r.offset !== '0', {
      concurrency: 2,
      shouldContinue: () => true,
      onHandled: (r) => handled.push(r.offset),
    });
    expect(handled).toEqual(['2']);
  });

  it('starts nothing new once told to stop, and lets the running record finish', async () => {
    let go = true;
    const handled: string[] = [];
    await runByKey(
      [rec('a', 0), rec('a', 1)],
      async () => {
        go = false;
        await tick();
        return true;
      },
      { concurrency: 1, shouldContinue: () => go, onHandled: (r) => handled.push(r.offset) },
    );
    expect(handled).toEqual(['0']);
  });
});
