import type { NodeRedNode } from '@loopgate/contracts';
import { CliError, EXIT } from './cli-error';
import { failureOf, send } from './gateway-client';

/** The runtime's flows and the revision they were read at. */
export interface RuntimeFlows {
  rev: string;
  flows: NodeRedNode[];
}

/**
 * Node-RED's admin API (`/flows`, API version v2): reads flows with their revision and deploys
 * with that revision, so Node-RED refuses (409) when someone deployed in between.
 */
export class NodeRedAdmin {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | undefined,
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { 'Node-RED-API-Version': 'v2', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...extra };
  }

  async getFlows(): Promise<RuntimeFlows> {
    const response = await send(`${this.baseUrl}/flows`, { headers: this.headers() }, "reading the runtime's flows");
    if (!response.ok) throw await failureOf(response, "reading the runtime's flows");
    const body = (await response.json()) as { rev?: string; flows?: NodeRedNode[] };
    if (typeof body.rev !== 'string' || !Array.isArray(body.flows)) {
      throw new CliError(
        EXIT.unavailable,
        'NOT_NODE_RED',
        `${this.baseUrl}/flows did not answer like Node-RED's admin API (v2)`,
      );
    }
    return { rev: body.rev, flows: body.flows };
  }

  /**
   * Full deploy at `rev`; a stale revision is refused with exit code 4, never overwritten. Under
   * flow change control the gateway keeps the flows as a pending flow version instead: its number
   * comes back and nothing runs until a second engineer signs it.
   */
  async setFlows(rev: string, flows: NodeRedNode[]): Promise<{ rev?: string; pendingVersion?: number }> {
    const response = await send(
      `${this.baseUrl}/flows`,
      {
        method: 'POST',
        headers: this.headers({ 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full' }),
        body: JSON.stringify({ rev, flows }),
      },
      'deploying flows',
    );
    if (response.status === 409) {
      throw new CliError(
        EXIT.conflict,
        'STALE_REVISION',
        `the runtime's flows changed since revision ${rev} was read: nothing was deployed; run deploy again to see the new diff`,
      );
    }
    if (response.status === 403) {
      const refusal = (await response
        .clone()
        .json()
        .catch(() => ({}))) as { code?: string; version?: number };
      if (refusal.code === 'FLOW_APPROVAL_REQUIRED' && typeof refusal.version === 'number')
        return { pendingVersion: refusal.version };
    }
    if (!response.ok) throw await failureOf(response, 'deploying flows');
    const body = (await response.json()) as { rev?: string };
    return body.rev ? { rev: body.rev } : {};
  }
}
