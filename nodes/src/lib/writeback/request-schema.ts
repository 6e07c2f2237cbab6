import { WRITEBACK_REQUEST_SCHEMA, type ValidationIssue, type WriteBackRequest } from '@loopgate/contracts';
import Ajv2020, { type ErrorObject } from 'ajv/dist/2020';
import { ISSUE_CODES } from '../validation';

/**
 * The write-back request as the gateway validates it: the JSON Schema generated from the server's
 * class-validator DTO (through its OpenAPI document), so the palette refuses in the flow exactly
 * what the gateway would refuse at intake, with the same field paths.
 */
// strictNumbers: NaN and Infinity are no numbers (the DTO's IsNumber refuses them; JSON would send null).
const validate = new Ajv2020({ allErrors: true, strict: false, strictNumbers: true }).compile<WriteBackRequest>(
  WRITEBACK_REQUEST_SCHEMA,
);

const CODES: Record<string, string> = {
  required: ISSUE_CODES.required,
  type: ISSUE_CODES.typeMismatch,
  enum: ISSUE_CODES.invalidEnum,
  pattern: ISSUE_CODES.invalidEnum,
  maxLength: ISSUE_CODES.tooLong,
  maxItems: ISSUE_CODES.tooLong,
  minLength: ISSUE_CODES.required,
  minimum: ISSUE_CODES.outOfRange,
  maximum: ISSUE_CODES.outOfRange,
  additionalProperties: 'UNKNOWN_FIELD',
};

function issueOf(error: ErrorObject): ValidationIssue {
  const at = `$${error.instancePath.replace(/\/([^/]+)/g, (_, key: string) => (/^\d+$/.test(key) ? `[${key}]` : `.${key}`))}`;
  const params = error.params as { missingProperty?: string; additionalProperty?: string; allowedValues?: unknown[] };
  if (error.keyword === 'required')
    return { code: CODES.required, path: `${at}.${params.missingProperty}`, message: 'is required' };
  if (error.keyword === 'additionalProperties')
    return {
      code: CODES.additionalProperties,
      path: `${at}.${params.additionalProperty}`,
      message: 'is not a field the gateway takes',
    };
  const message =
    error.keyword === 'enum'
      ? `must be one of ${(params.allowedValues ?? []).join(', ')}`
      : (error.message ?? 'is not valid');
  return { code: CODES[error.keyword] ?? 'INVALID', path: at, message };
}

/** What the gateway would refuse in `request`, field by field; empty when it takes it. */
export function checkWriteBackRequest(request: WriteBackRequest): ValidationIssue[] {
  if (validate(request)) return [];
  // `anyOf`/`not` explain themselves through their branches; one issue per field and keyword.
  const seen = new Set<string>();
  return (validate.errors ?? [])
    .filter((e) => !['anyOf', 'not', 'if'].includes(e.keyword))
    .map(issueOf)
    .filter((issue) => {
      const key = `${issue.path}|${issue.code}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}
