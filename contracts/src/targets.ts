import type { TargetKind } from './target-catalogue';
import type { Isa95ObjectType, WriteBackAction } from './writeback';

/** An action-specific field of a write-back: it goes into `WriteBackRequest.details`. */
export interface TargetDetailField {
  /** The key in `details` the adapter reads, e.g. `workCenter`. */
  name: string;
  label: string;
  required: boolean;
  /** What the gateway expects; numeric text is accepted for numbers. */
  kind: 'text' | 'number';
  /** The request's `value` may carry it instead (a status sent as the value of a status change). */
  orValue?: boolean;
}

/** One action a target offers: the objects it acts on, what it needs, how a person reads it. */
export interface TargetActionDescription {
  action: WriteBackAction;
  label: string;
  objectTypes: readonly Isa95ObjectType[];
  /** The action names a parameter (set-parameter): a recipe parameter, an attribute, an OPC UA node. */
  needsParameter: boolean;
  /** The action writes a value. */
  needsValue: boolean;
  details: readonly TargetDetailField[];
  /** One line for the output node's help, after the label; `code` in backticks. */
  help: string;
}

/** What the gateway may rely on at a target, whoever its vendor. */
export interface TargetCapabilityFlags {
  /** The target can read a value back after a write, so a silent drop is detected. */
  readBack: boolean;
  /** Modifying a record needs an explicit lock (acquire → modify → release). */
  locks: boolean;
  /** What one MES lock covers where `locks` is true: `object` the whole record; absent the parameter alone. */
  lockScope?: 'object';
  /** Creates carry an external reference and can be looked up before a retry. */
  idempotentCreate: boolean;
  /** The target has an event log the audit mirror writes each outcome to. */
  eventLog: boolean;
}

/**
 * One target kind, described once: the gateway's adapter, the palette's output node and its help,
 * the CLI's flow validation and the console's pickers all read this. Each lives in
 * `server/src/targets/<kind>/description.ts`; `TARGET_CATALOGUE` is generated from them.
 */
export interface TargetDescription {
  /** One of `TARGET_KINDS`, which is generated from the descriptions (a new kind is known once generated). */
  kind: TargetKind;
  /** The product as a plant names it, e.g. `Siemens Opcenter`. */
  label: string;
  /** The system the output node's help names, e.g. `Siemens Opcenter Execution`. */
  system: string;
  /** The palette's output node type, e.g. `opcenter-out`. */
  nodeType: string;
  /** The output node's name in the palette, e.g. `opcenter`. */
  paletteLabel: string;
  /** Instance name used in the examples, e.g. `opcenter-demo`. */
  exampleInstance: string;
  /** What "parameter" means at this target: a recipe parameter, an attribute, an OPC UA node id. */
  parameterLabel: string;
  actions: readonly TargetActionDescription[];
  capabilities: TargetCapabilityFlags;
  /** The last paragraph of the output node's help: what is particular to this target. */
  notes: string;
}

/** The description of `action` at a target, or undefined when the target does not offer it. */
export function actionOf(target: TargetDescription, action: unknown): TargetActionDescription | undefined {
  return target.actions.find((a) => a.action === action);
}
