/** One deployed file: a flow file or a rule set, its version and the checksum of what was sent. */
export interface DeploymentItem {
  kind: 'flow' | 'rule-set';
  id: string;
  version: string;
  /** SHA-256 of the file's canonical JSON (keys sorted). */
  checksum: string;
  /** What the deploy did with it: applied, unchanged, or (rule sets) waiting for a second person. */
  result: 'deployed' | 'unchanged' | 'pending-approval';
}

/** `GET /deployments`, newest first. */
export interface DeploymentList {
  deployments: DeploymentRecord[];
}

/** `POST /deployments` records a deployment the CLI made; `GET /deployments` lists them, newest first. */
export interface DeploymentRecord {
  id: string;
  deployedBy: string;
  deployedAt: string;
  nodeRedUrl?: string;
  revisionBefore?: string;
  revisionAfter?: string;
  items: DeploymentItem[];
  comment?: string;
}
