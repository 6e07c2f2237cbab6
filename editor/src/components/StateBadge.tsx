import type { AuditOutcome, CommandState } from '@loopgate/contracts';

const LABELS: Record<string, string> = {
  'pending-approval': 'Pending approval',
  pending: 'Pending',
  queued: 'Queued',
  dispatching: 'Dispatching',
  reconciling: 'Reconciling',
  applied: 'Applied',
  accepted: 'Accepted',
  approved: 'Approved',
  shadow: 'Shadow (not written)',
  rejected: 'Rejected',
  failed: 'Failed',
  expired: 'Expired',
  reverted: 'Reverted',
  'revert-applied': 'Revert applied',
  overridden: 'Overridden',
  security: 'Security',
  'sign-in': 'Sign-in',
  'sign-out': 'Sign-out',
  published: 'Published',
};

/** Routine security records (a person signing in or out) are not alarms: they get their own quiet badge. */
export function auditBadgeState(record: { outcome: string; action?: string }): string {
  if (record.outcome !== 'security') return record.outcome;
  if (record.action === 'login') return 'sign-in';
  if (record.action === 'logout') return 'sign-out';
  return record.outcome;
}

/** The colour family of a state, shared by badges, rows and graph nodes. */
export function stateTone(state: string): 'pending' | 'active' | 'ok' | 'bad' | 'muted' | 'revert' | 'shadow' {
  switch (state) {
    case 'pending-approval':
    case 'pending':
      return 'pending';
    case 'queued':
    case 'dispatching':
    case 'reconciling':
      return 'active';
    case 'applied':
    case 'accepted':
    case 'approved':
    case 'published':
      return 'ok';
    case 'rejected':
    case 'failed':
    case 'security':
      return 'bad';
    case 'reverted':
    case 'revert-applied':
    case 'overridden':
      return 'revert';
    case 'shadow':
      return 'shadow';
    default:
      return 'muted';
  }
}

export function StateBadge({ state }: { state: CommandState | AuditOutcome | string }) {
  return (
    <span className={`badge tone-${stateTone(state)}`} data-state={state}>
      {LABELS[state] ?? state}
    </span>
  );
}

/** The conspicuous flag on every AI-initiated change (the seed: “visually flagged on the HMI”). */
export function AiFlag() {
  return (
    <span className="ai-flag" title="Initiated by an AI model">
      <span aria-hidden="true">◆</span> AI
    </span>
  );
}
