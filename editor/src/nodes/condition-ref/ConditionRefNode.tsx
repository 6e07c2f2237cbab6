import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import type { ReferenceNodeData } from '../../graph';
import { annotationClasses, useAnnotations } from '../canvas-context';
import { NodeFooter } from '../NodeFooter';

export type RefFlowNode = Node<ReferenceNodeData, 'ref'>;

/** A reference to one of the rule set's shared conditions: `{ condition: name }`. */
export function ConditionRefNode({ id, data, selected }: NodeProps<RefFlowNode>) {
  const a = useAnnotations(id);
  return (
    <div className={`${annotationClasses(a, selected)} node-ref`} data-node-kind="ref">
      <div className="node-kind">Shared condition{data.name ? ` · ${data.name}` : ''}</div>
      <div className="node-title">↪ {data.condition || '(choose)'}</div>
      <NodeFooter annotations={a} />
      <Handle type="source" position={Position.Right} />
    </div>
  );
}
