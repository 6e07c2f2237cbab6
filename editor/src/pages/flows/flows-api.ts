import type { FlowNodeChange, SignatureRequest } from '@loopgate/contracts';
import { answer, loopgate } from '../../api/client';

const at = (version: number) => ({ params: { path: { version: String(version) } } });

/** Flow change control: versions, a second engineer's signature, rollback. */
export const flowVersions = {
  list: () => answer(loopgate.GET('/flow-versions')),
  get: (version: number) => answer(loopgate.GET('/flow-versions/{version}', at(version))),
  approve: (version: number, signature: SignatureRequest) =>
    answer(loopgate.POST('/flow-versions/{version}/approve', { ...at(version), body: signature })),
  reject: (version: number, signature: SignatureRequest) =>
    answer(loopgate.POST('/flow-versions/{version}/reject', { ...at(version), body: signature })),
  rollback: (version: number, comment?: string) =>
    answer(loopgate.POST('/flow-versions/{version}/rollback', { ...at(version), body: comment ? { comment } : {} })),
};

/** `function "score to setpoint"` — a node as an engineer finds it in the editor. */
export function nodeLabel(node: FlowNodeChange): string {
  return node.name ? `${node.type} "${node.name}"` : node.type;
}
