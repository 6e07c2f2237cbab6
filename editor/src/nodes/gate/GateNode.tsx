import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import type { GateNodeData } from '../../graph';
import { annotationClasses, useAnnotations } from '../canvas-context';
import { NodeFooter } from '../NodeFooter';

export type GateFlowNode = Node<GateNodeData, 'gate'>;

const MEANING = { all: 'every input is true', any: 'at least one input is true', not: 'its input is false' } as const;

/** An `all` / `any` / `not` gate: inputs on the left, in JSON array order. */
export function GateNode({ id, data, selected }: NodeProps<GateFlowNode>) {
  const a = useAnnotations(id);
  return (
    <div className={`${annotationClasses(a, selected)} node-gate gate-${data.gate}`} data-node-kind="gate">
      <Handle type="target" position={Position.Left} />
      <div className="node-kind">Gate{data.name ? ` · ${data.name}` : ''}</div>
      <div className="node-title gate-label">{data.gate.toUpperCase()}</div>
      <div className="muted small">true when {MEANING[data.gate]}</div>
      <NodeFooter annotations={a} />
      <Handle type="source" position={Position.Right} />
    </div>
  );
}
