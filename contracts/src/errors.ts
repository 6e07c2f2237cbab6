/** One problem in a request, a rule file or a flow file, pointing at the exact field. */
export interface ValidationIssue {
  /** Stable, machine-readable, e.g. `REQUIRED`, `UNKNOWN_FACT`. */
  code: string;
  /** JSON path to the field, e.g. `$.object.id` or `$.rules[2].conditions.all[0]`. */
  path: string;
  message: string;
}

/** Validation results are data, not exceptions. */
export type ValidationResult<T> = { success: true; value: T } | { success: false; issues: ValidationIssue[] };

/** Every error response of the REST API has this body. */
export interface ApiErrorBody {
  statusCode: number;
  /** Stable code such as `VALIDATION_FAILED`, `NOT_FOUND`, `FORBIDDEN`. */
  code: string;
  /** The request's path, without its query: what was refused. */
  path: string;
  message: string;
  /** Each problem in the request, at its JSON path. */
  issues?: ValidationIssue[];
}
