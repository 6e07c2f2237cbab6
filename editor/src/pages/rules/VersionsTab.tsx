import type { RuleSetFile, RuleSetVersion } from '@loopgate/contracts';
import { useState } from 'react';
import { gateway } from '../../api/endpoints';
import { can, getSession } from '../../api/session';
import { Notice, Time } from '../../components/Notice';
import { SignatureDialog } from '../../components/SignatureDialog';
import { StateBadge } from '../../components/StateBadge';
import { ruleSetChanges } from '../../graph';
import { ReplayReport } from './ReplayReport';

interface VersionsTabProps {
  ruleSetId: string;
  versions: RuleSetVersion[];
  error?: string;
  onChanged: () => void;
  onCompare: (from: number, to: number) => void;
}

const STATUS: Record<RuleSetVersion['status'], string> = {
  'pending-approval': 'pending-approval',
  published: 'published',
  rejected: 'rejected',
};

/** Versions of the rule set; a pending one is reviewed (diff, replay) and signed by a second engineer. */
export function VersionsTab({ ruleSetId, versions, error, onChanged, onCompare }: VersionsTabProps) {
  const sorted = [...versions].sort((a, b) => b.version - a.version);
  const [reviewing, setReviewing] = useState<number | undefined>(
    sorted.find((v) => v.status === 'pending-approval')?.version,
  );
  const [signing, setSigning] = useState<'approved' | 'rejected'>();
  const [message, setMessage] = useState<string>();
  const user = getSession()?.user;
  const review = sorted.find((v) => v.version === reviewing);
  const published = sorted.find((v) => v.status === 'published' && v.version !== reviewing);
  const ownVersion = review && user && review.author === user.username;

  return (
    <div className="versions-tab">
      {error && <Notice tone="error">Could not load versions: {error}</Notice>}
      {message && <Notice tone="ok">{message}</Notice>}
      <table className="table versions-table">
        <caption className="sr-only">Versions, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Status</th>
            <th scope="col">Author</th>
            <th scope="col">Created</th>
            <th scope="col">Approved by</th>
            <th scope="col">Checksum</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((v) => (
            <tr
              key={v.version}
              data-version={v.version}
              className={v.version === reviewing ? 'row-selected' : undefined}
            >
              <td>v{v.version}</td>
              <td>
                <StateBadge state={STATUS[v.status]} />
              </td>
              <td>{v.author}</td>
              <td>
                <Time iso={v.createdAt} />
              </td>
              <td>{v.approvedBy ?? '—'}</td>
              <td className="mono small" title={v.checksum}>
                {v.checksum.slice(0, 12)}
              </td>
              <td className="actions">
                {v.status === 'pending-approval' && (
                  <button
                    type="button"
                    className="button button-small button-primary"
                    onClick={() => setReviewing(v.version)}
                  >
                    Review
                  </button>
                )}
                {sorted.some((p) => p.version < v.version) && (
                  <button
                    type="button"
                    className="button button-small button-ghost"
                    onClick={() =>
                      onCompare(
                        Math.max(...sorted.filter((p) => p.version < v.version).map((p) => p.version)),
                        v.version,
                      )
                    }
                  >
                    Diff with previous
                  </button>
                )}
              </td>
            </tr>
          ))}
          {sorted.length === 0 && (
            <tr>
              <td colSpan={7} className="empty">
                No versions yet. Submit the draft to create version 1.
              </td>
            </tr>
          )}
        </tbody>
      </table>

      {review && review.status === 'pending-approval' && (
        <section className="panel review-panel" aria-labelledby="review-title">
          <header className="panel-header">
            <h2 id="review-title">Review v{review.version} before publishing</h2>
            <span className="muted">
              by {review.author}, <Time iso={review.createdAt} />
            </span>
          </header>
          {review.comment ? (
            <p className="change-description" data-testid="change-description">
              <span className="muted small">Change described by {review.author}:</span> {review.comment}
            </p>
          ) : (
            <p className="muted small">No change description was given.</p>
          )}
          <ChangeSummary before={published?.content} after={review.content} />
          {ownVersion ? (
            <Notice tone="warn">
              You submitted this version: a second engineer must approve it (two-person rule).
            </Notice>
          ) : !can(user, 'approveRules') ? (
            <Notice tone="info">Only an engineer or administrator can approve a rule set version.</Notice>
          ) : (
            <div className="form-actions">
              <button type="button" className="button button-danger" onClick={() => setSigning('rejected')}>
                Reject…
              </button>
              <button type="button" className="button button-primary" onClick={() => setSigning('approved')}>
                Approve and publish…
              </button>
            </div>
          )}
          <ReplayReport ruleSetId={ruleSetId} request={{ version: review.version }} />
        </section>
      )}

      <SignatureDialog
        key={signing}
        open={signing !== undefined && review !== undefined}
        title={`Sign rule set ${ruleSetId} v${review?.version ?? ''}`}
        defaultMeaning={signing}
        onClose={() => setSigning(undefined)}
        onSign={async (signature) => {
          if (!review) return;
          const result =
            signature.meaning === 'approved'
              ? await gateway.approveVersion(ruleSetId, review.version, signature)
              : await gateway.rejectVersion(ruleSetId, review.version, signature);
          setMessage(
            `v${review.version} ${result?.status === 'published' || signature.meaning === 'approved' ? 'approved and published' : 'rejected'}.`,
          );
          setReviewing(undefined);
          onChanged();
          window.dispatchEvent(new Event('loopgate:rulesets-changed'));
        }}
      >
        <p>Publishing makes v{review?.version} the version every rule node and the gateway evaluate in production.</p>
      </SignatureDialog>
    </div>
  );
}

function ChangeSummary({ before, after }: { before: RuleSetFile | undefined; after: RuleSetFile }) {
  if (!before)
    return (
      <p className="muted">
        First published version of this rule set: {after.rules.length} rule(s), {after.facts.length} fact(s).
      </p>
    );
  const diff = ruleSetChanges(before, after);
  return (
    <p>
      Against the published version: <span className="change-text-added">+{diff.conditions.added}</span> /{' '}
      <span className="change-text-removed">−{diff.conditions.removed}</span> /{' '}
      <span className="change-text-changed">~{diff.conditions.changed}</span> conditions; rules{' '}
      {diff.rules.filter((r) => r.status === 'added').length} added,{' '}
      {diff.rules.filter((r) => r.status === 'removed').length} removed,{' '}
      {diff.rules.filter((r) => r.status === 'changed').length} changed.
    </p>
  );
}
