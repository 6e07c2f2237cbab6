import type { ElectronicSignature } from './audit';
import type { ValidationIssue } from './errors';
import type { TargetKind } from './target-catalogue';
import type { WriteBackAction } from './writeback';

/** Current version of the rule set file format; older files are migrated on load. */
export const RULE_SET_SCHEMA_VERSION = 2;

export const FACT_TYPES = ['number', 'string', 'boolean', 'array', 'object'] as const;
export type FactType = (typeof FACT_TYPES)[number];

/** A fact the rules read: what it is, its unit and where its value comes from. */
export interface FactDefinition {
  name: string;
  type: FactType;
  unit?: string;
  /** Where the value comes from, e.g. `opcua:ns=1;s=Spindle.Load` or `ai-score.score`. */
  source?: string;
  description?: string;
}

/** What a derived fact's expression may produce. */
export const DERIVED_FACT_TYPES = ['number', 'string', 'boolean'] as const;
export type DerivedFactType = (typeof DERIVED_FACT_TYPES)[number];

/**
 * A fact computed from other facts by a JSONata expression (schemaVersion 2), before the rules
 * run; conditions and event params use it like any other fact. Each may read the facts and the
 * derived facts listed before it.
 *
 * @example { name: 'reducedFeedRate', type: 'number', unit: 'mm/min', expression: '$round(feedRate * 0.95, -1)' }
 */
export interface DerivedFact {
  name: string;
  type: DerivedFactType;
  expression: string;
  unit?: string;
  description?: string;
}

/** json-rules-engine condition format, unchanged. */
export interface FactCondition {
  fact: string;
  operator: string;
  value: unknown;
  path?: string;
  params?: Record<string, unknown>;
  priority?: number;
  name?: string;
}
export interface AllCondition {
  all: Condition[];
  priority?: number;
  name?: string;
}
export interface AnyCondition {
  any: Condition[];
  priority?: number;
  name?: string;
}
export interface NotCondition {
  not: Condition;
  priority?: number;
  name?: string;
}
export interface ConditionReference {
  condition: string;
  priority?: number;
  name?: string;
}
export type Condition = FactCondition | AllCondition | AnyCondition | NotCondition | ConditionReference;
export type TopLevelCondition = AllCondition | AnyCondition | NotCondition | ConditionReference;

/** An event fired by a rule. Loopgate events name the write-back they ask for in `params`. */
export interface RuleEvent {
  type: string;
  params?: Record<string, unknown> & {
    action?: WriteBackAction;
    targetKind?: TargetKind;
  };
}

export interface RuleDefinition {
  name: string;
  priority?: number;
  conditions: TopLevelCondition;
  event: RuleEvent;
}

/**
 * A versioned rule set file as kept in `rules/`.
 *
 * @example
 * { schemaVersion: 2, id: 'tool-wear', name: 'Tool wear feed compensation',
 *   facts: [{ name: 'spindleLoad', type: 'number', unit: '%' }],
 *   rules: [{ name: 'reduce-feed', conditions: { all: [{ fact: 'spindleLoad', operator: 'greaterThan', value: 80 }] },
 *             event: { type: 'writeback', params: { action: 'set-parameter' } } }] }
 */
export interface RuleSetFile {
  schemaVersion: number;
  id: string;
  name: string;
  description?: string;
  facts: FactDefinition[];
  /** Facts computed from the others before the rules run (schemaVersion 2). */
  derivedFacts?: DerivedFact[];
  /** Named conditions that rules reference with `{ condition: name }`. */
  sharedConditions?: Record<string, TopLevelCondition>;
  rules: RuleDefinition[];
}

/** A published, immutable version of a rule set. */
export interface RuleSetVersion {
  ruleSetId: string;
  version: number;
  checksum: string;
  author: string;
  createdAt: string;
  status: 'pending-approval' | 'published' | 'rejected';
  approvedBy?: string;
  approvedAt?: string;
  environment: 'production' | 'test';
  content: RuleSetFile;
  /** Who rejected (or withdrew) a version, and when. */
  rejectedBy?: string;
  rejectedAt?: string;
  /** The approver's or rejecter's electronic signature, bound to this version. */
  signature?: ElectronicSignature;
  comment?: string;
  /** Set when this version republishes an earlier one (a rollback). */
  rollbackOf?: number;
}

/** A rule set being edited, not yet a version; it may be invalid. */
export interface RuleSetDraft {
  ruleSetId: string;
  /** The file as the engineer saved it: a rule set in the making, not yet valid (see `issues`). */
  content: unknown;
  updatedBy: string;
  updatedAt: string;
  /** What validation says about it now (structure and semantics). */
  issues: ValidationIssue[];
}

/** The result of one condition in an evaluation, for test runs and debugging. */
export interface ConditionResult {
  /** JSON path of the condition inside the rule, e.g. `$.conditions.all[0]`. */
  path: string;
  fact?: string;
  operator?: string;
  value?: unknown;
  factValue?: unknown;
  result: boolean;
}

export interface RuleResult {
  name: string;
  priority: number;
  result: boolean;
  event: RuleEvent;
  conditions: ConditionResult[];
}

export interface EvaluationResult {
  /** The values the rule set's derived facts took in this evaluation, by name. */
  derivedFacts?: Record<string, unknown>;
  events: RuleEvent[];
  failureEvents: RuleEvent[];
  results: RuleResult[];
}

/** The facts one rule evaluation saw and what it fired; the gateway keeps these for what-if replay. */
/** A stored decision record, with the id it was stored under. */
export interface StoredDecisionRecord extends DecisionRecord {
  id: string;
}

/** `GET /decisions`, newest first. */
export interface DecisionRecordList {
  decisions: StoredDecisionRecord[];
}

/** `POST /decisions`: where the record was stored. */
export interface DecisionRecordId {
  id: string;
}

export interface DecisionRecord {
  ruleSetId: string;
  ruleSetVersion: number;
  /** ISO 8601 time of the evaluation. */
  time: string;
  facts: Record<string, unknown>;
  firedEvents: RuleEvent[];
  flowId?: string;
  nodeId?: string;
  inferenceId?: string;
}
