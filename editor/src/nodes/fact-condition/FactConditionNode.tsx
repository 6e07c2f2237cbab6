import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { formatValue } from '../../components/Notice';
import { operatorLabel } from '@loopgate/rules/core';
import type { FactNodeData } from '../../graph';
import { annotationClasses, useAnnotations } from '../canvas-context';
import { NodeFooter } from '../NodeFooter';

export type FactFlowNode = Node<FactNodeData, 'fact'>;

function valueText(value: unknown): string {
  if (value && typeof value === 'object' && !Array.isArray(value) && 'fact' in value)
    return `fact ${String((value as { fact: unknown }).fact)}`;
  return formatValue(value);
}

/** A fact condition: `spindleLoad > 80`, with its path when it reads inside the fact. */
export function FactConditionNode({ id, data, selected }: NodeProps<FactFlowNode>) {
  const a = useAnnotations(id);
  const fact = a.facts.find((f) => f.name === data.fact);
  return (
    <div className={`${annotationClasses(a, selected)} node-fact`} data-node-kind="fact">
      <div className="node-kind">Condition{data.name ? ` · ${data.name}` : ''}</div>
      <div className="node-title">
        {data.fact}
        {fact?.unit && <span className="muted"> [{fact.unit}]</span>}
        {!fact && a.facts.length > 0 && <span className="node-warn"> (not in fact list)</span>}
      </div>
      {data.path && <div className="node-path mono">{data.path}</div>}
      <div className="node-expr">
        <span className="node-op">{operatorLabel(data.operator)}</span>{' '}
        <span className="node-value mono">{valueText(data.value)}</span>
      </div>
      <NodeFooter annotations={a} />
      <Handle type="source" position={Position.Right} />
    </div>
  );
}
