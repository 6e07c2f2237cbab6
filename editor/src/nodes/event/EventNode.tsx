import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { formatValue } from '../../components/Notice';
import type { EventNodeData } from '../../graph';
import { annotationClasses, useAnnotations } from '../canvas-context';
import { NodeFooter } from '../NodeFooter';

export type EventFlowNode = Node<EventNodeData, 'event'>;

/** The rule's event: what write-back it asks for, and at which kind of target. */
export function EventNode({ id, data, selected }: NodeProps<EventFlowNode>) {
  const a = useAnnotations(id);
  const params = data.params ?? {};
  const { action, targetKind, ...rest } = params;
  return (
    <div className={`${annotationClasses(a, selected)} node-event`} data-node-kind="event">
      <Handle type="target" position={Position.Left} />
      <div className="node-kind">
        Event · rule {data.ruleName}
        {data.rulePriority !== undefined && ` · priority ${data.rulePriority}`}
      </div>
      <div className="node-title">{action ? String(action) : data.eventType}</div>
      <div className="small">
        {targetKind ? <span className="chip">{String(targetKind)}</span> : <span className="muted">any target</span>}
        <span className="muted"> · {data.eventType}</span>
      </div>
      {Object.keys(rest).length > 0 && (
        <ul className="node-params mono small">
          {Object.entries(rest)
            .slice(0, 4)
            .map(([k, v]) => (
              <li key={k}>
                {k}: {formatValue(v)}
              </li>
            ))}
        </ul>
      )}
      <NodeFooter annotations={a} />
    </div>
  );
}
