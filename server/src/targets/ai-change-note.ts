import type { WriteOrigin } from './adapter';

/**
 * Seed `000_*`: "Any AI-initiated parameter change must be visually flagged on the HMI." Where a
 * MES shows a comment or reason next to a value (AVEVA's historised write comment, ProductionCentre's
 * change comment, Opcenter's transaction reason), an AI write carries this note in front of its
 * reason, naming the model and the command; a person's write carries the reason alone, so the
 * value's latest comment no longer flags it.
 *
 * @example
 * withAiChangeNote('tool wear compensation', { initiator: 'ai', modelId: 'tool-wear', modelVersion: '3.1', commandId: 'c-1' })
 * // 'AI-changed (tool-wear 3.1, command c-1): tool wear compensation'
 */
export function withAiChangeNote(reason: string, origin: WriteOrigin | undefined): string {
  if (origin?.initiator !== 'ai') return reason;
  const model = [origin.modelId ?? 'AI model', origin.modelVersion].filter(Boolean).join(' ');
  return `AI-changed (${model}, command ${origin.commandId}): ${reason}`;
}
