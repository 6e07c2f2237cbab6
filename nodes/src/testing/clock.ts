import { vi } from 'vitest';

/**
 * Runs `work` on a fake clock (Date and timers) that advances in `stepMs` steps, with a turn of
 * the real event loop between steps so sockets still answer: retries and backoff waits take no
 * real time, and the order of events stays what the clock says.
 */
export async function onFakeClock<T>(work: () => Promise<T>, stepMs = 50): Promise<T> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  try {
    let settled = false;
    const running = work().finally(() => {
      settled = true;
    });
    running.catch(() => undefined);
    while (!settled) {
      await vi.advanceTimersByTimeAsync(stepMs);
      await new Promise((resolve) => setImmediate(resolve));
    }
    return await running;
  } finally {
    vi.useRealTimers();
  }
}
