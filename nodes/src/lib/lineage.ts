import { createHash } from 'node:crypto';
import type { Isa95ObjectRef, Lineage, RuleEvent, WriteBackAction } from '@loopgate/contracts';
import type { InferenceEnvelope } from '../ai-score/inference';
import type { NodeMessage } from './node-red';
import { inputSamplesOf } from './input-samples';
import { isPlainObject } from './validation';

/** `msg.rule`, set by the rule node on each fired event. */
export interface RuleFiring {
  ruleSetId: string;
  ruleSetVersion: number;
  ruleName: string;
  event: RuleEvent;
}

/** Where in the flow a request is built: the tab (flow) id and version, and the output node. */
export interface FlowPosition {
  flowId?: string;
  flowVersion?: string;
  nodeId: string;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The lineage of a write-back: which flow version and node built it, which rule version fired
 * (`msg.rule`), which inference it acts on (`msg.inference`) and the inputs it was decided on
 * (`msg.inputs`: source time and OPC UA status of each, as the rule node saw them). Absent parts stay absent.
 *
 * @example
 * buildLineage({ flowId: 'tool-wear-feed-rate', flowVersion: '3', nodeId: 'out1' }, msg)
 */
export function buildLineage(position: FlowPosition, msg: NodeMessage): Lineage {
  const lineage: Lineage = { flowId: position.flowId, flowVersion: position.flowVersion, nodeId: position.nodeId };
  const rule = isPlainObject(msg.rule) ? (msg.rule as Partial<RuleFiring>) : undefined;
  if (rule) {
    lineage.ruleSetId = str(rule.ruleSetId);
    lineage.ruleSetVersion = typeof rule.ruleSetVersion === 'number' ? rule.ruleSetVersion : undefined;
    lineage.ruleName = str(rule.ruleName);
  }
  const inference = isPlainObject(msg.inference) ? (msg.inference as Partial<InferenceEnvelope>) : undefined;
  if (inference) {
    lineage.inferenceId = str(inference.inferenceId);
    lineage.modelId = str(inference.modelId);
    lineage.modelVersion = str(inference.modelVersion);
    lineage.score =
      typeof inference.score === 'number' && Number.isFinite(inference.score) ? inference.score : undefined;
  }
  lineage.inputs = inputSamplesOf(msg.inputs);
  return Object.fromEntries(Object.entries(lineage).filter(([, v]) => v !== undefined)) as Lineage;
}

const MAX_READABLE_ID = 200;

/**
 * A request id that is the same every time the same inference reaches the same output node for
 * the same object, so a retried or replayed message never writes twice. Without an inference
 * the message id is used, which is stable only within one pass through the flow.
 *
 * @example
 * writeBackRequestId('inf-42', 'out1', { type: 'recipe-parameter', id: 'CNC_Cell_01/OP20' }, 'set-parameter', 'FeedRate')
 * // → 'inf-42:out1:set-parameter:CNC_Cell_01/OP20:FeedRate'
 */
export function writeBackRequestId(
  origin: string,
  nodeId: string,
  object: Isa95ObjectRef,
  action: WriteBackAction,
  parameter?: string,
): string {
  const readable = [origin, nodeId, action, object.id, parameter].filter((p) => p !== undefined && p !== '').join(':');
  if (readable.length <= MAX_READABLE_ID) return readable;
  return `sha256:${createHash('sha256')
    .update(JSON.stringify([origin, nodeId, action, object.type, object.id, parameter ?? '']))
    .digest('hex')}`;
}
