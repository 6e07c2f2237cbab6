import type { NodeTypes } from '@xyflow/react';
import { ConditionRefNode, type RefFlowNode } from './condition-ref/ConditionRefNode';
import { EventNode, type EventFlowNode } from './event/EventNode';
import { FactConditionNode, type FactFlowNode } from './fact-condition/FactConditionNode';
import { GateNode, type GateFlowNode } from './gate/GateNode';

/** Declared once at module scope: React Flow re-mounts every node when this object changes. */
export const nodeTypes: NodeTypes = {
  fact: FactConditionNode,
  gate: GateNode,
  ref: ConditionRefNode,
  event: EventNode,
};

export type RuleFlowNode = FactFlowNode | GateFlowNode | RefFlowNode | EventFlowNode;
