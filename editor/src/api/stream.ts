import type {
  CommandState,
  ControlState,
  DecisionRecord,
  OutcomeStreamMessage,
  TargetStatus,
  WriteBackOutcome,
} from '@loopgate/contracts';

/**
 * Reads one server-sent event of the outcome stream. Accepts the typed envelope of the contracts
 * and, for robustness, a bare outcome, decision, control state or target status. Unknown messages
 * (heartbeats) give undefined.
 *
 * @example parseStreamMessage('{"type":"control","control":{"stopped":true}}') // { type: 'control', … }
 */
export function parseStreamMessage(data: string): OutcomeStreamMessage | undefined {
  let body: unknown;
  try {
    body = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (!body || typeof body !== 'object') return undefined;
  const message = body as Record<string, unknown>;
  const type = message.type;
  if (type === 'outcome') return isOutcome(message.outcome) ? (message as unknown as OutcomeStreamMessage) : undefined;
  if (type === 'ruleset') {
    const ruleSet = message.ruleSet as Record<string, unknown> | undefined;
    return ruleSet && typeof ruleSet.ruleSetId === 'string' && typeof ruleSet.version === 'number'
      ? (message as unknown as OutcomeStreamMessage)
      : undefined;
  }
  if (
    (type === 'decision' || type === 'control' || type === 'target') &&
    message[type] &&
    typeof message[type] === 'object'
  ) {
    return message as unknown as OutcomeStreamMessage;
  }
  if (isOutcome(message)) return { type: 'outcome', outcome: message as unknown as WriteBackOutcome };
  if (typeof message.ruleSetId === 'string' && Array.isArray(message.firedEvents))
    return { type: 'decision', decision: message as unknown as DecisionRecord };
  if (typeof message.stopped === 'boolean') return { type: 'control', control: message as unknown as ControlState };
  if (typeof message.instance === 'string' && typeof message.paused === 'boolean')
    return { type: 'target', target: message as unknown as TargetStatus };
  return undefined;
}

/** Whether a response body is a command outcome (gateway answers are checked before they are shown). */
export function isOutcome(value: unknown): value is WriteBackOutcome {
  const o = value as Partial<WriteBackOutcome> | null;
  return (
    !!o && typeof o.commandId === 'string' && typeof o.state === 'string' && !!o.target && !!o.object && !!o.timings
  );
}

/** Keeps the newest state of each command, newest command first, at most `limit`. */
export function mergeOutcome(list: WriteBackOutcome[], outcome: WriteBackOutcome, limit = 500): WriteBackOutcome[] {
  const rest = list.filter((o) => o.commandId !== outcome.commandId);
  const existing = list.find((o) => o.commandId === outcome.commandId);
  if (existing && isOlder(outcome, existing)) return list;
  const next = [outcome, ...rest];
  next.sort((a, b) => Date.parse(b.timings.receivedAt) - Date.parse(a.timings.receivedAt));
  return next.slice(0, limit);
}

const RANK: Record<CommandState, number> = {
  'pending-approval': 0,
  queued: 1,
  dispatching: 2,
  // Either way round: a reconciled write that did not land is written again.
  reconciling: 2,
  // Released by an operator it is queued again, and dispatching (2) follows at once.
  quarantined: 2,
  applied: 3,
  shadow: 3,
  rejected: 3,
  failed: 3,
  expired: 3,
  reverted: 4,
};

/** A state change that arrives late (a reconnect replays) must not move a command back in its life. */
function isOlder(incoming: WriteBackOutcome, existing: WriteBackOutcome): boolean {
  return RANK[incoming.state] < RANK[existing.state];
}
