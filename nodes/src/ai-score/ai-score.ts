import { errorMessage } from '../lib/isa95-node';
import { LivenessWatch, registerHealthRoute } from '../lib/liveness';
import type { Node, NodeAPI, NodeDef, NodeStatus } from '../lib/node-red';
import { ISSUE_CODES } from '../lib/validation';
import { INFERENCE_SOURCES, normaliseInference, type InferenceOptions } from './inference';
import { inputSampleOf } from '../lib/input-samples';

export const AI_SCORE_NODE_TYPE = 'ai-score';

export interface AiScoreConfig extends InferenceOptions {
  /** Seconds without input before the node reports its source as stalled; 0 turns it off. */
  staleAfterSeconds: number;
}

/** Validates the edit dialog's values; returns the problem as text for the status and error output. */
export function parseAiScoreConfig(def: Record<string, unknown>): { config: AiScoreConfig } | { problem: string } {
  const source = def.source === undefined || def.source === '' ? 'auto' : def.source;
  if (source !== 'auto' && !(INFERENCE_SOURCES as readonly unknown[]).includes(source))
    return { problem: `unknown source ${String(source)}` };
  const scoreMin = def.scoreMin === undefined || def.scoreMin === '' ? 0 : Number(def.scoreMin);
  const scoreMax = def.scoreMax === undefined || def.scoreMax === '' ? 1 : Number(def.scoreMax);
  if (!Number.isFinite(scoreMin) || !Number.isFinite(scoreMax) || scoreMin >= scoreMax) {
    return {
      problem: `score range must be two numbers with min < max, got ${String(def.scoreMin)}..${String(def.scoreMax)}`,
    };
  }
  const staleAfterSeconds = def.staleAfter === undefined || def.staleAfter === '' ? 0 : Number(def.staleAfter);
  if (!Number.isFinite(staleAfterSeconds) || staleAfterSeconds < 0)
    return { problem: `stale-after must be 0 or more seconds, got ${String(def.staleAfter)}` };
  const modelId = typeof def.modelId === 'string' ? def.modelId.trim() : '';
  if (source === 'opcua' && modelId === '')
    return { problem: 'model id is required for OPC UA sources (OPC UA values carry none)' };
  return {
    config: {
      source: source as AiScoreConfig['source'],
      modelId: modelId || undefined,
      modelVersion:
        typeof def.modelVersion === 'string' && def.modelVersion.trim() !== '' ? def.modelVersion.trim() : undefined,
      scoreMin,
      scoreMax,
      staleAfterSeconds,
    },
  };
}

/** Registers `ai-score`: any inference message → `msg.inference`, invalid ones to output 2. */
export default function register(RED: NodeAPI): void {
  registerHealthRoute(RED);

  function AiScoreNode(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const parsed = parseAiScoreConfig(def);
    if ('problem' in parsed) this.status({ fill: 'red', shape: 'ring', text: parsed.problem.slice(0, 60) });
    let lastStatus: NodeStatus = {};
    const watch =
      'config' in parsed && parsed.config.staleAfterSeconds > 0
        ? new LivenessWatch(this, parsed.config.staleAfterSeconds * 1000, (stale) => {
            if (stale) {
              this.status({
                fill: 'yellow',
                shape: 'ring',
                text: `no input for ${parsed.config.staleAfterSeconds} s: source stalled?`,
              });
              this.warn(
                `ai-score: no input for ${parsed.config.staleAfterSeconds} s; the source (e.g. an OPC UA subscription) may have stopped`,
              );
            } else this.status(lastStatus);
          })
        : undefined;

    this.on('input', (msg, send, done) => {
      watch?.seen();
      if ('problem' in parsed) {
        msg.error = errorMessage(
          this,
          ISSUE_CODES.invalidConfig,
          [{ code: ISSUE_CODES.invalidConfig, path: '$', message: parsed.problem }],
          'ai-score: configuration',
        );
        send([null, msg]);
        done();
        return;
      }
      const result = normaliseInference(msg, parsed.config, () => new Date());
      if (!result.success) {
        msg.error = errorMessage(this, 'INVALID_INFERENCE', result.issues, 'ai-score: rejected inference');
        lastStatus = {
          fill: 'yellow',
          shape: 'ring',
          text: `rejected: ${result.issues[0].path} ${result.issues[0].message}`.slice(0, 60),
        };
        this.status(lastStatus);
        send([null, msg]);
        done();
        return;
      }
      msg.inference = result.value;
      // A score read straight from an OPC UA node is its own input: its quality and age are judged.
      const sample = result.value.source === 'opcua' && msg.inputs === undefined ? inputSampleOf(msg) : undefined;
      if (sample) msg.inputs = [sample];
      lastStatus = { fill: 'green', shape: 'dot', text: `${result.value.modelId} ${result.value.score}` };
      this.status(lastStatus);
      send([msg, null]);
      done();
    });

    this.on('close', (_removed, done) => {
      watch?.close();
      done();
    });
  }

  RED.nodes.registerType(AI_SCORE_NODE_TYPE, AiScoreNode);
}
