import type { FlowFile, NodeRedNode } from '@loopgate/contracts';
import { FLOW_FILE_SCHEMA_VERSION } from '@loopgate/contracts';
import { UserError } from '../common/errors';

/** The tab environment variable that output nodes read into a write-back's lineage. */
export const FLOW_VERSION_ENV = 'LOOPGATE_FLOW_VERSION';
export const FLOW_ID_ENV = 'LOOPGATE_FLOW_ID';

/** True when the parsed JSON is a Loopgate flow file rather than a bare Node-RED node array. */
export function isFlowFile(value: unknown): value is FlowFile {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && 'schemaVersion' in value && 'nodes' in value
  );
}

/**
 * Turns Loopgate flow files into the node array Node-RED runs, stamping each tab with the
 * file's id and version so every write-back names the flow version that produced it.
 */
export function toNodeRedFlows(files: FlowFile[]): NodeRedNode[] {
  const nodes: NodeRedNode[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    if (file.schemaVersion !== FLOW_FILE_SCHEMA_VERSION) {
      throw new UserError(
        'UNSUPPORTED_SCHEMA_VERSION',
        `flow file ${file.id} has schemaVersion ${file.schemaVersion}; expected ${FLOW_FILE_SCHEMA_VERSION}`,
      );
    }
    for (const node of file.nodes) {
      if (seen.has(node.id))
        throw new UserError('DUPLICATE_NODE_ID', `node id ${node.id} appears twice (flow ${file.id})`);
      seen.add(node.id);
      if (node.type !== 'tab') {
        nodes.push(node);
        continue;
      }
      const env = (Array.isArray(node.env) ? (node.env as { name: string }[]) : []).filter(
        (e) => e.name !== FLOW_VERSION_ENV && e.name !== FLOW_ID_ENV,
      );
      env.push(
        { name: FLOW_ID_ENV, value: file.id, type: 'str' } as never,
        { name: FLOW_VERSION_ENV, value: file.version, type: 'str' } as never,
      );
      nodes.push({ ...node, env });
    }
  }
  return nodes;
}
