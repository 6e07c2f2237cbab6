import {
  TargetError,
  type ExpectedReadBack,
  type TargetAdapter,
  type TargetAddress,
  type TargetHealth,
  type TargetLock,
  type TargetWrite,
  type WriteResult,
} from './adapter';

/*
 * The steps around an adapter, shared by the gateway's dispatcher, the contract suite and the bench:
 * lock where the target needs it, write, release, and where to read the result back.
 */

/** Where the read-back of `command` looks and what it expects, as the gateway computes it. */
export function readBackOf(adapter: TargetAdapter, command: TargetWrite): ExpectedReadBack | null {
  if (adapter.expectedAfter) return adapter.expectedAfter(command);
  if (command.parameter === undefined || command.value === undefined) return null;
  return { address: { object: command.object, parameter: command.parameter }, value: command.value };
}

/**
 * The MES lock an address falls under, as a key: writes with the same key take turns. The object
 * for a target whose lock covers the whole record (`lockScope: 'object'`), else the parameter.
 *
 * @example lockScopeOf(factoryTalk, { object: { type: 'recipe-parameter', id: 'RCP-1' }, parameter: 'FeedRate' })
 * // 'ft-line1|recipe-parameter|RCP-1'
 */
export function lockScopeOf(adapter: Pick<TargetAdapter, 'instance' | 'capabilities'>, address: TargetAddress): string {
  const object = `${adapter.instance}|${address.object.type}|${address.object.id}`;
  if (adapter.capabilities.locks && adapter.capabilities.lockScope === 'object') return object;
  return address.parameter === undefined ? object : `${object}|${address.parameter}`;
}

/** Takes the lock the way the gateway does when the target needs one; `undefined` otherwise. */
export async function lockIfNeeded(adapter: TargetAdapter, address: TargetAddress): Promise<TargetLock | undefined> {
  if (!adapter.capabilities.locks || !adapter.acquireLock) return undefined;
  return adapter.acquireLock(address);
}

/** Releases a lock taken by `lockIfNeeded`. */
export async function releaseIfHeld(adapter: TargetAdapter, address: TargetAddress, lock?: TargetLock): Promise<void> {
  if (lock && adapter.releaseLock) await adapter.releaseLock(address, lock);
}

/** lock → write → release, as the dispatcher does it. */
export async function writeAsGateway(adapter: TargetAdapter, command: TargetWrite): Promise<WriteResult> {
  const lock = await lockIfNeeded(adapter, command);
  try {
    return await adapter.write({ ...command, lock });
  } finally {
    await releaseIfHeld(adapter, command, lock);
  }
}

/** A target is healthy when `probe` answers; its TargetError becomes the health message, anything else is a bug. */
export async function healthOf(
  probe: () => Promise<unknown>,
  describe: (error: TargetError) => string = (e) => `${e.code}: ${e.message}`,
): Promise<TargetHealth> {
  try {
    await probe();
    return { healthy: true };
  } catch (error) {
    if (error instanceof TargetError) return { healthy: false, message: describe(error) };
    throw error;
  }
}
