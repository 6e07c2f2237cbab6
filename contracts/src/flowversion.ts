/** One node a flow version adds, removes or changes, named as the editor shows it. */
export interface FlowNodeChange {
  id: string;
  type: string;
  name?: string;
  /** The tab (flow) the node is on. */
  z?: string;
}

/** Node-level difference of a flow version against the version that ran when it was submitted. */
export interface FlowVersionDiff {
  /** The version compared with; absent for the first version. */
  against?: number;
  added: FlowNodeChange[];
  removed: FlowNodeChange[];
  changed: FlowNodeChange[];
}

export const FLOW_VERSION_STATUSES = ['pending-approval', 'published', 'rejected'] as const;
export type FlowVersionStatus = (typeof FLOW_VERSION_STATUSES)[number];

/** Where a flow version came from. */
export type FlowVersionSource = 'editor' | 'cli' | 'start' | 'rollback';

/** A stored, immutable flow version: the whole Node-RED flow configuration and who decided on it. */
/** `GET /flow-versions`: newest first, and whether deploys wait for a second engineer. */
export interface FlowVersionList {
  changeControl: boolean;
  versions: FlowVersion[];
}

export interface FlowVersion {
  version: number;
  /** SHA-256 of the canonical JSON of the flows (credentials left out). */
  checksum: string;
  author: string;
  createdAt: string;
  status: FlowVersionStatus;
  source: FlowVersionSource;
  nodeCount: number;
  diff: FlowVersionDiff;
  comment?: string;
  rollbackOf?: number;
  decidedBy?: string;
  decidedAt?: string;
  /** True for the version Node-RED runs now. */
  live: boolean;
}

/** A flow version with its flows (node credentials are never returned). */
export interface FlowVersionDetail extends FlowVersion {
  flows: Record<string, unknown>[];
}

/** `POST /flow-versions`: a deploy from the CLI. */
export interface SubmitFlowVersionRequest {
  flows: Record<string, unknown>[];
  comment?: string;
}

export const FlowVersionPaths = {
  list: '/flow-versions',
  version: (v: number) => `/flow-versions/${v}`,
  approve: (v: number) => `/flow-versions/${v}/approve`,
  reject: (v: number) => `/flow-versions/${v}/reject`,
  rollback: (v: number) => `/flow-versions/${v}/rollback`,
} as const;
