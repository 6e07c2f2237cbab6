import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { position, ruleDefinition } from './arbitraries';
import type { RuleGraph, RuleLayout } from './model';
import { toGraph } from './to-graph';
import { toRule } from './to-rule';

/** A rule with a random position for every node, as a user would leave it after dragging. */
const ruleWithLayout = ruleDefinition.chain((rule) => {
  const paths = Object.values(pathsOf(rule));
  return fc.array(position, { minLength: paths.length, maxLength: paths.length }).map((positions) => {
    const layout: RuleLayout = {};
    paths.forEach((p, i) => (layout[p] = positions[i]));
    return { rule, layout };
  });
});

function pathsOf(rule: Parameters<typeof toGraph>[0]): Record<string, string> {
  const result = toRule(toGraph(rule));
  return result.paths;
}

describe('graph ↔ json-rules-engine round trip', () => {
  it('turns every rule into a graph and back into the same rule', () => {
    fc.assert(
      fc.property(ruleDefinition, (rule) => {
        const result = toRule(toGraph(rule));
        expect(result.success).toBe(true);
        if (result.success) expect(result.rule).toStrictEqual(rule);
      }),
      { numRuns: 500 },
    );
  });

  it('turns a graph into JSON and back into the same graph, positions kept', () => {
    fc.assert(
      fc.property(ruleWithLayout, ({ rule, layout }) => {
        const graph = toGraph(rule, layout);
        const result = toRule(graph);
        if (!result.success) throw new Error(JSON.stringify(result.issues));
        expect(result.layout).toStrictEqual(layout);
        expect(toGraph(result.rule, result.layout)).toStrictEqual(graph);
      }),
      { numRuns: 300 },
    );
  });

  it('reads a graph the same whatever its node ids and node order', () => {
    fc.assert(
      fc.property(ruleWithLayout, fc.integer(), ({ rule, layout }, seed) => {
        const graph = toGraph(rule, layout);
        const rename = new Map(graph.nodes.map((n, i) => [n.id, `user-${(i * 7919 + seed) >>> 0}-${i}`]));
        const shuffled: RuleGraph = {
          nodes: [...graph.nodes]
            .sort((a, b) => ((a.id.length * 31 + seed) % 7) - ((b.id.length * 31 + seed) % 7))
            .map((n) => ({ ...n, id: rename.get(n.id)! })),
          edges: graph.edges.map((e) => ({
            id: `edge-${e.id}`,
            source: rename.get(e.source)!,
            target: rename.get(e.target)!,
          })),
        } as RuleGraph;
        const result = toRule(shuffled);
        if (!result.success) throw new Error(JSON.stringify(result.issues));
        expect(result.rule).toStrictEqual(rule);
        expect(result.layout).toStrictEqual(layout);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps the graph plain JSON, so it saves and loads unchanged', () => {
    fc.assert(
      fc.property(ruleWithLayout, ({ rule, layout }) => {
        const graph = toGraph(rule, layout);
        expect(JSON.parse(JSON.stringify(graph))).toStrictEqual(graph);
      }),
      { numRuns: 200 },
    );
  });
});
