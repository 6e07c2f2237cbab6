/**
 * The palette as a plant's integrator gets it: `node-red-contrib-loopgate` packed into one
 * tarball (nodes/scripts/pack.js), installed alone — with only its declared dependencies from the
 * npm registry — into a fresh user directory of stock Node-RED 4.1 and 5, started, and one of its
 * own examples run against a running gateway until the write-back is applied at the simulator.
 * Needs `npm run build`; the Node-RED installs are cached between runs (stock-node-red.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGET_CATALOGUE, type WriteBackList } from '@loopgate/contracts';
import { ApiClient } from '../../server/src/demo/api-client';
import { eventually, startTestStack, type DemoStack } from '../support/stack';
import { installNodeRed, startNodeRed, userDirWith, type RunningNodeRed } from './stock-node-red';
import { REPO } from './support';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { packPalette } = require('../../nodes/scripts/pack.js') as { packPalette(outDir: string): string };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { exampleFiles } = require('../../nodes/scripts/examples.js') as {
  exampleFiles(): Record<string, unknown[]>;
};

interface Manifest {
  name: string;
  version: string;
  keywords: string[];
  'node-red': { version: string; nodes: Record<string, string> };
  dependencies: Record<string, string>;
  bundleDependencies: string[];
}

const readJson = <T>(file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as T;
// One node type per set, and one output node per described target from the loopgate-writeback set.
const NODE_TYPES = Object.keys(readJson<Manifest>(path.join(REPO, 'nodes', 'package.json'))['node-red'].nodes).flatMap(
  (set) => (set === 'loopgate-writeback' ? Object.values(TARGET_CATALOGUE).map((t) => t.nodeType) : [set]),
);
const EXAMPLE = 'incoming-lot-hold';

let tarball: string;
let stack: DemoStack;

beforeAll(async () => {
  tarball = packPalette(fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-palette-tgz-')));
  stack = await startTestStack({ flowFile: null });
});

afterAll(async () => {
  await stack?.close();
  if (tarball) fs.rmSync(path.dirname(tarball), { recursive: true, force: true });
});

describe.each([
  { range: '~4.1', lot: 'LOT-4711' },
  { range: '5', lot: 'LOT-4712' },
])('node-red-contrib-loopgate installed alone into stock Node-RED $range', ({ range, lot }) => {
  let red: RunningNodeRed;
  let installed: string;

  beforeAll(async () => {
    const { redJs, version } = await installNodeRed(range);
    expect(version.split('.')[0]).toBe(range.replace('~', '').split('.')[0]);
    const userDir = await userDirWith(tarball);
    installed = path.join(userDir, 'node_modules', 'node-red-contrib-loopgate');
    // The flow is the installed package's own example, as Import → Examples would add it.
    fs.copyFileSync(path.join(installed, 'examples', `${EXAMPLE}.json`), path.join(userDir, 'flows.json'));
    red = await startNodeRed(redJs, userDir, {
      LOOPGATE_PORT: String(new URL(stack.url).port),
      LOOPGATE_TOKEN: stack.serviceToken,
    });
    await red.waitForLog(/Started flows/, 90_000);
  });

  afterAll(() => red?.stop());

  it('installed the packed manifest: bundled workspace packages, registry dependencies, examples from flows/', () => {
    const manifest = readJson<Manifest>(path.join(installed, 'package.json'));
    expect(manifest.bundleDependencies).toEqual(['@loopgate/contracts', '@loopgate/rules']);
    for (const name of manifest.bundleDependencies) {
      const bundled = path.join(installed, 'node_modules', name, 'package.json');
      expect(readJson<Manifest>(bundled).version, name).toBe(manifest.version);
    }
    const examples = fs.readdirSync(path.join(installed, 'examples')).sort();
    const sources = exampleFiles();
    expect(examples).toEqual(Object.keys(sources).sort());
    for (const file of examples) expect(readJson(path.join(installed, 'examples', file)), file).toEqual(sources[file]);
  });

  it('loads all node types of the palette without error', async () => {
    const sets = (await fetch(`${red.url}/nodes`, { headers: { accept: 'application/json' } }).then((r) =>
      r.json(),
    )) as { module: string; types: string[]; enabled: boolean; err?: unknown }[];
    const ours = sets.filter((s) => s.module === 'node-red-contrib-loopgate');
    expect(
      ours.filter((s) => s.err || !s.enabled).map((s) => [s.types, s.err]),
      red.log(),
    ).toEqual([]);
    expect(ours.flatMap((s) => s.types).sort()).toEqual([...NODE_TYPES].sort());
  });

  it(`runs the ${EXAMPLE} example: the model's inference ends as an applied hold of ${lot} at the Opcenter simulator`, async () => {
    const inferenceId = `packaged-${range}-${Date.now()}`;
    const response = await fetch(`${red.url}/ai/lot-quality`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        inferenceId,
        modelId: 'lot-scrap-correlation',
        modelVersion: '2.0.0',
        score: 0.93,
        label: 'out-of-spec',
        timestamp: new Date().toISOString(),
        features: { supplier: 'S-17', heat: 'H-88' },
        lotId: lot,
        materialDefinitionId: 'STEEL-42CrMo4',
        lotStatus: 'received',
        quantity: 1250,
        unit: 'kg',
        certificate: { moisturePercent: 0.2 },
        failedChecks: [],
      }),
    });
    expect(response.status).toBe(202);
    const hold = await eventually(
      async () => stack.simulators.opcenter!.ledger().find((e) => e.source === 'api' && e.object === lot),
      60_000,
      250,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nNode-RED log:\n${red.log()}`);
    });
    expect(hold.value).toBe('Hold');
    const list = await new ApiClient(stack.url, stack.serviceToken).get<WriteBackList>('/writebacks?limit=100');
    expect(list.outcomes.find((o) => o.lineage.inferenceId === inferenceId)).toMatchObject({
      state: 'applied',
      action: 'hold-lot',
      object: { type: 'material-lot', id: lot },
      lineage: { flowId: EXAMPLE, nodeId: `${EXAMPLE}.opcenter`, ruleSetId: EXAMPLE },
    });
  });
});
