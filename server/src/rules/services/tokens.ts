import type { WriteBackAction } from '@loopgate/contracts';
import type { WriteBackEngine } from '../../gateway/engine/writeback-engine';

/**
 * The write-back actions the configured targets can carry out, or undefined when no target is
 * configured (then events are not checked against them, as the CLI does without a site file).
 */
export type SupportedActions = () => ReadonlySet<WriteBackAction> | undefined;
export const SUPPORTED_ACTIONS = Symbol('SUPPORTED_ACTIONS');

/** Reads the actions from the gateway's target adapters, each time (targets do not change while running). */
export function supportedActionsOf(engine: Pick<WriteBackEngine, 'targetRuntimes'>): SupportedActions {
  return () => {
    const runtimes = engine.targetRuntimes();
    if (runtimes.length === 0) return undefined;
    return new Set(runtimes.flatMap((runtime) => runtime.adapter.capabilities.actions));
  };
}
