import type { CommandState, WriteBackOutcome, WriteBackQuery } from '@loopgate/contracts';

/** What an operator narrows the live list to. Empty fields match everything. */
export interface OutcomeFilter {
  site: string;
  line: string;
  equipment: string;
  target: string;
  state: 'all' | 'open' | 'applied' | 'refused';
  aiOnly: boolean;
}

export const NO_FILTER: OutcomeFilter = { site: '', line: '', equipment: '', target: '', state: 'all', aiOnly: false };

const OPEN: readonly CommandState[] = ['pending-approval', 'queued', 'dispatching', 'reconciling', 'quarantined'];
const REFUSED: readonly CommandState[] = ['rejected', 'failed', 'expired'];

export const siteOf = (o: WriteBackOutcome) => o.object.equipment?.site ?? '';
/** A production line is an ISA-95 work center. */
export const lineOf = (o: WriteBackOutcome) => o.object.equipment?.workCenter ?? '';
export const equipmentOf = (o: WriteBackOutcome) =>
  o.object.type === 'equipment' ? o.object.id : (o.object.equipment?.workUnit ?? '');

export function matchesFilter(o: WriteBackOutcome, filter: OutcomeFilter): boolean {
  if (filter.site && siteOf(o) !== filter.site) return false;
  if (filter.line && lineOf(o) !== filter.line) return false;
  if (filter.equipment && equipmentOf(o) !== filter.equipment) return false;
  if (filter.target && o.target.instance !== filter.target) return false;
  if (filter.aiOnly && o.initiator !== 'ai') return false;
  if (filter.state === 'open' && !OPEN.includes(o.state)) return false;
  if (filter.state === 'applied' && o.state !== 'applied') return false;
  if (filter.state === 'refused' && !REFUSED.includes(o.state)) return false;
  return true;
}

/** What of a filter the server answers (`GET /writebacks`); site, line and equipment are narrowed here. */
export function serverQuery(filter: OutcomeFilter): WriteBackQuery {
  const states = filter.state === 'open' ? OPEN : filter.state === 'refused' ? REFUSED : undefined;
  return {
    ...(filter.target ? { target: filter.target } : {}),
    ...(filter.state === 'applied' ? { state: 'applied' as const } : {}),
    ...(states ? { states: states.join(',') } : {}),
    ...(filter.aiOnly ? { initiator: 'ai' as const } : {}),
  };
}

/** The values seen so far for each filter, sorted, for the filter menus. */
export function facets(outcomes: WriteBackOutcome[]): {
  sites: string[];
  lines: string[];
  equipment: string[];
  targets: string[];
} {
  const collect = (pick: (o: WriteBackOutcome) => string) => [...new Set(outcomes.map(pick).filter(Boolean))].sort();
  return {
    sites: collect(siteOf),
    lines: collect(lineOf),
    equipment: collect(equipmentOf),
    targets: collect((o) => o.target.instance),
  };
}

/**
 * An applied parameter change can be reverted once: not when a revert of it is under way or done.
 * A revert that was applied (state `reverted`) can itself be reverted, putting the change back.
 */
export function canRevert(o: WriteBackOutcome, all: WriteBackOutcome[]): boolean {
  if (
    (o.state !== 'applied' && o.state !== 'reverted') ||
    o.action !== 'set-parameter' ||
    o.priorValue === undefined ||
    o.revertedBy
  )
    return false;
  return !all.some(
    (r) => r.revertOf === o.commandId && r.state !== 'failed' && r.state !== 'rejected' && r.state !== 'expired',
  );
}
