import { AUDIT_OUTCOMES, type AuditQuery, type AuditRecord } from '@loopgate/contracts';
import { useCallback, useState, type FormEvent } from 'react';
import { errorText } from '../../api/client';
import { gateway } from '../../api/endpoints';
import { useResource } from '../../api/hooks';
import { Notice, Time, formatValue } from '../../components/Notice';
import { StateBadge, auditBadgeState } from '../../components/StateBadge';

const PAGE = 100;
const loadVerification = () => gateway.verifyAudit();

/** `datetime-local` input → ISO 8601, or undefined when empty. */
function toIso(local: string): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

interface FormState {
  q: string;
  from: string;
  to: string;
  target: string;
  object: string;
  outcome: string;
  inferenceId: string;
  actor: string;
}
const EMPTY: FormState = { q: '', from: '', to: '', target: '', object: '', outcome: '', inferenceId: '', actor: '' };

function queryOf(form: FormState): AuditQuery {
  return {
    q: form.q.trim() || undefined,
    from: toIso(form.from),
    to: toIso(form.to),
    target: form.target.trim() || undefined,
    object: form.object.trim() || undefined,
    outcome: (form.outcome || undefined) as AuditQuery['outcome'],
    inferenceId: form.inferenceId.trim() || undefined,
    actor: form.actor.trim() || undefined,
  };
}

/** The append-only, hash-chained audit trail: search, export, and whether the chain verifies. */
export function AuditPage() {
  const [form, setForm] = useState<FormState>(EMPTY);
  const [query, setQuery] = useState<AuditQuery>({});
  const [older, setOlder] = useState<AuditRecord[]>([]);
  const [moreError, setMoreError] = useState<string>();
  const load = useCallback(() => gateway.audit({ ...query, limit: PAGE }), [query]);
  const records = useResource(load);
  const verification = useResource(loadVerification);
  const all = [...(records.data ?? []), ...older];
  const field = (key: keyof FormState) => ({
    value: form[key],
    onChange: (e: { target: { value: string } }) => setForm((f) => ({ ...f, [key]: e.target.value })),
  });

  const search = (event: FormEvent) => {
    event.preventDefault();
    setOlder([]);
    setQuery(queryOf(form));
  };
  const loadOlder = async () => {
    const last = all[all.length - 1];
    if (!last) return;
    try {
      setOlder([...older, ...(await gateway.audit({ ...query, limit: PAGE, before: last.sequence }))]);
      setMoreError(undefined);
    } catch (e) {
      setMoreError(errorText(e));
    }
  };

  return (
    <div className="page page-audit">
      <div className="page-title-row">
        <h1>Audit trail</h1>
        <ChainStatus verification={verification} />
      </div>
      <form className="filters audit-filters" onSubmit={search} aria-label="Search the audit trail">
        <div className="filter filter-wide">
          <label htmlFor="a-q">Search</label>
          <input id="a-q" type="search" placeholder="command, parameter, reason, reason code…" {...field('q')} />
        </div>
        <div className="filter">
          <label htmlFor="a-from">From</label>
          <input id="a-from" type="datetime-local" {...field('from')} />
        </div>
        <div className="filter">
          <label htmlFor="a-to">To</label>
          <input id="a-to" type="datetime-local" {...field('to')} />
        </div>
        <div className="filter">
          <label htmlFor="a-target">Target</label>
          <input id="a-target" {...field('target')} />
        </div>
        <div className="filter">
          <label htmlFor="a-object">Object</label>
          <input id="a-object" {...field('object')} />
        </div>
        <div className="filter">
          <label htmlFor="a-outcome">Outcome</label>
          <select id="a-outcome" {...field('outcome')}>
            <option value="">All</option>
            {AUDIT_OUTCOMES.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </div>
        <div className="filter">
          <label htmlFor="a-inference">Inference id</label>
          <input id="a-inference" {...field('inferenceId')} />
        </div>
        <div className="filter">
          <label htmlFor="a-actor">Actor</label>
          <input id="a-actor" {...field('actor')} />
        </div>
        <div className="filter-buttons">
          <button type="submit" className="button button-primary">
            Search
          </button>
          <button
            type="button"
            className="button button-ghost"
            onClick={() => {
              setForm(EMPTY);
              setOlder([]);
              setQuery({});
            }}
          >
            Reset
          </button>
        </div>
      </form>
      <div className="toolbar">
        <span className="muted">
          {records.loading ? 'Loading…' : `${all.length} record${all.length === 1 ? '' : 's'}`}
          {Object.values(query).some(Boolean) && ' matching the search'}
        </span>
        <span className="spacer" />
        <a className="button button-small" href={gateway.auditExportUrl('csv', query)} download="loopgate-audit.csv">
          Export CSV
        </a>
        <a
          className="button button-small"
          href={gateway.auditExportUrl('ndjson', query)}
          download="loopgate-audit.ndjson"
        >
          Export NDJSON
        </a>
      </div>
      {records.error && <Notice tone="error">Could not load the audit trail: {records.error}</Notice>}
      <div className="scroll audit-scroll" tabIndex={0} role="region" aria-label="Audit records">
        <table className="table audit-table">
          <caption className="sr-only">Audit records, newest first</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Time</th>
              <th scope="col">Outcome</th>
              <th scope="col">Actor</th>
              <th scope="col">Target</th>
              <th scope="col">Object · parameter</th>
              <th scope="col" className="nowrap">
                Prior → new
              </th>
              <th scope="col">Reason</th>
              <th scope="col">Lineage</th>
              <th scope="col">Signature</th>
              <th scope="col">Hash</th>
            </tr>
          </thead>
          <tbody>
            {all.map((r) => (
              <tr key={r.sequence} data-sequence={r.sequence}>
                <td className="mono">{r.sequence}</td>
                <td>
                  <Time iso={r.time} />
                </td>
                <td>
                  <StateBadge state={auditBadgeState(r)} />
                </td>
                <td>{r.actor}</td>
                <td className="nowrap">{r.target?.instance ?? '—'}</td>
                <td>
                  {r.object?.id ?? '—'}
                  {r.parameter && <span className="muted"> · {r.parameter}</span>}
                </td>
                <td className="mono nowrap">
                  {r.priorValue !== undefined || r.newValue !== undefined
                    ? `${formatValue(r.priorValue)} → ${formatValue(r.newValue)}`
                    : '—'}
                </td>
                <td className="reason-cell">
                  {r.reasonCode && <span className="reason">{r.reasonCode}</span>}
                  {r.message && <div className="muted small">{r.message}</div>}
                  {r.reason && (
                    <div className="small audit-reason">
                      <span className="muted">Reason:</span> {r.reason}
                    </div>
                  )}
                </td>
                <td className="small lineage-cell">
                  {r.lineage.inferenceId && <div title={r.lineage.inferenceId}>{r.lineage.inferenceId}</div>}
                  {r.lineage.ruleSetId && (
                    <div className="muted" title={r.lineage.ruleSetId}>
                      {r.lineage.ruleSetId}
                      {r.lineage.ruleSetVersion !== undefined && ` v${r.lineage.ruleSetVersion}`}
                    </div>
                  )}
                </td>
                <td className="small">
                  {r.signature ? (
                    <span title={`${r.signature.meaning} at ${r.signature.signedAt}`}>
                      ✔ {r.signature.signerName} · {r.signature.meaning}
                    </span>
                  ) : (
                    '—'
                  )}
                </td>
                <td className="mono small nowrap" title={r.hash}>
                  {r.hash.slice(0, 8)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {!records.loading && all.length === 0 && !records.error && <p className="empty">No audit records match.</p>}
        {all.length > 0 && all.length % PAGE === 0 && (
          <button type="button" className="button" onClick={loadOlder}>
            Load older records
          </button>
        )}
        {moreError && <Notice tone="error">{moreError}</Notice>}
      </div>
    </div>
  );
}

function ChainStatus({
  verification,
}: {
  verification: ReturnType<typeof useResource<Awaited<ReturnType<typeof gateway.verifyAudit>>>>;
}) {
  const v = verification.data;
  return (
    <div className="chain-status" role="status" aria-live="polite">
      {verification.loading && !v && <span className="muted">Verifying the hash chain…</span>}
      {verification.error && <span className="badge tone-bad">Verification unavailable: {verification.error}</span>}
      {v && v.ok && (
        <span className="badge tone-ok" data-chain="ok">
          ✔ Chain verified · {v.checked} records
        </span>
      )}
      {v && !v.ok && (
        <span className="badge tone-bad" data-chain="broken">
          ✖ Chain broken at record #{v.firstBroken?.sequence} ({v.firstBroken?.reason}) · {v.checked} checked
        </span>
      )}
      <button type="button" className="button button-small button-ghost" onClick={verification.reload}>
        Verify again
      </button>
    </div>
  );
}
