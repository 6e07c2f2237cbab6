import 'reflect-metadata';
import {
  ISA95_OBJECT_TYPES,
  WRITE_BACK_ACTIONS,
  type Isa95ObjectType,
  type WriteBackAction,
} from '@loopgate/contracts';
import { plainToInstance, Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsPositive,
  IsString,
  Max,
  Min,
  MinLength,
  ValidateNested,
  validateSync,
  type ValidationError,
} from 'class-validator';
import { ConfigError, type TargetInstanceConfig } from '../../config/config';
import type { ApprovalRule } from '../domain/approval-policy';
import { DEFAULT_POLICY, DEFAULT_RETRY, type GuardrailPolicy } from '../domain/guardrails';

const finite = { allowNaN: false, allowInfinity: false };

/** `{ "parameter": "Interlock*", "object": "CNC-01/*" }`: `*` is a wildcard. */
class ParameterMatchSchema {
  @IsString()
  @MinLength(1)
  parameter: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  object?: string;
}

class ParameterLimitSchema extends ParameterMatchSchema {
  @IsOptional() @IsNumber(finite) min?: number;
  @IsOptional() @IsNumber(finite) max?: number;
  @IsOptional() @IsNumber(finite) @IsPositive() maxStep?: number;
  @IsOptional() @IsNumber(finite) @IsPositive() maxStepPercent?: number;
  @IsOptional() @IsInt() @Min(1) maxWrites?: number;
  @IsOptional() @IsNumber(finite) @IsPositive() windowSeconds?: number;
  @IsOptional() @IsNumber(finite) @Min(0) cooldownSeconds?: number;
  @IsOptional() @IsNumber(finite) @IsPositive() maxDrift?: number;
  @IsOptional() @IsNumber(finite) @IsPositive() maxDriftPercent?: number;
  @IsOptional() @IsNumber(finite) @IsPositive() driftWindowSeconds?: number;
  @IsOptional() @IsNumber(finite) baseline?: number;
  @IsOptional() @IsIn(['approval', 'refuse']) driftAction?: 'approval' | 'refuse';
}

class RetrySchema {
  @IsInt() @Min(1) @Max(50) maxAttempts: number = DEFAULT_RETRY.maxAttempts;
  @IsInt() @Min(1) @Max(600_000) initialDelayMs: number = DEFAULT_RETRY.initialDelayMs;
  @IsInt() @Min(1) @Max(3_600_000) maxDelayMs: number = DEFAULT_RETRY.maxDelayMs;
}

/** `site.targets[].guardrails`: hard stops flows cannot change. */
export class GuardrailsSchema {
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => ParameterMatchSchema)
  interlocks?: ParameterMatchSchema[];

  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => ParameterLimitSchema)
  limits?: ParameterLimitSchema[];

  @IsOptional() @IsNumber(finite) @IsPositive() maxTtlSeconds?: number;
  @IsOptional() @IsNumber(finite) @Min(0) overrideHoldSeconds?: number;
  @IsOptional() @IsNumber(finite) @Min(0) revertHoldSeconds?: number;

  @IsOptional()
  @ValidateNested()
  @Type(() => RetrySchema)
  retry?: RetrySchema;
}

/** One entry of `site.targets[].approvals`. */
export class ApprovalRuleSchema {
  @IsString() @MinLength(1) name: string;
  @IsOptional() @IsArray() @IsIn(WRITE_BACK_ACTIONS as unknown as string[], { each: true }) actions?: WriteBackAction[];
  @IsOptional()
  @IsArray()
  @IsIn(ISA95_OBJECT_TYPES as unknown as string[], { each: true })
  objectTypes?: Isa95ObjectType[];
  @IsOptional() @IsString() @MinLength(1) parameter?: string;
  @IsOptional() @IsString() @MinLength(1) object?: string;
  @IsOptional() @IsIn(['ai', 'human']) initiator?: 'ai' | 'human';
  @IsOptional() @IsNumber(finite) @Min(0) stepPercentAbove?: number;
  @IsOptional() @IsNumber(finite) @Min(0) stepAbove?: number;
  @IsOptional() @IsBoolean() requiresQuality?: boolean;
  @IsOptional() @IsNumber(finite) @IsPositive() expiresAfterSeconds?: number;
}

class GovernanceSchema {
  @IsOptional()
  @ValidateNested()
  @Type(() => GuardrailsSchema)
  guardrails?: GuardrailsSchema;

  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => ApprovalRuleSchema)
  approvals?: ApprovalRuleSchema[];
}

export interface TargetGovernance {
  policy: GuardrailPolicy;
  approvals: ApprovalRule[];
}

function problemsOf(errors: ValidationError[], prefix: string, out: string[]): void {
  for (const error of errors) {
    const here = /^\d+$/.test(error.property) ? `${prefix}[${error.property}]` : `${prefix}.${error.property}`;
    for (const message of Object.values(error.constraints ?? {})) out.push(`${here}: ${message}`);
    problemsOf(error.children ?? [], here, out);
  }
}

/**
 * Validates a target's `guardrails` and `approvals` and turns them into the gateway's policy.
 * Throws `ConfigError` naming each bad field, e.g.
 * `site.targets[0].guardrails.limits[1].maxStepPercent: maxStepPercent must be a positive number`.
 */
export function parseTargetGovernance(
  target: Pick<TargetInstanceConfig, 'guardrails' | 'approvals'>,
  index: number,
): TargetGovernance {
  const prefix = `site.targets[${index}]`;
  const schema = plainToInstance(GovernanceSchema, { guardrails: target.guardrails, approvals: target.approvals });
  const problems: string[] = [];
  problemsOf(
    validateSync(schema, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: false }),
    prefix,
    problems,
  );
  schema.guardrails?.limits?.forEach((limit, i) => {
    if (limit.min !== undefined && limit.max !== undefined && limit.min > limit.max) {
      problems.push(`${prefix}.guardrails.limits[${i}].min: min must not be greater than max`);
    }
    const drift = limit.maxDrift !== undefined || limit.maxDriftPercent !== undefined;
    for (const field of ['driftWindowSeconds', 'baseline', 'driftAction'] as const)
      if (!drift && limit[field] !== undefined)
        problems.push(
          `${prefix}.guardrails.limits[${i}].${field}: ${field} applies to a drift budget; set maxDrift or maxDriftPercent`,
        );
  });
  if (problems.length) throw new ConfigError(problems);

  const guardrails = schema.guardrails ?? {};
  const strip = <T extends object>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
  return {
    policy: {
      interlocks: (guardrails.interlocks ?? []).map(strip),
      limits: (guardrails.limits ?? []).map(strip),
      ...(guardrails.maxTtlSeconds !== undefined ? { maxTtlSeconds: guardrails.maxTtlSeconds } : {}),
      overrideHoldSeconds: guardrails.overrideHoldSeconds ?? DEFAULT_POLICY.overrideHoldSeconds,
      ...(guardrails.revertHoldSeconds !== undefined ? { revertHoldSeconds: guardrails.revertHoldSeconds } : {}),
      retry: { ...DEFAULT_RETRY, ...(guardrails.retry ? strip(guardrails.retry) : {}) },
    },
    approvals: (schema.approvals ?? []).map(strip),
  };
}
