import type {
  EffectCheckSpec,
  EquipmentPath,
  Isa95ObjectRef,
  Isa95ObjectType,
  ParameterValue,
  ValidationIssue,
  ValidationResult,
  WriteBackRequest,
} from '@loopgate/contracts';
import { actionOf, type TargetActionDescription, type TargetDescription } from '@loopgate/contracts';
import { ISA95_CONTEXT_KEYS, type Isa95Object } from '../isa95';
import { buildLineage, writeBackRequestId, type FlowPosition, type RuleFiring } from '../lineage';
import type { NodeMessage } from '../node-red';
import { typedProperty, type TypedValue } from '../typed-value';
import { ISSUE_CODES, IssueList, isPlainObject, num, text } from '../validation';
import { checkWriteBackRequest } from './request-schema';

/** No limit of the palette's own: the gateway's schema sets them. */
const UNLIMITED = Number.MAX_SAFE_INTEGER;

/** An output node's edit-dialog values, checked once at deploy. */
export interface OutputConfig {
  instance: TypedValue;
  action: TargetActionDescription;
  objectType: Isa95ObjectType;
  objectId: TypedValue;
  parameter: TypedValue;
  value: TypedValue;
  details: Record<string, TypedValue>;
  reason: TypedValue;
  ttlSeconds: number;
  /** Wait for a final state and emit it; otherwise emit the gateway's first answer. */
  waitForOutcome: boolean;
  /** The KPI the gateway watches before and after the write (earned autonomy); `msg.effectCheck` wins. */
  effectCheck?: EffectCheckSpec;
}

/** Validates what the editor saved for an output node of `spec`'s target. */
export function parseOutputConfig(
  def: Record<string, unknown>,
  spec: TargetDescription,
): ValidationResult<OutputConfig> {
  const issues = new IssueList();
  const action = actionOf(spec, def.action);
  if (!action) {
    issues.add(
      ISSUE_CODES.invalidEnum,
      '$.action',
      `must be one of ${spec.actions.map((a) => a.action).join(', ')} for ${spec.label}, got ${JSON.stringify(def.action ?? '')}`,
    );
  }
  const objectType = (
    def.objectType === undefined || def.objectType === '' ? action?.objectTypes[0] : def.objectType
  ) as Isa95ObjectType;
  if (action && !action.objectTypes.includes(objectType)) {
    issues.add(
      ISSUE_CODES.invalidEnum,
      '$.objectType',
      `${action.action} acts on ${action.objectTypes.join(', ')}, got ${JSON.stringify(def.objectType)}`,
    );
  }
  const instance = typedProperty(def, 'instance', 'str');
  if (instance.value.trim() === '') issues.add(ISSUE_CODES.required, '$.instance', 'target instance is required');
  const ttlSeconds = num(issues, def.ttl === undefined || def.ttl === '' ? 60 : def.ttl, '$.ttl', true, {
    min: 1,
    max: 86_400,
  });
  const detailsDef = isPlainObject(def.details) ? def.details : {};
  const details: Record<string, TypedValue> = {};
  for (const field of action?.details ?? []) {
    const entry = detailsDef[field.name];
    details[field.name] = isPlainObject(entry) ? typedProperty(entry, 'value', 'str') : { value: '', type: 'str' };
  }
  const effectCheck = parseEffectCheck(issues, def);
  const config: OutputConfig = {
    instance,
    action: action as TargetActionDescription,
    objectType,
    objectId: typedProperty(def, 'objectId', 'str'),
    parameter: typedProperty(def, 'parameter', 'str'),
    value: typedProperty(def, 'value', 'msg'),
    details,
    reason: typedProperty(def, 'reason', 'str'),
    ttlSeconds: ttlSeconds ?? 60,
    waitForOutcome: def.waitForOutcome !== false,
    ...(effectCheck ? { effectCheck } : {}),
  };
  return issues.result(config);
}

/** The node's effect check: none while the KPI is empty. */
function parseEffectCheck(issues: IssueList, def: Record<string, unknown>): EffectCheckSpec | undefined {
  const kpi = typeof def.effectKpi === 'string' ? def.effectKpi.trim() : '';
  if (kpi === '') return undefined;
  return effectCheckOf(issues, '$', {
    kpi,
    expected: def.effectExpected ?? 'decrease',
    windowSeconds: def.effectWindow === undefined || def.effectWindow === '' ? 300 : def.effectWindow,
    tolerance: def.effectTolerance === undefined || def.effectTolerance === '' ? 0 : def.effectTolerance,
  });
}

/** Checks an effect check (from the node or `msg.effectCheck`) as the gateway will. */
function effectCheckOf(issues: IssueList, path: string, raw: Record<string, unknown>): EffectCheckSpec | undefined {
  const before = issues.issues.length;
  const kpi = text(issues, raw.kpi, `${path}.effectKpi`, true, 200);
  if (raw.expected !== 'increase' && raw.expected !== 'decrease') {
    issues.add(
      ISSUE_CODES.invalidEnum,
      `${path}.effectExpected`,
      `must be increase or decrease, got ${JSON.stringify(raw.expected)}`,
    );
  }
  const windowSeconds = num(issues, raw.windowSeconds, `${path}.effectWindow`, true, {
    min: 1,
    max: 7 * 24 * 3600,
    integer: true,
  });
  const tolerance = num(issues, raw.tolerance, `${path}.effectTolerance`, true, { min: 0 });
  if (issues.issues.length > before) return undefined;
  return {
    kpi: kpi!,
    expected: raw.expected as EffectCheckSpec['expected'],
    windowSeconds: windowSeconds!,
    tolerance: tolerance!,
  };
}

/** Evaluates one typedInput against the message (the node supplies Node-RED's evaluator). */
export type Evaluate = (prop: TypedValue) => Promise<unknown>;

export interface RequestContext {
  spec: TargetDescription;
  config: OutputConfig;
  position: FlowPosition;
  /** Path from an optional hierarchy config node; the message's object path wins. */
  hierarchy?: EquipmentPath;
  evaluate: Evaluate;
  now: Date;
}

function scalar(
  issues: IssueList,
  raw: unknown,
  path: string,
  kind: 'text' | 'number' | 'any',
  required: boolean,
): ParameterValue | undefined {
  if (raw === undefined || raw === null || raw === '') {
    if (required) issues.add(ISSUE_CODES.required, path, 'is required');
    return undefined;
  }
  if (kind === 'number') return num(issues, raw, path, required);
  if (kind === 'text') return text(issues, raw, path, required, UNLIMITED);
  if (typeof raw === 'string') return text(issues, raw, path, required, UNLIMITED);
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
  issues.add(
    ISSUE_CODES.typeMismatch,
    path,
    `must be a finite number, text or a boolean, got ${typeof raw === 'number' ? String(raw) : Array.isArray(raw) ? 'an array' : typeof raw}`,
  );
  return undefined;
}

async function evaluateAll(
  ctx: RequestContext,
  props: Record<string, TypedValue>,
): Promise<{ values: Record<string, unknown>; issues: ValidationIssue[] }> {
  const values: Record<string, unknown> = {};
  const issues: ValidationIssue[] = [];
  for (const [name, prop] of Object.entries(props)) {
    try {
      values[name] = await ctx.evaluate(prop);
    } catch (err) {
      issues.push({
        code: 'EVALUATION_FAILED',
        path: `$.${name}`,
        message: `${prop.type} ${prop.value}: ${(err as Error).message}`,
      });
    }
  }
  return { values, issues };
}

/**
 * Builds the write-back request for one message: the target and action from the node, the
 * object from the node or `msg.isa95`, values from message paths, and the full lineage.
 *
 * @example
 * const result = await buildWriteBackRequest(msg, { spec: TARGET_CATALOGUE.opcenter, config, position, evaluate, now: new Date() });
 * if (result.success) await client.submitWriteBack(result.value);
 */
export async function buildWriteBackRequest(
  msg: NodeMessage,
  ctx: RequestContext,
): Promise<ValidationResult<WriteBackRequest>> {
  const { config } = ctx;
  const detailProps = Object.fromEntries(Object.entries(config.details).map(([k, v]) => [`details.${k}`, v]));
  const evaluated = await evaluateAll(ctx, {
    instance: config.instance,
    objectId: config.objectId,
    parameter: config.parameter,
    value: config.value,
    reason: config.reason,
    ...detailProps,
  });
  if (evaluated.issues.length > 0) return { success: false, issues: evaluated.issues };
  const v = evaluated.values;
  const issues = new IssueList();
  const fromContext = isPlainObject(msg.isa95)
    ? (msg.isa95[ISA95_CONTEXT_KEYS[config.objectType]] as Isa95Object | undefined)
    : undefined;

  // Presence and coercion here (text from numbers, values from message paths); every limit the
  // gateway sets (patterns, lengths, ranges) is its own schema's, checked below.
  const instance = text(issues, v.instance, '$.target.instance', true, UNLIMITED);
  const objectId = text(issues, v.objectId ?? fromContext?.id, '$.object.id', true, UNLIMITED);
  const contextParameter = fromContext?.type === 'recipe-parameter' ? fromContext.parameter : undefined;
  const parameter = config.action.needsParameter
    ? text(issues, v.parameter ?? contextParameter, '$.parameter', true, UNLIMITED)
    : undefined;
  const contextValue = fromContext?.type === 'recipe-parameter' ? fromContext.value : undefined;
  const value = config.action.needsValue ? scalar(issues, v.value ?? contextValue, '$.value', 'any', true) : undefined;
  const details: Record<string, ParameterValue> = {};
  for (const field of config.action.details) {
    const detail = scalar(issues, v[`details.${field.name}`], `$.details.${field.name}`, field.kind, field.required);
    if (detail !== undefined) details[field.name] = detail;
  }
  const rule = isPlainObject(msg.rule) ? (msg.rule as Partial<RuleFiring>) : undefined;
  const defaultReason = rule?.ruleName
    ? `rule ${rule.ruleName} of ${rule.ruleSetId ?? '?'} v${rule.ruleSetVersion ?? '?'}`
    : `${config.action.label} from ${ctx.spec.nodeType} ${ctx.position.nodeId}`;
  const reason = text(issues, v.reason ?? defaultReason, '$.reason', true, UNLIMITED);
  // A rule event may name its own effect check (msg.effectCheck); otherwise the node's.
  const effectCheck = isPlainObject(msg.effectCheck)
    ? effectCheckOf(issues, '$.msg.effectCheck', {
        ...msg.effectCheck,
        windowSeconds: msg.effectCheck.windowSeconds ?? 300,
        tolerance: msg.effectCheck.tolerance ?? 0,
      })
    : config.effectCheck;
  if (!issues.empty) return { success: false, issues: issues.issues };

  const equipment = fromContext?.equipment ?? ctx.hierarchy;
  const object: Isa95ObjectRef = { type: config.objectType, id: objectId!, ...(equipment ? { equipment } : {}) };
  const lineage = buildLineage(ctx.position, msg);
  // Decision latency is measured from the inference's own time.
  const inferenceTime = isPlainObject(msg.inference) ? msg.inference.timestamp : undefined;
  const eventTime =
    typeof inferenceTime === 'string' && !Number.isNaN(Date.parse(inferenceTime))
      ? new Date(inferenceTime).toISOString()
      : undefined;
  const origin = lineage.inferenceId ?? `msg-${msg._msgid ?? 'none'}`;
  const request: WriteBackRequest = {
    requestId: writeBackRequestId(origin, ctx.position.nodeId, object, config.action.action, parameter),
    lineage,
    target: { kind: ctx.spec.kind, instance: instance! },
    object,
    action: config.action.action,
    ...(parameter !== undefined ? { parameter } : {}),
    ...(value !== undefined ? { value } : {}),
    ...(Object.keys(details).length > 0 ? { details } : {}),
    reason: reason!,
    notAfter: new Date(ctx.now.getTime() + config.ttlSeconds * 1000).toISOString(),
    ...(eventTime !== undefined ? { eventTime } : {}),
    ...(effectCheck ? { effectCheck } : {}),
  };
  const refused = checkWriteBackRequest(request);
  return refused.length ? { success: false, issues: refused } : { success: true, value: request };
}
