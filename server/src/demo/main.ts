#!/usr/bin/env node
import { ConfigError } from '../config/config';
import { DEMO_PASSWORD, DEMO_USERS } from './demo-site';
import { startDemoStack } from './stack';

/** `npm run demo`: OPC UA CNC simulator → flow → rules → gateway → MES simulators, console in the browser. */
async function main(): Promise<void> {
  const port = process.env.LOOPGATE_PORT ? Number(process.env.LOOPGATE_PORT) : 1880;
  const stack = await startDemoStack({ port, fresh: process.env.LOOPGATE_DEMO_KEEP_DATA !== '1', logLevel: 'warn' });
  const lines = [
    '',
    'Loopgate demo is running.',
    `  console                ${stack.url}/   (admin / ${stack.adminPassword}; ${DEMO_USERS.map((u) => u.username).join(', ')} / ${DEMO_PASSWORD})`,
    `  Node-RED editor        ${stack.url}/red/`,
    `  REST API               ${stack.url}/api/v1/   (OpenAPI: ${stack.url}/api/docs)`,
    `  audit                  ${stack.url}/api/v1/audit`,
    `  health, metrics        ${stack.url}/health, ${stack.url}/metrics`,
    ...Object.entries(stack.simulators).map(([kind, sim]) => `  ${`${kind} simulator`.padEnd(23)}${sim?.url}`),
    '',
    "The CNC cell's spindle load drifts up as the tool wears; within a minute the flow asks for a",
    'feed-rate compensation, and the audit shows it applied at the Opcenter simulator. Ctrl-C stops.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
  const stop = async () => {
    await stack.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  const text =
    error instanceof ConfigError
      ? error.message
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error);
  process.stderr.write(`loopgate demo: ${text}\n`);
  process.exit(1);
});
