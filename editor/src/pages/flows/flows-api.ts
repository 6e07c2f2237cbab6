import {
  FlowVersionPaths,
  type FlowNodeChange,
  type FlowVersion,
  type FlowVersionDetail,
  type SignatureRequest,
} from '@loopgate/contracts';
import { api } from '../../api/client';

/** Flow change control: versions, a second engineer's signature, rollback. */
export const flowVersions = {
  list: () => api<{ changeControl: boolean; versions: FlowVersion[] }>('GET', FlowVersionPaths.list),
  get: (version: number) => api<FlowVersionDetail>('GET', FlowVersionPaths.version(version)),
  approve: (version: number, signature: SignatureRequest) =>
    api<FlowVersion>('POST', FlowVersionPaths.approve(version), { body: signature }),
  reject: (version: number, signature: SignatureRequest) =>
    api<FlowVersion>('POST', FlowVersionPaths.reject(version), { body: signature }),
  rollback: (version: number, comment?: string) =>
    api<FlowVersion>('POST', FlowVersionPaths.rollback(version), { body: comment ? { comment } : {} }),
};

/** `function "score to setpoint"` — a node as an engineer finds it in the editor. */
export function nodeLabel(node: FlowNodeChange): string {
  return node.name ? `${node.type} "${node.name}"` : node.type;
}
