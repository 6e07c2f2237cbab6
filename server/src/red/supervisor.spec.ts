import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EditorTokenSigner } from './editor-token';
import { RestartBackoff, type Clock } from './restart-backoff';
import { NodeRedSupervisor } from './supervisor';

/** Timers that fire only when the test advances the clock. */
class ManualClock implements Clock {
  private at = 1_000_000;
  private readonly timers = new Map<number, { due: number; callback: () => void }>();
  private seq = 0;

  now(): number {
    return this.at;
  }
  setTimeout(callback: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { due: this.at + ms, callback });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  /** Delays of the timers still pending, from now. */
  pending(): number[] {
    return [...this.timers.values()].map((t) => t.due - this.at);
  }
  advance(ms: number): void {
    this.at += ms;
    for (const [id, timer] of [...this.timers]) {
      if (timer.due > this.at) continue;
      this.timers.delete(id);
      timer.callback();
    }
  }
}

const STAND_IN = path.join(__dirname, 'testing', 'stand-in-child.cjs');

let supervisor: NodeRedSupervisor | undefined;

afterEach(async () => {
  await supervisor?.stop();
  supervisor = undefined;
});

function supervise(clock: ManualClock): NodeRedSupervisor {
  supervisor = new NodeRedSupervisor({
    start: {
      serviceToken: 'lgs_test',
      editorPublicKeyPem: '',
      credentialSecret: 's',
      userDir: __dirname,
      logLevel: 'error',
      enableExec: false,
    },
    env: { PATH: process.env.PATH },
    signer: EditorTokenSigner.generate(),
    beforeStart: async () => undefined,
    clock,
    backoff: new RestartBackoff({ initialMs: 500, maxMs: 4_000, stableMs: 60_000 }),
    entry: STAND_IN,
  });
  return supervisor;
}

/** SIGKILLs the child and resolves once the supervisor has seen it die (the health check turns). */
async function killChild(s: NodeRedSupervisor): Promise<number> {
  const pid = s.pid()!;
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 500 && s.health().ok; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  return pid;
}

describe('NodeRedSupervisor', () => {
  it('reports a SIGKILLed child as down with the restart time, and restarts it only when the backoff has passed', async () => {
    const clock = new ManualClock();
    const s = supervise(clock);
    await s.start();
    expect(s.health()).toEqual({ ok: true, critical: false });
    const first = await killChild(s);

    const killedAt = clock.now();
    expect(s.health()).toMatchObject({ ok: false, critical: false });
    expect(s.health().message).toBe(
      `down since ${new Date(killedAt).toISOString()} (exited: SIGKILL); restart at ${new Date(killedAt + 500).toISOString()}`,
    );
    expect(s.port()).toBeUndefined();
    expect(clock.pending()).toEqual([500]);

    clock.advance(499);
    expect(s.health().message).toMatch(/^down since/);
    const up = s.whenUp();
    clock.advance(1);
    expect(s.health().message).toBe(`starting since ${new Date(killedAt + 500).toISOString()}`);
    await up;
    expect(s.starts).toBe(2);
    expect(s.health().ok).toBe(true);
    expect(s.pid()).not.toBe(first);
    const answer = await fetch(`http://127.0.0.1:${s.port()}/`);
    expect(await answer.text()).toBe(String(s.pid()));
  });

  it('doubles the delay for crashes in a row and starts over after a stable run', async () => {
    const clock = new ManualClock();
    const s = supervise(clock);
    await s.start();
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      await killChild(s);
      delays.push(...clock.pending());
      const up = s.whenUp();
      clock.advance(clock.pending()[0]);
      await up;
    }
    expect(delays).toEqual([500, 1_000, 2_000, 4_000]);

    clock.advance(60_000);
    await killChild(s);
    expect(clock.pending()).toEqual([500]);
    expect(s.starts).toBe(5);
  });

  it('survives messages sent into a child that is dying: liveness probes racing a SIGKILL', async () => {
    const clock = new ManualClock();
    const s = supervise(clock);
    await s.start();
    const errors: unknown[] = [];
    const onError = (error: unknown) => errors.push(error);
    process.on('uncaughtException', onError);
    try {
      const pid = s.pid()!;
      process.kill(pid, 'SIGKILL');
      // Probe as /health does, until the supervisor has seen the exit; every probe after the kill
      // writes into a channel whose other end is gone.
      let probes = 0;
      while (s.health().ok && probes < 5_000) {
        void s.liveness();
        probes++;
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(s.health().ok).toBe(false);
      // Give a late 'error' from the last writes a turn of the loop to surface.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(errors).toEqual([]);
      const up = s.whenUp();
      clock.advance(clock.pending()[0]);
      await up;
      expect(s.health().ok).toBe(true);
    } finally {
      process.off('uncaughtException', onError);
    }
  });

  it('does not restart a child it stopped', async () => {
    const clock = new ManualClock();
    const s = supervise(clock);
    await s.start();
    await s.stop();
    expect(s.health()).toMatchObject({ ok: false, message: expect.stringContaining('(stopped)') });
    expect(clock.pending()).toEqual([]);
  });
});
