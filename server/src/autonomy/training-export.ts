import type { AutonomyDecisionEntity } from './persistence/entities';

/** One row of the next model's training set: what the model saw, what it proposed, what became of it. */
export interface TrainingRow {
  command_id: string;
  received_at: string;
  model_id: string;
  model_version: string | null;
  rule_set_id: string | null;
  rule_set_version: number | null;
  inference_id: string | null;
  scope_id: string | null;
  autonomy_level: string;
  target_instance: string;
  object_id: string;
  parameter: string;
  /** JSON: the facts the rule evaluation saw (from the rule decision log), when it was recorded. */
  facts_json: string | null;
  /** JSON: the proposed value and the value before the write. */
  value_json: string | null;
  prior_value_json: string | null;
  state: string;
  reason_code: string | null;
  approval: string | null;
  overridden: number;
  reverted: boolean;
  effect_verdict: string | null;
  /** JSON: before/after statistics of the KPI. */
  effect_json: string | null;
  feedback: string | null;
  feedback_note: string | null;
}

export function trainingRowOf(row: AutonomyDecisionEntity, facts: string | undefined): TrainingRow {
  return {
    command_id: row.commandId,
    received_at: row.receivedAt,
    model_id: row.modelId,
    model_version: row.modelVersion,
    rule_set_id: row.ruleSetId,
    rule_set_version: row.ruleSetVersion,
    inference_id: row.inferenceId,
    scope_id: row.scopeId || null,
    autonomy_level: row.level,
    target_instance: row.targetInstance,
    object_id: row.objectId,
    parameter: row.parameter,
    facts_json: facts ?? null,
    value_json: row.valueJson,
    prior_value_json: row.priorValueJson,
    state: row.state,
    reason_code: row.reasonCode,
    approval: row.approval,
    overridden: row.overridden,
    reverted: row.reverted > 0,
    effect_verdict: row.effectVerdict,
    effect_json: row.effectJson,
    feedback: row.feedback,
    feedback_note: row.feedbackNote,
  };
}

/** The rows as newline-delimited JSON, one object per line. */
export function toNdjson(rows: readonly TrainingRow[]): string {
  return rows.map((row) => JSON.stringify(row)).join('\n') + (rows.length ? '\n' : '');
}

const STRING_COLUMNS: (keyof TrainingRow)[] = [
  'command_id',
  'received_at',
  'model_id',
  'model_version',
  'rule_set_id',
  'inference_id',
  'scope_id',
  'autonomy_level',
  'target_instance',
  'object_id',
  'parameter',
  'facts_json',
  'value_json',
  'prior_value_json',
  'state',
  'reason_code',
  'approval',
  'effect_verdict',
  'effect_json',
  'feedback',
  'feedback_note',
];

/**
 * The rows as one Parquet file (hyparquet-writer, snappy): strings as UTF-8, versions and counts as
 * INT32, `reverted` as BOOLEAN, every column nullable; the export's filter goes into the key-value metadata.
 */
export async function toParquet(rows: readonly TrainingRow[], metadata: Record<string, string>): Promise<Buffer> {
  // hyparquet-writer is an ES module; the server is CommonJS, so it is loaded on first use.
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  const columnData = [
    ...STRING_COLUMNS.map((name) => ({
      name,
      data: rows.map((row) => row[name] as string | null),
      type: 'STRING' as const,
      nullable: true,
    })),
    { name: 'rule_set_version', data: rows.map((r) => r.rule_set_version), type: 'INT32' as const, nullable: true },
    { name: 'overridden', data: rows.map((r) => r.overridden), type: 'INT32' as const, nullable: false },
    { name: 'reverted', data: rows.map((r) => r.reverted), type: 'BOOLEAN' as const, nullable: false },
  ];
  const buffer = parquetWriteBuffer({
    columnData,
    kvMetadata: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  });
  return Buffer.from(buffer);
}
