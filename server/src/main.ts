#!/usr/bin/env node
import { startGateway } from './app';
import { ConfigError, loadConfig } from './config/config';

/** `npm start`: the gateway alone, with real endpoints from configuration. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`loopgate: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  await startGateway(config);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `loopgate: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
