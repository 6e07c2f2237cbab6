import type { FactDefinition, RuleDefinition } from '@loopgate/contracts';
import { Background, ReactFlow, ReactFlowProvider } from '@xyflow/react';
import { useMemo } from 'react';
import { nodeIdForPath, toGraph, type ChangeKind, type RuleLayout } from '../../graph';
import { CanvasContext, EMPTY_ANNOTATIONS } from '../../nodes/canvas-context';
import { nodeTypes, type RuleFlowNode } from '../../nodes/node-types';

/** A rule drawn for reading (diffs, reviews): nodes coloured by change, nothing editable. */
export function ReadOnlyGraph({
  rule,
  layout,
  facts,
  changes,
  label,
}: {
  rule: RuleDefinition;
  layout?: RuleLayout;
  facts: FactDefinition[];
  changes: Record<string, ChangeKind>;
  label: string;
}) {
  const graph = useMemo(() => toGraph(rule, layout), [rule, layout]);
  const annotations = useMemo(
    () => ({
      ...EMPTY_ANNOTATIONS,
      facts,
      changes: Object.fromEntries(Object.entries(changes).map(([path, kind]) => [nodeIdForPath(path), kind])),
    }),
    [facts, changes],
  );
  return (
    <CanvasContext.Provider value={annotations}>
      <div className="canvas canvas-readonly" role="img" aria-label={label}>
        <ReactFlowProvider>
          <ReactFlow
            nodes={graph.nodes as RuleFlowNode[]}
            edges={graph.edges}
            nodeTypes={nodeTypes}
            nodesDraggable={false}
            nodesConnectable={false}
            nodesFocusable={false}
            edgesFocusable={false}
            elementsSelectable={false}
            colorMode="dark"
            fitView
            fitViewOptions={{ padding: 0.15, maxZoom: 0.9 }}
            minZoom={0.1}
            defaultEdgeOptions={{ type: 'smoothstep' }}
            proOptions={{ hideAttribution: true }}
          >
            <Background gap={24} />
          </ReactFlow>
        </ReactFlowProvider>
      </div>
    </CanvasContext.Provider>
  );
}
