/**
 * Shared pieces of the palette's integration tests: the flow files, the palette's node modules
 * and the node-red-contrib-opcua client nodes, for node-red-node-test-helper.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { FlowFile, NodeRedNode } from '@loopgate/contracts';

export const REPO = path.resolve(__dirname, '..', '..');
const requireHere = createRequire(__filename);

export function flowFile(id: string): FlowFile {
  return JSON.parse(fs.readFileSync(path.join(REPO, 'flows', `${id}.flow.json`), 'utf8')) as FlowFile;
}

/** node-red-contrib-opcua's endpoint and client nodes, as Node-RED loads them. */
export function opcuaNodes(): unknown[] {
  return ['opcua/105-opcuaendpoint.js', 'opcua/102-opcuaclient.js'].map(
    (file) => requireHere(`node-red-contrib-opcua/${file}`) as unknown,
  );
}

/** Core nodes the example flows use. */
export function coreNodes(): unknown[] {
  const core = createRequire(requireHere.resolve('@node-red/nodes/package.json'));
  return ['common/20-inject.js', 'common/21-debug.js', 'function/10-function.js'].map(
    (file) => core(`./core/${file}`) as unknown,
  );
}

/** The nodes of a flow with their wires kept only between the nodes kept. */
export function subset(nodes: NodeRedNode[], keep: (n: NodeRedNode) => boolean): NodeRedNode[] {
  const kept = nodes.filter(keep);
  const ids = new Set(kept.map((n) => n.id));
  return kept.map((n) =>
    Array.isArray(n.wires) ? { ...n, wires: (n.wires as string[][]).map((w) => w.filter((id) => ids.has(id))) } : n,
  );
}
