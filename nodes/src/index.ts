/**
 * node-red-contrib-loopgate: the Loopgate palette. Node-RED loads each node from the `node-red`
 * section of package.json; this module is for code that embeds or inspects the palette.
 */
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

/** Every node type of the palette, in palette order. */
export const NODE_TYPES = [
  'loopgate-gateway',
  'isa95-hierarchy',
  'isa95-equipment',
  'isa95-material-lot',
  'isa95-work-order',
  'isa95-recipe-parameter',
  'ai-score',
  'loopgate-rule',
  'opcenter-out',
  'factorytalk-out',
  'aveva-out',
  'cmms-out',
  'opcua-setpoint-out',
  'writeback-outcome',
  'loopgate-kpi',
  'loopgate-kafka-in',
] as const;
