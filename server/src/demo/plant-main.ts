/*
 * `node server/dist/demo/plant-main.js [--port <kind>=<N> …]`: the compose demo's simulators
 * container. Every target simulator in one process, linked like the embedded demo's (a FeedRate
 * applied to the cell's recipe at Opcenter is downloaded to the CNC cell), on 127.0.0.1, until
 * SIGTERM. Ports default to the compose demo's (Opcenter 18801, FactoryTalk 18802, AVEVA 18803,
 * CMMS 18804, OPC UA 4840); `--port opcenter=0` lets the OS pick. The credential is
 * `LOOPGATE_SIM_SECRET` (random when unset).
 */
import 'reflect-metadata';
import { TARGET_KINDS, type TargetKind } from '@loopgate/contracts';
import { TARGET_DEFINITIONS } from '../targets/registry';
import { DEMO_RECIPE, startDemoPlant } from './plant';

/** Where the compose demo's site file (`docker/demo/site.json`) expects each simulator. */
export const COMPOSE_DEMO_PORTS: Partial<Record<TargetKind, number>> = {
  opcenter: 18801,
  factorytalk: 18802,
  aveva: 18803,
  cmms: 18804,
  opcua: 4840,
};

/** Reads `--port <kind>=<N>` (repeatable) over the compose demo's ports; throws on a bad one. */
export function plantPorts(args: readonly string[]): Partial<Record<TargetKind, number>> {
  const ports = { ...COMPOSE_DEMO_PORTS };
  args.forEach((arg, i) => {
    if (arg !== '--port') return;
    const match = /^([a-z]+)=(\d+)$/.exec(args[i + 1] ?? '');
    const kind = match?.[1] as TargetKind | undefined;
    const port = Number(match?.[2]);
    if (!kind || !TARGET_KINDS.includes(kind) || !(port >= 0 && port <= 65535))
      throw new RangeError(`--port takes <kind>=<0…65535> with a kind of ${TARGET_KINDS.join(', ')}`);
    ports[kind] = port;
  });
  return ports;
}

async function main(args: readonly string[]): Promise<void> {
  const kinds = TARGET_DEFINITIONS.filter((definition) => definition.simulator).map((definition) => definition.kind);
  const plant = await startDemoPlant(kinds, { ports: plantPorts(args), secret: process.env.LOOPGATE_SIM_SECRET });
  for (const kind of kinds) process.stdout.write(`${kind} simulator listening on ${plant.simulators[kind]!.url}\n`);
  process.stdout.write(`linked: FeedRate of recipe ${DEMO_RECIPE} at opcenter is downloaded to the opcua CNC cell\n`);
  const stop = () => {
    plant.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
