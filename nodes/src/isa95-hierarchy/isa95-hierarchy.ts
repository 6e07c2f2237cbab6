import type { EquipmentPath, ValidationIssue, ValidationResult } from '@loopgate/contracts';
import type { Node, NodeAPI, NodeDef } from '../lib/node-red';
import { ISSUE_CODES, IssueList, text } from '../lib/validation';

export const HIERARCHY_NODE_TYPE = 'isa95-hierarchy';

/** The levels of the ISA-95 equipment hierarchy, top down, as the editor names them. */
export const HIERARCHY_LEVELS = ['enterprise', 'site', 'area', 'workCenter', 'workUnit'] as const;

export interface HierarchyConfigNode extends Node {
  /** The validated path, or `undefined` with `issues` when the entry is unusable. */
  path?: EquipmentPath;
  issues: ValidationIssue[];
}

/**
 * Validates one hierarchy entry: the enterprise is required and levels are filled top down
 * (no work unit without its work center), since the path names one place in the plant.
 *
 * @example
 * validateHierarchy({ enterprise: 'Acme', site: 'Graz', area: 'Machining', workCenter: 'CNC_Cell_01' })
 */
export function validateHierarchy(raw: Record<string, unknown>): ValidationResult<EquipmentPath> {
  const issues = new IssueList();
  const path: EquipmentPath = {};
  const present = new Set<string>();
  for (const level of HIERARCHY_LEVELS) {
    if (raw[level] !== undefined && raw[level] !== null && String(raw[level]).trim() !== '') present.add(level);
    const value = text(issues, raw[level], `$.${level}`, level === 'enterprise', 128);
    if (value === undefined) continue;
    if (value.includes('/'))
      issues.add(ISSUE_CODES.invalidConfig, `$.${level}`, 'must not contain "/" (it separates levels)');
    else path[level] = value;
  }
  const deepest = HIERARCHY_LEVELS.findLastIndex((level) => present.has(level));
  for (const level of HIERARCHY_LEVELS.slice(1, Math.max(deepest, 1))) {
    if (!present.has(level)) {
      issues.add(
        ISSUE_CODES.required,
        `$.${level}`,
        `is required because ${HIERARCHY_LEVELS[deepest]} is set (levels are filled top down)`,
      );
    }
  }
  const equipmentClass = text(issues, raw.equipmentClass, '$.equipmentClass', false, 128);
  if (equipmentClass !== undefined) path.equipmentClass = equipmentClass;
  return issues.result(path);
}

/** `Acme/Graz/Machining/CNC_Cell_01`: the path as one string for labels and B2MML scopes. */
export function formatHierarchy(path: EquipmentPath): string {
  return HIERARCHY_LEVELS.map((level) => path[level])
    .filter((v) => v !== undefined)
    .join('/');
}

/** Finds the hierarchy entry a node refers to; no id means none was chosen, which is allowed. */
export function hierarchyFor(RED: NodeAPI, id: unknown): { path?: EquipmentPath } | { problem: string } {
  if (typeof id !== 'string' || id === '') return {};
  const config = RED.nodes.getNode(id) as HierarchyConfigNode | null;
  if (!config) return { problem: 'ISA-95 hierarchy configuration not deployed' };
  if (!config.path)
    return { problem: `ISA-95 hierarchy: ${config.issues.map((i) => `${i.path} ${i.message}`).join('; ')}` };
  return { path: config.path };
}

/** Registers the `isa95-hierarchy` config node: one place in the equipment hierarchy. */
export default function register(RED: NodeAPI): void {
  function Isa95HierarchyNode(this: HierarchyConfigNode, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const result = validateHierarchy(def);
    if (result.success) {
      this.path = result.value;
      this.issues = [];
    } else {
      this.issues = result.issues;
      this.warn(`isa95-hierarchy: ${result.issues.map((i) => `${i.path} ${i.message}`).join('; ')}`);
    }
  }
  RED.nodes.registerType(HIERARCHY_NODE_TYPE, Isa95HierarchyNode);
}
