import type { RuleEvent } from '@loopgate/contracts';
import { canonicalJson } from '@loopgate/rules';

/** A write-back event names the action it asks the gateway for. */
export function isWriteBack(event: RuleEvent): boolean {
  return typeof event.params?.action === 'string';
}

/**
 * The write-backs one side requested that the other did not, counted as multisets (two equal
 * requests on one side and one on the other leave one difference). Key order does not matter.
 *
 * @example
 * writeBackDifference([setFeed1100], [setFeed1200]) // { onlyCandidate: [setFeed1100], onlyLive: [setFeed1200] }
 */
export function writeBackDifference(
  candidate: readonly RuleEvent[],
  live: readonly RuleEvent[],
): { onlyCandidate: RuleEvent[]; onlyLive: RuleEvent[] } {
  const key = (e: RuleEvent) => JSON.stringify(canonicalJson(e));
  const remaining = new Map<string, number>();
  for (const event of live.filter(isWriteBack)) remaining.set(key(event), (remaining.get(key(event)) ?? 0) + 1);
  const onlyCandidate: RuleEvent[] = [];
  for (const event of candidate.filter(isWriteBack)) {
    const k = key(event);
    const left = remaining.get(k) ?? 0;
    if (left > 0) remaining.set(k, left - 1);
    else onlyCandidate.push(event);
  }
  const onlyLive: RuleEvent[] = [];
  for (const event of live.filter(isWriteBack)) {
    const k = key(event);
    const left = remaining.get(k) ?? 0;
    if (left > 0) {
      onlyLive.push(event);
      remaining.set(k, left - 1);
    }
  }
  return { onlyCandidate, onlyLive };
}
