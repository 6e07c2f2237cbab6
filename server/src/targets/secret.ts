import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A credential held so that it cannot leak by accident: `String()`, `JSON.stringify` and
 * `util.inspect` (so every logger) print `[redacted]`; only `reveal()` gives the value, and only
 * transports call it, to build a request.
 *
 * @example
 * const secret = new Secret(process.env.OPCENTER_CLIENT_SECRET ?? '');
 * JSON.stringify({ secret }); // '{"secret":"[redacted]"}'
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `Secret(${REDACTED})`;
  }
}

/** Replaces every occurrence of the secrets in `text` (an MES answer echoed into a message). */
export function redact(text: string, secrets: readonly Secret[]): string {
  let out = text;
  for (const secret of secrets) {
    const value = secret.reveal();
    if (value.length > 0) out = out.split(value).join(REDACTED);
  }
  return out;
}
