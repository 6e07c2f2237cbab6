import type { ValidationResult } from '@loopgate/contracts';
import type { NodeMessage } from '../lib/node-red';
import { isDate, ISSUE_CODES, IssueList, isPlainObject, isoTime, num, text } from '../lib/validation';

/** Where an inference came from; detected from the message unless configured. */
export const INFERENCE_SOURCES = ['opcua', 'mqtt', 'kafka', 'http', 'message'] as const;
export type InferenceSource = (typeof INFERENCE_SOURCES)[number];

/**
 * `msg.inference`: one AI result, whatever transport brought it. Output nodes put
 * `inferenceId`, `modelId`, `modelVersion` and `score` into the write-back's lineage.
 */
export interface InferenceEnvelope {
  inferenceId: string;
  modelId: string;
  modelVersion: string;
  score: number;
  label?: string;
  /** ISO 8601 UTC time of the inference (or of its receipt when the source carries none). */
  timestamp: string;
  features: Record<string, unknown>;
  source: InferenceSource;
}

export interface InferenceOptions {
  /** `auto` detects the source from the message. */
  source: InferenceSource | 'auto';
  /** Used when the message carries no model id (OPC UA values never do). */
  modelId?: string;
  modelVersion?: string;
  scoreMin: number;
  scoreMax: number;
}

/** Field names accepted for each envelope field, first match wins. */
const ALIASES = {
  inferenceId: ['inferenceId', 'inference_id', 'id'],
  modelId: ['modelId', 'model_id', 'model'],
  modelVersion: ['modelVersion', 'model_version', 'version'],
  score: ['score', 'probability', 'confidence'],
  label: ['label', 'class', 'prediction'],
  timestamp: ['timestamp', 'ts', 'time'],
  features: ['features', 'inputs'],
} as const;

function pick(body: Record<string, unknown>, names: readonly string[]): unknown {
  for (const name of names) if (body[name] !== undefined && body[name] !== null) return body[name];
  return undefined;
}

/** Detects the transport from what Node-RED's input nodes put on the message. */
export function detectSource(msg: NodeMessage): InferenceSource {
  if (isPlainObject(msg.kafka)) return 'kafka';
  if (msg.req !== undefined && msg.res !== undefined) return 'http';
  if (msg.statusCode !== undefined && (msg.sourceTimestamp !== undefined || msg.serverTimestamp !== undefined))
    return 'opcua';
  if (typeof msg.topic === 'string' && (msg.qos !== undefined || msg.retain !== undefined)) return 'mqtt';
  return 'message';
}

function bodyOf(payload: unknown): unknown {
  if (Buffer.isBuffer(payload)) payload = payload.toString('utf8');
  if (typeof payload === 'string') {
    const trimmed = payload.trim();
    if (trimmed.startsWith('{')) {
      try {
        return JSON.parse(trimmed) as unknown;
      } catch {
        return payload;
      }
    }
  }
  return payload;
}

function opcuaTime(msg: NodeMessage): unknown {
  return msg.sourceTimestamp ?? msg.serverTimestamp;
}

/**
 * Normalises one inference into the envelope, or lists what is wrong with it: missing ids,
 * NaN or out-of-range scores, malformed times or features are rejected, never guessed.
 *
 * @example
 * normaliseInference({ payload: { inferenceId: 'i-1', modelId: 'tool-wear', modelVersion: '3', score: 0.91 } },
 *   { source: 'auto', scoreMin: 0, scoreMax: 1 }, () => new Date())
 */
export function normaliseInference(
  msg: NodeMessage,
  options: InferenceOptions,
  now: () => Date,
): ValidationResult<InferenceEnvelope> {
  const issues = new IssueList();
  const source = options.source === 'auto' ? detectSource(msg) : options.source;
  const body = bodyOf(msg.payload);

  let raw: Record<string, unknown>;
  if (isPlainObject(body)) {
    raw = Object.fromEntries(Object.entries(ALIASES).map(([field, names]) => [field, pick(body, names)]));
  } else if (source === 'opcua' || typeof body === 'number' || typeof body === 'string') {
    // A bare value is the score; OPC UA identifies it by node id and source time.
    const time = opcuaTime(msg);
    const ms = isDate(time)
      ? time.getTime()
      : typeof time === 'number'
        ? time
        : typeof time === 'string'
          ? Date.parse(time)
          : undefined;
    raw = {
      score: body,
      timestamp: time,
      inferenceId:
        typeof msg.topic === 'string' && msg.topic !== '' && ms !== undefined && Number.isFinite(ms)
          ? `${msg.topic}@${ms}`
          : undefined,
      features: typeof msg.topic === 'string' ? { nodeId: msg.topic } : {},
    };
  } else {
    issues.add(
      ISSUE_CODES.typeMismatch,
      '$.payload',
      `must be an inference object or a score, got ${body === null ? 'null' : Array.isArray(body) ? 'an array' : typeof body}`,
    );
    return { success: false, issues: issues.issues };
  }

  if (raw.timestamp === undefined && source === 'opcua') raw.timestamp = opcuaTime(msg);
  if (raw.timestamp === undefined && isPlainObject(msg.kafka)) raw.timestamp = msg.kafka.timestamp;

  const inferenceId = text(issues, raw.inferenceId, '$.inferenceId', true);
  const modelId = text(issues, raw.modelId ?? (options.modelId || undefined), '$.modelId', true);
  const modelVersion = text(
    issues,
    raw.modelVersion ?? (options.modelVersion || undefined),
    '$.modelVersion',
    true,
    64,
  );
  const score = num(issues, raw.score, '$.score', true, { min: options.scoreMin, max: options.scoreMax });
  const label = text(issues, raw.label, '$.label', false, 128);
  const timestamp =
    raw.timestamp === undefined ? now().toISOString() : isoTime(issues, kafkaTime(raw.timestamp), '$.timestamp', true);
  let features: Record<string, unknown> = {};
  if (raw.features !== undefined) {
    if (isPlainObject(raw.features)) features = raw.features;
    else issues.add(ISSUE_CODES.typeMismatch, '$.features', 'must be an object of feature name → value');
  }
  if (!issues.empty) return { success: false, issues: issues.issues };
  return {
    success: true,
    value: {
      inferenceId: inferenceId!,
      modelId: modelId!,
      modelVersion: modelVersion!,
      score: score!,
      label,
      timestamp: timestamp!,
      features,
      source,
    },
  };
}

/** Kafka carries epoch milliseconds as text. */
function kafkaTime(value: unknown): unknown {
  return typeof value === 'string' && /^\d{10,}$/.test(value) ? Number(value) : value;
}
