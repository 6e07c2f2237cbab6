import type { TargetStatus, WriteBackOutcome } from '@loopgate/contracts';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { errorText } from '../../api/client';
import { gateway } from '../../api/endpoints';
import { useResource } from '../../api/hooks';
import { can, getSession } from '../../api/session';
import { SignatureDialog } from '../../components/SignatureDialog';
import { AiFlag } from '../../components/StateBadge';
import { useLive } from '../../live';
import { ApprovalsInbox } from './ApprovalsInbox';
import { DecisionList } from './DecisionList';
import { describeChange } from './describe';
import { NO_FILTER, canRevert, facets, matchesFilter, serverQuery, type OutcomeFilter } from './filters';
import { OutcomeTable } from './OutcomeTable';
import { RevertDialog } from './RevertDialog';
import { TargetControls } from './TargetControls';

const loadTargets = () => gateway.targets();
const loadApprovals = () => gateway.approvals();
const PAGE = 100;

/**
 * The write-backs the server holds for the filters that it answers (target, state, AI only), a
 * page at a time, with how many match in all; older pages on request.
 */
function useHistory(filter: OutcomeFilter) {
  const query = useMemo(() => serverQuery(filter), [filter]);
  const [page, setPage] = useState<{ outcomes: WriteBackOutcome[]; nextBefore?: string; count?: number }>({
    outcomes: [],
  });
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string>();
  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    gateway
      .writebackPage({ ...query, limit: PAGE, count: 'true' }, controller.signal)
      .then((first) => {
        setPage(first);
        setError(undefined);
      })
      .catch((e: unknown) => !controller.signal.aborted && setError(errorText(e)))
      .finally(() => !controller.signal.aborted && setLoading(false));
    return () => controller.abort();
  }, [query]);
  const loadOlder = useCallback(async () => {
    if (!page.nextBefore) return;
    setLoading(true);
    try {
      const older = await gateway.writebackPage({ ...query, limit: PAGE, before: page.nextBefore });
      setPage((current) => ({
        ...current,
        outcomes: [...current.outcomes, ...older.outcomes],
        nextBefore: older.nextBefore,
      }));
    } catch (e) {
      setError(errorText(e));
    } finally {
      setLoading(false);
    }
  }, [query, page.nextBefore]);
  return { ...page, loading, error, loadOlder };
}

/** The operators' view: live write-backs and decisions, approvals, revert, pause. */
export function OutcomesPage() {
  const live = useLive();
  const user = getSession()?.user;
  const [filter, setFilter] = useState<OutcomeFilter>(NO_FILTER);
  const [tab, setTab] = useState<'writebacks' | 'decisions'>('writebacks');
  const [reverting, setReverting] = useState<WriteBackOutcome>();
  const [reviewing, setReviewing] = useState<WriteBackOutcome>();
  const targets = useResource(loadTargets, { refreshMs: 5000 });
  const approvals = useResource(loadApprovals, { refreshMs: 15000 });

  const history = useHistory(filter);
  const all = useMemo(() => {
    // The stream's state is the newest; the inbox and the server's pages fill in what it has not
    // seen. Newest received first, so a live arrival goes on top without moving older rows.
    const byId = new Map<string, WriteBackOutcome>();
    for (const o of [...live.outcomes, ...(approvals.data ?? []), ...history.outcomes])
      if (!byId.has(o.commandId)) byId.set(o.commandId, o);
    return [...byId.values()].sort((a, b) => b.timings.receivedAt.localeCompare(a.timings.receivedAt));
  }, [live.outcomes, approvals.data, history.outcomes]);
  const shown = useMemo(() => all.filter((o) => matchesFilter(o, filter)), [all, filter]);
  const pending = useMemo(() => all.filter((o) => o.state === 'pending-approval').reverse(), [all]);
  const options = useMemo(() => facets(all), [all]);
  const targetList = useMemo(() => {
    const byName = new Map<string, TargetStatus>((targets.data ?? []).map((t) => [t.instance, t]));
    for (const t of Object.values(live.targets)) byName.set(t.instance, t);
    return [...byName.values()].sort((a, b) => a.instance.localeCompare(b.instance));
  }, [targets.data, live.targets]);
  const aiCount = shown.filter((o) => o.initiator === 'ai').length;
  const maySign = (o: WriteBackOutcome) =>
    can(user, 'approve') &&
    (!o.approval?.requiresQuality || can(user, 'approveQuality')) &&
    !(o.initiator === 'human' && o.requestedBy === user?.username);

  const set = <K extends keyof OutcomeFilter>(key: K, value: OutcomeFilter[K]) =>
    setFilter((f) => ({ ...f, [key]: value }));

  return (
    <div className="page page-outcomes">
      <div className="page-main">
        <div className="page-title-row">
          <h1>Outcomes</h1>
          <span className={`live-label stream-${live.status}`} role="status">
            {live.status === 'live' ? '● Live' : live.status === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
          </span>
        </div>
        <form className="filters" aria-label="Filter write-backs" onSubmit={(e) => e.preventDefault()}>
          <FilterSelect
            id="f-site"
            label="Site"
            value={filter.site}
            options={options.sites}
            onChange={(v) => set('site', v)}
          />
          <FilterSelect
            id="f-line"
            label="Line"
            value={filter.line}
            options={options.lines}
            onChange={(v) => set('line', v)}
          />
          <FilterSelect
            id="f-equipment"
            label="Equipment"
            value={filter.equipment}
            options={options.equipment}
            onChange={(v) => set('equipment', v)}
          />
          <FilterSelect
            id="f-target"
            label="Target"
            value={filter.target}
            options={options.targets}
            onChange={(v) => set('target', v)}
          />
          <div className="filter">
            <label htmlFor="f-state">State</label>
            <select
              id="f-state"
              value={filter.state}
              onChange={(e) => set('state', e.target.value as OutcomeFilter['state'])}
            >
              <option value="all">All</option>
              <option value="open">Open (pending, queued)</option>
              <option value="applied">Applied</option>
              <option value="refused">Rejected, failed, expired</option>
            </select>
          </div>
          <label className="checkbox filter-check">
            <input type="checkbox" checked={filter.aiOnly} onChange={(e) => set('aiOnly', e.target.checked)} />
            Only <AiFlag />
          </label>
          {filter !== NO_FILTER && (
            <button type="button" className="button button-ghost button-small" onClick={() => setFilter(NO_FILTER)}>
              Clear filters
            </button>
          )}
        </form>
        <div className="tabs" role="tablist" aria-label="Live stream">
          <button
            type="button"
            role="tab"
            id="tab-writebacks"
            aria-selected={tab === 'writebacks'}
            aria-controls="panel-writebacks"
            onClick={() => setTab('writebacks')}
          >
            Write-backs{' '}
            <span className="muted">
              ({shown.length}
              {history.count !== undefined && history.count > shown.length ? ` of ${history.count}` : ''}, {aiCount} AI)
            </span>
          </button>
          <button
            type="button"
            role="tab"
            id="tab-decisions"
            aria-selected={tab === 'decisions'}
            aria-controls="panel-decisions"
            onClick={() => setTab('decisions')}
          >
            Decisions <span className="muted">({live.decisions.length})</span>
          </button>
        </div>
        <div
          className="tab-panel scroll"
          role="tabpanel"
          tabIndex={0}
          id={`panel-${tab}`}
          aria-labelledby={`tab-${tab}`}
        >
          {tab === 'writebacks' ? (
            <>
              {history.error && <p className="error-text">Could not load write-backs: {history.error}</p>}
              <OutcomeTable
                outcomes={shown}
                canRevert={(o) => canRevert(o, all)}
                onRevert={setReverting}
                onReview={setReviewing}
                maySign={maySign}
                mayRevert={can(user, 'revert')}
              />
              {history.nextBefore && (
                <div className="load-older">
                  <button
                    type="button"
                    className="button button-ghost"
                    onClick={() => void history.loadOlder()}
                    disabled={history.loading}
                  >
                    {history.loading ? 'Loading…' : 'Load older write-backs'}
                  </button>
                </div>
              )}
            </>
          ) : (
            <DecisionList decisions={live.decisions} />
          )}
        </div>
      </div>
      <aside className="page-side" aria-label="Approvals and targets">
        <ApprovalsInbox pending={pending} maySign={maySign} onReview={setReviewing} error={approvals.error} />
        <TargetControls targets={targetList} mayControl={can(user, 'control')} onChanged={targets.reload} />
      </aside>
      <RevertDialog
        outcome={reverting}
        onClose={() => setReverting(undefined)}
        onRevert={async (o, reason) => {
          live.upsert(await gateway.revert(o.commandId, reason));
        }}
      />
      <SignatureDialog
        open={reviewing !== undefined}
        title="Sign this change"
        onClose={() => setReviewing(undefined)}
        onSign={async (signature) => {
          if (!reviewing) return;
          const result =
            signature.meaning === 'approved'
              ? await gateway.approve(reviewing.commandId, signature)
              : await gateway.reject(reviewing.commandId, signature);
          live.upsert(result);
          approvals.reload();
        }}
      >
        {reviewing && (
          <div>
            <p>
              {reviewing.initiator === 'ai' && <AiFlag />} {describeChange(reviewing)}
            </p>
            {reviewing.approval && (
              <p className="muted">
                Change control: {reviewing.approval.rule}
                {reviewing.approval.requiresQuality && ' (QA signature required)'}
              </p>
            )}
            {reviewing.message && <p className="muted">{reviewing.message}</p>}
            {reviewing.lineage.inferenceId && <p className="muted small">Inference {reviewing.lineage.inferenceId}</p>}
          </div>
        )}
      </SignatureDialog>
    </div>
  );
}

function FilterSelect({
  id,
  label,
  value,
  options,
  onChange,
}: {
  id: string;
  label: string;
  value: string;
  options: string[];
  onChange: (v: string) => void;
}) {
  return (
    <div className="filter">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">All</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </div>
  );
}
