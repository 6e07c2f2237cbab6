/**
 * node-red-contrib-loopgate: the Loopgate palette. Node-RED loads each node from the `node-red`
 * section of package.json; this module is for code that embeds or inspects the palette.
 */
import { TARGET_CATALOGUE } from '@loopgate/contracts';

export { type InferenceEnvelope } from './ai-score/inference';
export {
  type Isa95Context,
  type Isa95Equipment,
  type Isa95MaterialLot,
  type Isa95RecipeParameter,
  type Isa95WorkOrder,
} from './lib/isa95';
export { type RuleFiring } from './lib/lineage';
export { livenessReport, type LivenessEntry, type LivenessReport } from './lib/liveness';

/**
 * The palette's node sets as package.json lists them, in palette order: each registers the node
 * type of its name, except `loopgate-writeback`, which registers one output node per target the
 * gateway describes (`TARGET_CATALOGUE`).
 */
export const NODE_SETS = [
  'loopgate-gateway',
  'isa95-hierarchy',
  'isa95-equipment',
  'isa95-material-lot',
  'isa95-work-order',
  'isa95-recipe-parameter',
  'ai-score',
  'loopgate-rule',
  'loopgate-writeback',
  'writeback-outcome',
  'loopgate-kpi',
  'loopgate-kafka-in',
] as const;

/** The output node types, one per described target (`opcenter-out`, …). */
export const OUTPUT_NODE_TYPES: readonly string[] = Object.values(TARGET_CATALOGUE).map((t) => t.nodeType);

/** Every node type of the palette, in palette order. */
export const NODE_TYPES: readonly string[] = NODE_SETS.flatMap((set) =>
  set === 'loopgate-writeback' ? OUTPUT_NODE_TYPES : [set],
);
