/** Current version of the flow file format in `flows/`. */
export const FLOW_FILE_SCHEMA_VERSION = 1;

/** A Node-RED node as stored in a flow: `id`, `type`, `z` (its tab) and node-specific fields. */
export interface NodeRedNode {
  id: string;
  type: string;
  z?: string;
  name?: string;
  [field: string]: unknown;
}

/**
 * A versioned flow file as kept in `flows/`: Node-RED's own node array wrapped with what IT
 * deploys by (id, version). The deployer unwraps `nodes` for Node-RED and stamps the version
 * into the tab's `LOOPGATE_FLOW_VERSION` environment variable, which output nodes put in lineage.
 */
export interface FlowFile {
  schemaVersion: number;
  id: string;
  version: string;
  name: string;
  description?: string;
  /** Rule sets the flow's rule nodes use, by id. */
  ruleSets?: string[];
  nodes: NodeRedNode[];
}
