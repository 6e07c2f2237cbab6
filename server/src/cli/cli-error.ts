/** Exit codes scripts can rely on. */
export const EXIT = {
  ok: 0,
  /** Validation issues, a broken audit chain, a refused deploy plan. */
  issues: 1,
  /** Bad usage or configuration. */
  usage: 2,
  /** Credentials missing, wrong, or lacking the permission. */
  auth: 3,
  /** The runtime's flows changed since they were read (stale revision): nothing was overwritten. */
  conflict: 4,
  /** The gateway or Node-RED could not be reached or failed. */
  unavailable: 5,
  /** Deployed, but rule set versions wait for a second person's approval: they are not live yet. */
  pendingApproval: 6,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the CLI reports in one line (and as JSON with --json), then exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
