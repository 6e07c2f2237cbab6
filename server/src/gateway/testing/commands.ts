import type { Command } from '../domain/command';

const AT = '2026-12-04T06:00:00.000Z';

/**
 * A stored command as store tests write and read it: an AI's FeedRate write to recipe R1 at the
 * Opcenter target `opc-a`, queued; `patch` changes what a case is about.
 *
 * @example storedCommand('c1', { state: 'pending-approval', requestId: 'dup' })
 */
export function storedCommand(id: string, patch: Partial<Command> = {}): Command {
  return {
    id,
    requestId: `req-${id}`,
    state: 'queued',
    target: { kind: 'opcenter', instance: 'opc-a' },
    object: { type: 'recipe-parameter', id: 'R1', equipment: { site: 'S1' } },
    action: 'set-parameter',
    parameter: 'FeedRate',
    value: 10,
    priorValue: null,
    orderingKey: 'opc-a|recipe-parameter|R1|FeedRate',
    reason: 'store test',
    notAfter: AT,
    initiator: 'ai',
    requestedBy: 'token:x',
    lineage: { inferenceId: `inf-${id}`, score: 0.93 },
    attempts: 0,
    receivedAt: AT,
    updatedAt: AT,
    ...patch,
  };
}
