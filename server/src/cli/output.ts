import type { ValidationIssue } from '@loopgate/contracts';

/** An issue found in a file, as `validate` prints it. */
export interface FileIssue extends ValidationIssue {
  file: string;
}

/**
 * Where the CLI writes: results on stdout (JSON with `--json`), progress and notes on stderr so a
 * script reading stdout sees only the result.
 */
export class Output {
  constructor(
    readonly json: boolean,
    private readonly quiet = false,
    private readonly stdout: NodeJS.WritableStream = process.stdout,
    private readonly stderr: NodeJS.WritableStream = process.stderr,
  ) {}

  /** One step of a longer operation, e.g. `[2/4] reading the runtime's flows`. */
  progress(step: number, of: number, message: string): void {
    if (!this.quiet) this.stderr.write(`[${step}/${of}] ${message}\n`);
  }

  note(message: string): void {
    if (!this.quiet) this.stderr.write(`${message}\n`);
  }

  /** The command's result: `value` as JSON, or the given text lines. */
  result(value: unknown, lines: () => string[]): void {
    if (this.json) this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    else for (const line of lines()) this.stdout.write(`${line}\n`);
  }

  error(code: string, message: string, details?: unknown): void {
    if (this.json)
      this.stdout.write(
        `${JSON.stringify({ ok: false, error: { code, message, ...(details !== undefined ? { details } : {}) } }, null, 2)}\n`,
      );
    else this.stderr.write(`loopgate: ${message} (${code})\n`);
  }
}

export function formatIssue(issue: FileIssue): string {
  return `${issue.file}: ${issue.path} ${issue.code} ${issue.message}`;
}
