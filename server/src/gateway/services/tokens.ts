import type { TargetInstanceConfig } from '../../config/config';
import type { TargetAdapter } from '../../targets/adapter';

/** The group-committing store (`GatewayStore`) shared by the engine, the outbox and the audit writer. */
export const GATEWAY_STORE = Symbol('GATEWAY_STORE');
/** The `WriteBackEngine`. */
export const WRITEBACK_ENGINE = Symbol('WRITEBACK_ENGINE');
/** `TargetRuntime[]`: configured targets with their adapters and governance. */
export const TARGET_RUNTIMES = Symbol('TARGET_RUNTIMES');
/** Builds an adapter for a configured target; tests replace it with fakes. */
export const TARGET_ADAPTER_FACTORY = Symbol('TARGET_ADAPTER_FACTORY');
export type TargetAdapterFactory = (target: TargetInstanceConfig) => TargetAdapter;
