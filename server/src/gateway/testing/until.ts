/**
 * Resolves once `done()` holds, looking every 2 ms; fails after `timeoutMs`, naming `what`. Specs
 * wait with it for an event they can observe (a command parked at the gate, a claim waited on, a
 * relay refused the lock) before asserting that something did not happen, instead of sleeping.
 */
export async function until(done: () => boolean | Promise<boolean>, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
