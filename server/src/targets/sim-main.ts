/*
 * `npm run sim -- <target> [--port N]`: starts one registered target's simulator on 127.0.0.1 and
 * prints its URL, until Ctrl-C. The admin endpoint is under `<url>/__admin/` (HTTP simulators).
 * The credential it accepts comes from `LOOPGATE_SIM_SECRET` (random when unset).
 */
import 'reflect-metadata';
import { TARGET_DEFINITIONS } from './registry';

function usage(): string {
  const kinds = TARGET_DEFINITIONS.filter((d) => d.simulator).map((d) => d.kind);
  return `usage: npm run sim -- <${kinds.join('|')}> [--port N]`;
}

/** Reads `--port N`; `fallback` (0: the OS picks) when absent. */
export function portArgument(args: readonly string[], fallback = 0): number {
  const index = args.indexOf('--port');
  if (index < 0) return fallback;
  const port = Number(args[index + 1]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError('--port needs a number 0…65535');
  return port;
}

async function main(args: readonly string[]): Promise<number> {
  const kind = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--port');
  const definition = TARGET_DEFINITIONS.find((d) => d.kind === kind && d.simulator);
  if (!definition?.simulator) {
    process.stderr.write(`${kind ? `no simulator for ${kind}\n` : ''}${usage()}\n`);
    return 2;
  }
  const secret = process.env.LOOPGATE_SIM_SECRET;
  const sim = await definition.simulator.start({ port: portArgument(args, definition.simulator.defaultPort), secret });
  process.stdout.write(`${definition.kind} simulator listening on ${sim.url}\n`);
  if (!secret) process.stdout.write('credential: random for this run; set LOOPGATE_SIM_SECRET to choose it\n');
  const stop = () => {
    sim.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return -1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code >= 0) process.exit(code);
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
