import type { EventEmitter } from 'node:events';

/** Messages a helper node receives, in order; `next()` waits for the next one not yet taken. */
export class Inbox {
  readonly messages: Record<string, unknown>[] = [];
  private taken = 0;
  private waiters: (() => void)[] = [];

  constructor(node: EventEmitter) {
    node.on('input', (msg: Record<string, unknown>) => {
      this.messages.push(msg);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  async next(timeoutMs = 5_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length <= this.taken) {
      if (Date.now() >= deadline) throw new Error(`no message within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.messages[this.taken++];
  }
}

/** Every status a node shows, as text, in order. */
export function statusLog(node: EventEmitter): { fill?: string; shape?: string; text?: string }[] {
  // The helper's sinon spy already holds what the node showed while it was being built.
  const spy = (node as unknown as { status: { getCalls?(): { thisValue: unknown; args: unknown[] }[] } }).status;
  const log = (spy.getCalls?.() ?? [])
    .filter((c) => c.thisValue === node)
    .map((c) => c.args[0] as { fill?: string; shape?: string; text?: string });
  node.on('call:status', (call: { args: [{ fill?: string; shape?: string; text?: string }] }) =>
    log.push(call.args[0]),
  );
  return log;
}

/** Waits until `check` returns true (polling), or fails with `what`. */
export async function eventually(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() >= deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A tab with the flow version variable the flow deployer stamps. */
export function tab(id = 'tab1', flowVersion = '7'): Record<string, unknown> {
  return { id, type: 'tab', label: id, env: [{ name: 'LOOPGATE_FLOW_VERSION', value: flowVersion, type: 'str' }] };
}
