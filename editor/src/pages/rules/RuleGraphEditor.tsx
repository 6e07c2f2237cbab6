import type { FactDefinition, ValidationIssue } from '@loopgate/contracts';
import {
  Background,
  Controls,
  ReactFlow,
  ReactFlowProvider,
  useEdgesState,
  useNodesState,
  useReactFlow,
  type Connection,
  type Edge,
  type IsValidConnection,
} from '@xyflow/react';
import {
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type DragEvent,
  type ReactNode,
} from 'react';
import {
  canConnect,
  freshNodeId,
  moveInput,
  nodeForPath,
  removeNodes,
  sameExceptPositions,
  setOutput,
  toRule,
  type ConditionOutcome,
  type GraphIssue,
  type RuleGraph,
  type RuleGraphNode,
  type ToRuleResult,
} from '../../graph';
import { CanvasContext, type CanvasAnnotations } from '../../nodes/canvas-context';
import { nodeTypes, type RuleFlowNode } from '../../nodes/node-types';
import { Inspector } from './Inspector';
import { PALETTE_MIME, Palette, type PaletteItem } from './Palette';

export interface RuleGraphEditorProps {
  initialGraph: RuleGraph;
  facts: FactDefinition[];
  sharedConditions: string[];
  /** Gateway validation issues of this rule, with paths relative to the rule (`$.conditions…`). */
  serverIssues: ValidationIssue[];
  /** Test-run outcomes by rule-relative path. */
  outcomes: Record<string, ConditionOutcome>;
  readOnly: boolean;
  /** Every change of the graph, with what it converts to. */
  onGraph: (graph: RuleGraph, result: ToRuleResult) => void;
  /** The test-run panel, shown as a tab beside the inspector. */
  testPanel: ReactNode;
}

/** Plain graph (id, type, position, data) of React Flow's nodes, so saved data never carries UI state. */
function plainGraph(nodes: RuleFlowNode[], edges: Edge[]): RuleGraph {
  return {
    nodes: nodes.map(
      (n) =>
        ({ id: n.id, type: n.type, position: { x: n.position.x, y: n.position.y }, data: n.data }) as RuleGraphNode,
    ),
    edges: edges.map((e) => ({ id: e.id, source: e.source, target: e.target })),
  };
}

function issueMessages(
  issues: GraphIssue[],
  serverIssues: ValidationIssue[],
  result: ToRuleResult,
  edges: Edge[],
): Record<string, string[]> {
  const byNode: Record<string, string[]> = {};
  const add = (id: string | undefined, message: string) => {
    if (id) (byNode[id] ??= []).push(message);
  };
  for (const issue of issues) add(issue.nodeId ?? edges.find((e) => e.id === issue.edgeId)?.target, issue.message);
  for (const issue of serverIssues) add(nodeForPath(result.paths, issue.path), `${issue.message} (${issue.code})`);
  return byNode;
}

function Editor({
  initialGraph,
  facts,
  sharedConditions,
  serverIssues,
  outcomes,
  readOnly,
  onGraph,
  testPanel,
}: RuleGraphEditorProps) {
  const [nodes, setNodes, onNodesChange] = useNodesState<RuleFlowNode>(initialGraph.nodes as RuleFlowNode[]);
  const [edges, setEdges, onEdgesChange] = useEdgesState<Edge>(initialGraph.edges);
  const [side, setSide] = useState<'inspector' | 'test'>('inspector');
  const flow = useReactFlow<RuleFlowNode, Edge>();
  const canvasRef = useRef<HTMLDivElement>(null);
  const added = useRef(0);

  const graph = useMemo(() => plainGraph(nodes, edges), [nodes, edges]);
  const startsEmpty = useRef(initialGraph.nodes.length === 1 && initialGraph.nodes[0].type === 'event');
  // A rule built from nothing: put its event at the right edge, leaving room for conditions on the left.
  useEffect(() => {
    const rect = canvasRef.current?.getBoundingClientRect();
    const event = initialGraph.nodes[0];
    if (!startsEmpty.current || !rect || !event) return;
    void flow.setViewport({ x: rect.width - 260 - event.position.x, y: rect.height / 3 - event.position.y, zoom: 1 });
  }, [flow, initialGraph]);
  const result = useMemo(() => toRule(graph), [graph]);
  const issues = result.success ? [] : result.issues;

  // A change of the rule reaches the workspace before the browser paints, so its rule list, JSON, Validate and
  // Submit never act on an older rule than the canvas shows; a drag only moves nodes (every frame) and waits for a pause.
  const latest = useRef({ graph, result, onGraph });
  latest.current = { graph, result, onGraph };
  const reported = useRef(graph);
  const report = useCallback(() => {
    reported.current = latest.current.graph;
    latest.current.onGraph(latest.current.graph, latest.current.result);
  }, []);
  useLayoutEffect(() => {
    if (!sameExceptPositions(reported.current, graph)) report();
  }, [graph, report]);
  useEffect(() => {
    const timer = setTimeout(report, 120);
    return () => clearTimeout(timer);
  }, [graph, report]);
  // On leaving (another tab or rule), in the same commit, so the next view never opens on the older rule.
  useLayoutEffect(() => report, [report]);

  const annotations = useMemo<CanvasAnnotations>(() => {
    const byPath = Object.fromEntries(Object.entries(result.paths).map(([id, path]) => [path, id]));
    const nodeOutcomes: Record<string, ConditionOutcome> = {};
    for (const [path, outcome] of Object.entries(outcomes)) if (byPath[path]) nodeOutcomes[byPath[path]] = outcome;
    const order: Record<string, number> = {};
    const inputs = new Map<string, string[]>();
    for (const e of edges) inputs.set(e.target, [...(inputs.get(e.target) ?? []), e.source]);
    for (const sources of inputs.values()) if (sources.length > 1) sources.forEach((s, i) => (order[s] = i + 1));
    return {
      facts,
      issues: issueMessages(issues, serverIssues, result, edges),
      outcomes: nodeOutcomes,
      changes: {},
      order,
    };
  }, [facts, issues, serverIssues, result, edges, outcomes]);

  const shownEdges = useMemo(
    () =>
      edges.map((e) => {
        const outcome = annotations.outcomes[e.source];
        return { ...e, className: outcome ? `edge-${outcome}` : undefined, animated: outcome === 'passed' };
      }),
    [edges, annotations.outcomes],
  );

  const isValidConnection: IsValidConnection<Edge> = useCallback(
    (c) => !readOnly && canConnect(plainGraph(flow.getNodes(), flow.getEdges()), c.source, c.target),
    [flow, readOnly],
  );
  const onConnect = useCallback(
    (c: Connection) => setEdges((current) => setOutput(plainGraph(flow.getNodes(), current), c.source, c.target).edges),
    [flow, setEdges],
  );

  const select = (id: string) => setNodes((ns) => ns.map((n) => ({ ...n, selected: n.id === id })));
  const addNode = (item: PaletteItem, position?: { x: number; y: number }) => {
    if (readOnly) return;
    let at = position;
    if (!at) {
      const rect = canvasRef.current?.getBoundingClientRect();
      const centre = rect ? { x: rect.left + rect.width / 2, y: rect.top + rect.height / 2 } : { x: 300, y: 200 };
      const base = flow.screenToFlowPosition(centre);
      const step = added.current++ % 6;
      at = { x: base.x - 90 + step * 24, y: base.y - 40 + step * 24 };
    }
    const id = item.type === 'event' && !nodes.some((n) => n.id === 'event') ? 'event' : freshNodeId(graph);
    const node = { id, type: item.type, position: at, data: item.data, selected: true } as RuleFlowNode;
    setNodes((ns) => [...ns.map((n) => ({ ...n, selected: false })), node]);
  };
  const onDrop = (event: DragEvent) => {
    const raw = event.dataTransfer.getData(PALETTE_MIME);
    if (!raw) return;
    event.preventDefault();
    addNode(JSON.parse(raw) as PaletteItem, flow.screenToFlowPosition({ x: event.clientX, y: event.clientY }));
  };

  const selected = nodes.filter((n) => n.selected);
  const selectedNode = selected.length === 1 ? graph.nodes.find((n) => n.id === selected[0].id) : undefined;
  const hasEvent = nodes.some((n) => n.type === 'event');
  const eventName =
    (nodes.find((n) => n.type === 'event')?.data as { ruleName?: string } | undefined)?.ruleName ?? 'new-rule';

  return (
    <CanvasContext.Provider value={annotations}>
      <div className="rule-editor">
        <Palette
          facts={facts}
          sharedConditions={sharedConditions}
          hasEvent={hasEvent}
          ruleName={eventName}
          disabled={readOnly}
          onAdd={(item) => addNode(item)}
        />
        <div className="canvas-column">
          <div
            className="canvas"
            ref={canvasRef}
            onDrop={onDrop}
            onDragOver={(e) => e.preventDefault()}
            data-testid="rule-canvas"
          >
            <ReactFlow<RuleFlowNode, Edge>
              nodes={nodes}
              edges={shownEdges}
              nodeTypes={nodeTypes}
              onNodesChange={onNodesChange}
              onEdgesChange={onEdgesChange}
              onConnect={onConnect}
              isValidConnection={isValidConnection}
              nodesDraggable={!readOnly}
              nodesConnectable={!readOnly}
              deleteKeyCode={readOnly ? null : ['Backspace', 'Delete']}
              colorMode="dark"
              fitView={!startsEmpty.current}
              fitViewOptions={{ padding: 0.2, maxZoom: 1 }}
              minZoom={0.2}
              defaultEdgeOptions={{ type: 'smoothstep' }}
              proOptions={{ hideAttribution: true }}
            >
              <Background gap={24} />
              <Controls position="bottom-left" showInteractive={false} />
            </ReactFlow>
          </div>
          <IssueBar issues={issues} serverIssues={serverIssues} result={result} onFocus={(id) => select(id)} />
        </div>
        <aside className="side-column" aria-label="Node details and test run">
          <div className="tabs tabs-small" role="tablist" aria-label="Side panel">
            <button
              type="button"
              role="tab"
              id="side-inspector"
              aria-selected={side === 'inspector'}
              aria-controls="side-panel"
              onClick={() => setSide('inspector')}
            >
              Inspector
            </button>
            <button
              type="button"
              role="tab"
              id="side-test"
              aria-selected={side === 'test'}
              aria-controls="side-panel"
              onClick={() => setSide('test')}
            >
              Test run
            </button>
          </div>
          <div
            className="side-panel scroll"
            role="tabpanel"
            tabIndex={0}
            id="side-panel"
            aria-labelledby={`side-${side}`}
          >
            {side === 'inspector' ? (
              <Inspector
                node={selectedNode}
                graph={graph}
                facts={facts}
                sharedConditions={sharedConditions}
                readOnly={readOnly}
                onData={(id, data) =>
                  setNodes((ns) => ns.map((n) => (n.id === id ? ({ ...n, data } as RuleFlowNode) : n)))
                }
                onOutput={(id, target) => {
                  if (target === undefined || canConnect(graph, id, target))
                    setEdges(setOutput(graph, id, target).edges);
                }}
                onMove={(id, direction) => setEdges(moveInput(graph, id, direction).edges)}
                onDelete={(id) => {
                  const next = removeNodes(graph, [id]);
                  setNodes((ns) => ns.filter((n) => next.nodes.some((m) => m.id === n.id)));
                  setEdges(next.edges);
                }}
              />
            ) : (
              testPanel
            )}
          </div>
        </aside>
      </div>
    </CanvasContext.Provider>
  );
}

function IssueBar({
  issues,
  serverIssues,
  result,
  onFocus,
}: {
  issues: GraphIssue[];
  serverIssues: ValidationIssue[];
  result: ToRuleResult;
  onFocus: (id: string) => void;
}) {
  const all = [
    ...issues.map((i) => ({
      key: `g-${i.code}-${i.nodeId ?? i.edgeId}`,
      code: i.code,
      message: i.message,
      nodeId: i.nodeId,
    })),
    ...serverIssues.map((i, n) => ({
      key: `s-${n}`,
      code: i.code,
      message: `${i.message} — ${i.path}`,
      nodeId: nodeForPath(result.paths, i.path),
    })),
  ];
  if (all.length === 0) {
    return (
      <div className="issue-bar issue-bar-ok" role="status">
        ✓ The graph is a complete json-rules-engine rule.
      </div>
    );
  }
  return (
    <div
      className="issue-bar"
      role="status"
      aria-label={`${all.length} issue${all.length === 1 ? '' : 's'} in this rule`}
    >
      <strong>
        {all.length} issue{all.length === 1 ? '' : 's'}
      </strong>
      <ul>
        {all.map((i) => (
          <li key={i.key}>
            <span className="reason">{i.code}</span> {i.message}
            {i.nodeId && (
              <button type="button" className="link-button" onClick={() => onFocus(i.nodeId!)}>
                show node
              </button>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The visual editor for one rule: palette, canvas, inspector and test run. */
export function RuleGraphEditor(props: RuleGraphEditorProps) {
  return (
    <ReactFlowProvider>
      <Editor {...props} />
    </ReactFlowProvider>
  );
}
