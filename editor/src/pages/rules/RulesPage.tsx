import type { RuleSetSummary } from '@loopgate/contracts';
import { useEffect, useState, type FormEvent } from 'react';
import { gateway } from '../../api/endpoints';
import { useResource } from '../../api/hooks';
import { can, getSession } from '../../api/session';
import { awaitingReview } from '../../components/AppShell';
import { DialogActions, Modal } from '../../components/Modal';
import { ErrorText, Notice, Time } from '../../components/Notice';
import { followLink, navigate } from '../../router';
import { loadDraft, localDraftIds, newRuleSet, saveDraft } from './draft';
import { RuleSetWorkspace } from './RuleSetWorkspace';

const loadRuleSets = () => gateway.ruleSets();

/** Rule sets and their versions (left), the selected rule set's workspace (right). */
export function RulesPage({ ruleSetId }: { ruleSetId: string | undefined }) {
  const ruleSets = useResource(loadRuleSets, { refreshMs: 10_000 });
  const [creating, setCreating] = useState(false);
  const [drafts, setDrafts] = useState(localDraftIds);
  const user = getSession()?.user;
  useEffect(() => {
    const refresh = () => {
      ruleSets.reload();
      setDrafts(localDraftIds());
    };
    window.addEventListener('loopgate:rulesets-changed', refresh);
    return () => window.removeEventListener('loopgate:rulesets-changed', refresh);
  }, [ruleSets.reload]);
  useEffect(() => setDrafts(localDraftIds()), [ruleSetId]);

  const server = ruleSets.data ?? [];
  const localOnly = drafts
    .filter((id) => !server.some((r) => r.id === id))
    .map((id): RuleSetSummary => ({ id, name: loadDraft(id)?.content.name ?? id }));
  const list = [...server, ...localOnly].sort((a, b) => a.name.localeCompare(b.name));

  return (
    <div className="page page-rules">
      <aside className="rules-sidebar" aria-label="Rule sets">
        <div className="sidebar-header">
          <h2>Rule sets</h2>
          {can(user, 'editRules') && (
            <button type="button" className="button button-small button-primary" onClick={() => setCreating(true)}>
              + New
            </button>
          )}
        </div>
        {ruleSets.error && <Notice tone="error">{ruleSets.error}</Notice>}
        {can(user, 'approveRules') && <ReviewInbox ruleSets={server} username={user?.username} />}
        <ul className="ruleset-list">
          {list.map((r) => (
            <li key={r.id}>
              <a
                href={`/rules/${encodeURIComponent(r.id)}`}
                onClick={followLink}
                className={r.id === ruleSetId ? 'ruleset-link active' : 'ruleset-link'}
                aria-current={r.id === ruleSetId ? 'page' : undefined}
              >
                <span className="ruleset-name">{r.name}</span>
                <span className="ruleset-meta">
                  {r.publishedVersion !== undefined
                    ? `v${r.publishedVersion} live`
                    : r.latestVersion !== undefined
                      ? `v${r.latestVersion}`
                      : 'draft only'}
                  {(r.pendingVersions?.length ?? 0) > 0 && (
                    <span className="count count-pending">{r.pendingVersions!.length} pending</span>
                  )}
                  {drafts.includes(r.id) && <span className="chip chip-modified">draft</span>}
                </span>
              </a>
            </li>
          ))}
          {!ruleSets.loading && list.length === 0 && <li className="empty">No rule sets yet.</li>}
        </ul>
      </aside>
      <section className="rules-main" aria-label="Rule set">
        {ruleSetId ? (
          <RuleSetWorkspace
            key={ruleSetId}
            ruleSetId={ruleSetId}
            onServer={ruleSets.data ? server.some((r) => r.id === ruleSetId) : undefined}
          />
        ) : (
          <div className="empty-state">
            <h1>Rules</h1>
            <p>Choose a rule set on the left{can(user, 'editRules') ? ', or create a new one' : ''}.</p>
          </div>
        )}
      </section>
      <NewRuleSetDialog
        open={creating}
        existing={list.map((r) => r.id)}
        onClose={() => setCreating(false)}
        onCreate={(id, name, description) => {
          saveDraft({ content: newRuleSet(id, name, description) });
          setDrafts(localDraftIds());
          setCreating(false);
          navigate(`/rules/${encodeURIComponent(id)}`);
        }}
      />
    </div>
  );
}

function NewRuleSetDialog({
  open,
  existing,
  onClose,
  onCreate,
}: {
  open: boolean;
  existing: string[];
  onClose: () => void;
  onCreate: (id: string, name: string, description?: string) => void;
}) {
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [error, setError] = useState<string>();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!/^[a-z0-9][a-z0-9-]*$/.test(id))
      return setError('The id is lower-case letters, digits and dashes, e.g. tool-wear.');
    if (existing.includes(id)) return setError(`A rule set ${id} exists already.`);
    onCreate(id, name.trim() || id, description.trim() || undefined);
    setId('');
    setName('');
    setDescription('');
    setError(undefined);
  };
  return (
    <Modal open={open} title="New rule set" onClose={onClose}>
      <form className="form" onSubmit={submit}>
        <label htmlFor="new-id">Id</label>
        <input id="new-id" value={id} onChange={(e) => setId(e.target.value)} required placeholder="spindle-overload" />
        <label htmlFor="new-name">Name</label>
        <input
          id="new-name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          required
          placeholder="Spindle overload protection"
        />
        <label htmlFor="new-description">Description</label>
        <textarea id="new-description" rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />
        <ErrorText error={error} />
        <DialogActions onCancel={onClose}>
          <button type="submit" className="button button-primary">
            Create draft
          </button>
        </DialogActions>
      </form>
    </Modal>
  );
}

/** The versions waiting for this person's signature: one line each, to the version to review. */
function ReviewInbox({ ruleSets, username }: { ruleSets: readonly RuleSetSummary[]; username: string | undefined }) {
  const waiting = awaitingReview(ruleSets, username);
  if (waiting.length === 0) return null;
  return (
    <section className="review-inbox" aria-labelledby="review-inbox-heading">
      <h3 id="review-inbox-heading" className="small-heading">
        Waiting for your review
      </h3>
      <ul>
        {waiting.map((w) => (
          <li key={`${w.ruleSetId}:${w.version}`}>
            <a href={`/rules/${encodeURIComponent(w.ruleSetId)}?tab=versions`} onClick={followLink}>
              {w.name} v{w.version}
            </a>
            <span className="muted small">
              {' '}
              by {w.author}, <Time iso={w.createdAt} />
              {w.comment ? `: ${w.comment}` : ''}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
