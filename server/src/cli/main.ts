#!/usr/bin/env node
import 'reflect-metadata';
import { Command, CommanderError, Option } from 'commander';
import { CliError, EXIT } from './cli-error';
import {
  auditExportCommand,
  auditVerifyCommand,
  parseRoles,
  tokensCreateCommand,
  tokensListCommand,
  tokensRevokeCommand,
  usersAddCommand,
  usersListCommand,
} from './commands/admin';
import { deployCommand, diffCommand, type DeployOptions } from './commands/deploy';
import { validateCommand } from './commands/validate';
import { GatewayClient } from './gateway-client';
import { Output } from './output';

interface GlobalOptions {
  url: string;
  token?: string;
  user?: string;
  json?: boolean;
  quiet?: boolean;
}

const EXIT_HELP = `
Exit codes: 0 ok, 1 issues found (invalid files, broken audit chain), 2 usage or configuration,
3 not signed in or not allowed, 4 conflict (the runtime changed since it was read), 5 unreachable,
6 deployed but rule set versions wait for a second person's approval (not live yet).

Credentials: --token (LOOPGATE_TOKEN) with a session or service token, or --user (LOOPGATE_USER)
with the password in LOOPGATE_PASSWORD.`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** Builds the `loopgate` program; `run` resolves to the exit code. */
export function buildProgram(exit: (code: number) => void): Command {
  const program = new Command('loopgate')
    .description('Validate and deploy Loopgate flows and rule sets; administer users, tokens and the audit trail.')
    .addOption(new Option('--url <url>', 'gateway URL').env('LOOPGATE_URL').default('http://127.0.0.1:1880'))
    .addOption(new Option('--token <token>', 'session or service token').env('LOOPGATE_TOKEN'))
    .addOption(
      new Option('--user <name>', 'sign in as this user (password from LOOPGATE_PASSWORD)').env('LOOPGATE_USER'),
    )
    .option('--json', 'machine-readable output on stdout')
    .option('-q, --quiet', 'no progress on stderr')
    .addHelpText('after', EXIT_HELP)
    .showHelpAfterError()
    .exitOverride();

  const output = () => {
    const g = program.opts<GlobalOptions>();
    return new Output(Boolean(g.json), Boolean(g.quiet));
  };
  const gateway = () => {
    const g = program.opts<GlobalOptions>();
    return GatewayClient.connect({ url: g.url, token: g.token, user: g.user, password: process.env.LOOPGATE_PASSWORD });
  };
  const act =
    <A extends unknown[]>(fn: (...args: A) => Promise<number>) =>
    async (...args: A) =>
      exit(await fn(...args));

  program
    .command('validate')
    .description('check rule set and flow files (default: rules/sets and flows); exit 1 on any issue')
    .argument('[paths...]', 'files or folders')
    .addOption(new Option('--site <file>', 'site file with the configured targets').env('LOOPGATE_SITE_FILE'))
    .action(act(async (paths: string[], options: { site?: string }) => validateCommand(paths, options, output())));

  const deployOptions = (command: Command) =>
    command
      .argument('[paths...]', 'files or folders (default: rules/sets and flows)')
      .addOption(new Option('--site <file>', 'site file with the configured targets').env('LOOPGATE_SITE_FILE'))
      .addOption(new Option('--red-url <url>', 'Node-RED admin root (default: <url>/red)').env('LOOPGATE_RED_URL'))
      .addOption(
        new Option('--red-token <token>', "token for Node-RED's admin API (default: the gateway token)").env(
          'LOOPGATE_RED_TOKEN',
        ),
      );

  deployOptions(program.command('diff').description('show what deploy would change, changing nothing')).action(
    act(async (paths: string[], options: DeployOptions) => diffCommand(paths, options, await gateway(), output())),
  );

  deployOptions(
    program
      .command('deploy')
      .description('validate, publish rule sets, deploy flows at the read revision, record the deployment'),
  )
    .option('--dry-run', 'show the diff and stop')
    .option('--comment <text>', 'why, kept with the deployment record')
    .action(
      act(async (paths: string[], options: DeployOptions) => deployCommand(paths, options, await gateway(), output())),
    );

  const audit = program.command('audit').description('the hash-chained audit trail');
  audit
    .command('verify')
    .description('verify the hash chain; exit 1 when broken')
    .action(act(async () => auditVerifyCommand(await gateway(), output())));
  audit
    .command('export')
    .description('export records as NDJSON or CSV')
    .addOption(new Option('--format <format>', 'ndjson or csv').choices(['ndjson', 'csv']).default('ndjson'))
    .option('--from <time>', 'ISO 8601 start')
    .option('--to <time>', 'ISO 8601 end')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .action(
      act(async (options: { format: 'ndjson' | 'csv'; from?: string; to?: string; out?: string }) =>
        auditExportCommand(options, await gateway(), output()),
      ),
    );

  const users = program.command('users').description('local users (admin)');
  users
    .command('add')
    .description('add a user; the password comes from LOOPGATE_NEW_PASSWORD or stdin with --password-stdin')
    .argument('<username>')
    .requiredOption('--role <roles...>', 'viewer, operator, qa, engineer, admin')
    .option('--display-name <name>')
    .option('--password-stdin', 'read the new password from stdin')
    .option('--sso-only', 'no local password: the user signs in through OpenID Connect')
    .action(
      act(
        async (
          username: string,
          options: { role: string[]; displayName?: string; passwordStdin?: boolean; ssoOnly?: boolean },
        ) => {
          const password = options.ssoOnly
            ? undefined
            : options.passwordStdin
              ? await readStdin()
              : process.env.LOOPGATE_NEW_PASSWORD;
          if (!options.ssoOnly && !password)
            throw new CliError(
              EXIT.usage,
              'NO_PASSWORD',
              'give the password in LOOPGATE_NEW_PASSWORD or on stdin with --password-stdin, or use --sso-only',
            );
          return usersAddCommand(
            { username, roles: parseRoles(options.role), displayName: options.displayName, password },
            await gateway(),
            output(),
          );
        },
      ),
    );
  users
    .command('list')
    .description('list users')
    .action(act(async () => usersListCommand(await gateway(), output())));

  const tokens = program.command('tokens').description('service tokens for Node-RED runtimes (admin)');
  tokens
    .command('create')
    .description('create a token; it is printed once')
    .argument('<name>')
    .action(act(async (name: string) => tokensCreateCommand(name, await gateway(), output())));
  tokens
    .command('list')
    .description('list tokens')
    .action(act(async () => tokensListCommand(await gateway(), output())));
  tokens
    .command('revoke')
    .description('revoke a token by id')
    .argument('<id>')
    .action(act(async (id: string) => tokensRevokeCommand(id, await gateway(), output())));
  return program;
}

/** Runs the CLI with `argv` and resolves to its exit code. */
export async function run(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync(argv);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const json = Boolean(program.opts<GlobalOptions>().json);
    const out = new Output(json);
    if (error instanceof CliError) {
      out.error(error.code, error.message, error.details);
      if (!json && Array.isArray(error.details))
        for (const line of error.details) process.stderr.write(`  ${String(line)}\n`);
      return error.exitCode;
    }
    out.error(
      'INTERNAL',
      `unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    return 1;
  }
}

if (require.main === module) {
  run(process.argv).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`loopgate: ${String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
