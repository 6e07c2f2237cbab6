import { hasPermission, type FlowNodeChange, type FlowVersion } from '@loopgate/contracts';
import { useState } from 'react';
import { errorText } from '../../api/client';
import { useResource } from '../../api/hooks';
import { getSession } from '../../api/session';
import { DialogActions, Modal } from '../../components/Modal';
import { ErrorText, Notice, Time } from '../../components/Notice';
import { SignatureDialog } from '../../components/SignatureDialog';
import { StateBadge } from '../../components/StateBadge';
import { flowVersions, nodeLabel } from './flows-api';

const loadVersions = () => flowVersions.list();

const SOURCE: Record<FlowVersion['source'], string> = {
  editor: 'editor',
  cli: 'CLI',
  start: 'first start',
  rollback: 'rollback',
};

/**
 * Flow versions under the two-person rule: a deploy from the flow editor or the CLI waits here
 * with its node-level diff until a second engineer signs it; any published version can be put
 * live again in one action.
 */
export function FlowsPage() {
  const resource = useResource(loadVersions, { refreshMs: 5000 });
  const versions = resource.data?.versions ?? [];
  const user = getSession()?.user;
  const mayDeploy = !!user && hasPermission({ kind: 'user', roles: user.roles }, 'flows:deploy');
  const pending = versions.filter((v) => v.status === 'pending-approval');
  const live = versions.find((v) => v.live);
  const [selected, setSelected] = useState<number>();
  const review = versions.find((v) => v.version === selected) ?? pending[0];
  const [signing, setSigning] = useState<'approved' | 'rejected'>();
  const [rollingBack, setRollingBack] = useState<FlowVersion>();
  const [message, setMessage] = useState<string>();

  return (
    <div className="page page-flows">
      <div className="page-title-row">
        <h1>Flows</h1>
        <span className="muted">
          {pending.length} pending · {live ? `v${live.version} runs` : 'nothing published yet'} ·{' '}
          {resource.data?.changeControl === false ? 'change control is off for this site' : 'two-person rule'}
        </span>
        <a className="button button-ghost flows-editor-link" href="/red/" target="_blank" rel="noopener">
          Open the flow editor
        </a>
      </div>
      {resource.error && <Notice tone="error">Could not load flow versions: {resource.error}</Notice>}
      {message && <Notice tone="ok">{message}</Notice>}

      {review && (
        <ReviewPanel
          version={review}
          live={live}
          mayDeploy={mayDeploy}
          own={review.author === user?.username}
          onSign={setSigning}
        />
      )}
      {!review && !resource.loading && !resource.error && (
        <p className="muted">No flow version waits for a signature. A deploy from the flow editor appears here.</p>
      )}

      <section className="panel" aria-labelledby="flow-versions-title">
        <header className="panel-header">
          <h2 id="flow-versions-title">Versions</h2>
          <span className="muted">newest first</span>
        </header>
        <table className="table compact flow-versions-table">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Status</th>
              <th scope="col">Author</th>
              <th scope="col">Created</th>
              <th scope="col">Signed by</th>
              <th scope="col">Nodes</th>
              <th scope="col">Changes</th>
              <th scope="col">Checksum</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => (
              <tr
                key={v.version}
                data-version={v.version}
                className={v.version === review?.version ? 'row-selected' : undefined}
              >
                <td>
                  v{v.version}
                  {v.live && <span className="badge tone-ok flow-live">live</span>}
                  <div className="muted small">
                    {SOURCE[v.source]}
                    {v.rollbackOf ? ` of v${v.rollbackOf}` : ''}
                  </div>
                </td>
                <td>
                  <StateBadge state={v.status} />
                </td>
                <td>{v.author}</td>
                <td>
                  <Time iso={v.createdAt} />
                </td>
                <td>{v.decidedBy ?? '—'}</td>
                <td>{v.nodeCount}</td>
                <td className="nowrap">
                  <ChangeCounts version={v} />
                </td>
                <td className="mono small" title={v.checksum}>
                  {v.checksum.slice(0, 10)}
                </td>
                <td>
                  <div className="flow-row-actions">
                    <button
                      type="button"
                      className="button button-small button-ghost"
                      onClick={() => setSelected(v.version)}
                    >
                      {v.status === 'pending-approval' ? 'Review' : 'Diff'}
                    </button>
                    {mayDeploy && v.status === 'published' && !v.live && (
                      <button type="button" className="button button-small" onClick={() => setRollingBack(v)}>
                        Roll back to v{v.version}…
                      </button>
                    )}
                  </div>
                </td>
              </tr>
            ))}
            {versions.length === 0 && !resource.loading && (
              <tr>
                <td colSpan={9} className="empty">
                  No flow versions yet.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </section>

      <SignatureDialog
        key={signing}
        open={signing !== undefined && review !== undefined}
        title={`Sign flow version v${review?.version ?? ''}`}
        defaultMeaning={signing}
        onClose={() => setSigning(undefined)}
        onSign={async (signature) => {
          if (!review) return;
          const result =
            signature.meaning === 'approved'
              ? await flowVersions.approve(review.version, signature)
              : await flowVersions.reject(review.version, signature);
          setMessage(
            result.status === 'published'
              ? `v${result.version} approved: Node-RED runs it now.`
              : `v${result.version} rejected: what runs is unchanged.`,
          );
          setSelected(undefined);
          resource.reload();
        }}
      >
        <p>
          Approving deploys v{review?.version} by {review?.author} to Node-RED: {review ? changeSentence(review) : ''}
        </p>
      </SignatureDialog>

      <RollbackDialog
        version={rollingBack}
        live={live}
        onClose={() => setRollingBack(undefined)}
        onDone={(result) => {
          setMessage(`v${result.version} runs now: the flows of v${result.rollbackOf ?? ''} again.`);
          setRollingBack(undefined);
          resource.reload();
        }}
      />
    </div>
  );
}

function changeSentence(v: FlowVersion): string {
  const { added, removed, changed } = v.diff;
  return `${added.length} node(s) added, ${removed.length} removed, ${changed.length} changed against ${
    v.diff.against ? `v${v.diff.against}` : 'nothing (first version)'
  }.`;
}

function ChangeCounts({ version }: { version: FlowVersion }) {
  const { added, removed, changed } = version.diff;
  return (
    <span aria-label={changeSentence(version)}>
      <span className="change-text-added">+{added.length}</span>{' '}
      <span className="change-text-removed">−{removed.length}</span>{' '}
      <span className="change-text-changed">~{changed.length}</span>
    </span>
  );
}

function ReviewPanel({
  version: v,
  live,
  mayDeploy,
  own,
  onSign,
}: {
  version: FlowVersion;
  live: FlowVersion | undefined;
  mayDeploy: boolean;
  own: boolean;
  onSign: (meaning: 'approved' | 'rejected') => void;
}) {
  const pending = v.status === 'pending-approval';
  return (
    <section className="panel review-panel flow-review" aria-labelledby="flow-review-title">
      <header className="panel-header">
        <h2 id="flow-review-title">
          {pending ? `Review v${v.version} before it runs` : `v${v.version}: what it changed`}
        </h2>
        <span className="muted">
          by {v.author} from the {SOURCE[v.source]}, <Time iso={v.createdAt} />
        </span>
      </header>
      {v.comment ? (
        <p className="change-description">
          <span className="muted small">Change described by {v.author}:</span> {v.comment}
        </p>
      ) : (
        <p className="muted small">No change description was given.</p>
      )}
      <p>
        Against {v.diff.against ? `v${v.diff.against}` : 'nothing (first version)'}
        {pending && live && v.diff.against !== live.version ? ` (v${live.version} runs now)` : ''}:{' '}
        <ChangeCounts version={v} /> · checksum <span className="mono small">{v.checksum.slice(0, 16)}</span>
      </p>
      <div className="flow-diff" data-testid="flow-diff">
        <NodeList title="Added" tone="added" nodes={v.diff.added} />
        <NodeList title="Removed" tone="removed" nodes={v.diff.removed} />
        <NodeList title="Changed" tone="changed" nodes={v.diff.changed} />
      </div>
      {pending &&
        (own ? (
          <Notice tone="warn">You deployed this version: a second engineer must sign it (two-person rule).</Notice>
        ) : !mayDeploy ? (
          <Notice tone="info">Only an engineer or administrator can approve a flow version.</Notice>
        ) : (
          <div className="form-actions">
            <button type="button" className="button button-danger" onClick={() => onSign('rejected')}>
              Reject…
            </button>
            <button type="button" className="button button-primary" onClick={() => onSign('approved')}>
              Approve and deploy…
            </button>
          </div>
        ))}
    </section>
  );
}

function NodeList({ title, tone, nodes }: { title: string; tone: string; nodes: FlowNodeChange[] }) {
  return (
    <div className={`flow-diff-list flow-diff-${tone}`}>
      <h3 className={`change-text-${tone}`}>
        {title} ({nodes.length})
      </h3>
      {nodes.length === 0 ? (
        <p className="muted small">none</p>
      ) : (
        <ul>
          {nodes.map((n) => (
            <li key={n.id}>
              {nodeLabel(n)}{' '}
              <span className="muted small mono">
                {n.id}
                {n.z ? ` on ${n.z}` : ''}
              </span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function RollbackDialog({
  version,
  live,
  onClose,
  onDone,
}: {
  version: FlowVersion | undefined;
  live: FlowVersion | undefined;
  onClose: () => void;
  onDone: (result: FlowVersion) => void;
}) {
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const close = () => {
    setComment('');
    setError(undefined);
    onClose();
  };
  return (
    <Modal
      open={version !== undefined}
      title={`Roll back to v${version?.version ?? ''}`}
      onClose={close}
      role="alertdialog"
    >
      <form
        className="form"
        onSubmit={async (event) => {
          event.preventDefault();
          if (!version) return;
          setBusy(true);
          setError(undefined);
          try {
            onDone(await flowVersions.rollback(version.version, comment.trim() || undefined));
            setComment('');
          } catch (e) {
            setError(errorText(e));
          } finally {
            setBusy(false);
          }
        }}
      >
        <p>
          Node-RED will run the flows of v{version?.version} (signed by {version?.decidedBy ?? version?.author}) again
          {live ? `, instead of v${live.version}` : ''}. The rollback is recorded as a new version in the audit trail.
        </p>
        <label htmlFor="flow-rollback-comment">Reason (optional)</label>
        <textarea id="flow-rollback-comment" rows={2} value={comment} onChange={(e) => setComment(e.target.value)} />
        <ErrorText error={error} />
        <DialogActions onCancel={close}>
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Rolling back…' : `Roll back to v${version?.version ?? ''}`}
          </button>
        </DialogActions>
      </form>
    </Modal>
  );
}
