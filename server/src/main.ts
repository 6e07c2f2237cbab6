#!/usr/bin/env node
import { ConfigError, loadConfig } from './config/config';
import { EXIT_CODES, preflight, UnreachableError } from './config/preflight';
import { DatabaseInUseError } from './database/process-lock';

/**
 * `npm start`: the gateway alone, with real endpoints from configuration. A configuration that is
 * invalid or could lose commands exits 2, an unreachable database or Kafka exits 3, a SQLite database
 * another gateway process runs on exits 4; one line per problem.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  await preflight(config);
  // Loaded only once the checks pass, so a refusal comes without loading NestJS and Node-RED.
  const { startGateway } = await import('./app.js');
  await startGateway(config);
}

function refuse(error: unknown): never {
  if (error instanceof ConfigError) {
    for (const problem of error.problems) process.stderr.write(`loopgate: ${problem}\n`);
    process.exit(EXIT_CODES.config);
  }
  if (error instanceof DatabaseInUseError) {
    process.stderr.write(`loopgate: ${error.message}\n`);
    process.exit(EXIT_CODES.inUse);
  }
  if (error instanceof UnreachableError) {
    process.stderr.write(`loopgate: ${error.message}\n`);
    process.exit(EXIT_CODES.unreachable);
  }
  process.stderr.write(
    `loopgate: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(EXIT_CODES.failure);
}

main().catch(refuse);
