/** A condition read a fact the caller did not give (json-rules-engine's `UndefinedFactError`, same message). */
export class UndefinedFactError extends Error {
  readonly code = 'UNDEFINED_FACT';
  constructor(readonly factId: string) {
    super(`Undefined fact: ${factId}`);
    this.name = 'UndefinedFactError';
  }
}

/**
 * Synchronous evaluation met a fact only json-rules-engine can produce: a function (computed
 * fact), a promise, or a json-rules-engine `Fact`. `evaluateAsync` hands those to the engine.
 */
export class AsyncFactError extends Error {
  readonly code = 'ASYNC_FACT';
  constructor(readonly factId: string) {
    super(`Fact "${factId}" is computed or asynchronous; use evaluateAsync`);
    this.name = 'AsyncFactError';
  }
}

/** The rule set cannot be compiled: it is not a valid rule set file, or its condition references loop. */
export class RuleSetCompileError extends Error {
  readonly code = 'RULE_SET_INVALID';
  constructor(
    message: string,
    readonly issues: { code: string; path: string; message: string }[],
  ) {
    super(message);
    this.name = 'RuleSetCompileError';
  }
}
