import { hasPermission } from '@loopgate/contracts';
import { useCallback, useState } from 'react';
import { errorText } from '../../api/client';
import { useResource } from '../../api/hooks';
import { getSession } from '../../api/session';
import { Notice, Time } from '../../components/Notice';
import { SignatureDialog } from '../../components/SignatureDialog';
import { ReasonDialog, type ReasonRequest } from '../../components/ReasonDialog';
import {
  autonomyApi,
  type AutonomyDecision,
  type AutonomyScope,
  type LevelChange,
  type Scorecard,
} from './autonomy-api';

const loadScopes = () => autonomyApi.scopes();
const loadChanges = () => autonomyApi.changes();
const LEVEL_TONE: Record<string, string> = { shadow: 'tone-shadow', supervised: 'tone-pending', autonomous: 'tone-ok' };
const percent = (value: number | null) => (value === null ? '–' : `${(value * 100).toFixed(1)} %`);

/**
 * Earned autonomy: the level of each scope (target × parameter × model), the evidence for moving
 * it up with a signed promotion, demotions (by hand, or by themselves on the figures), scorecards
 * with a weekly trend, and the training-data export.
 */
export function AutonomyPage() {
  const scopes = useResource(loadScopes, { refreshMs: 5000 });
  const changes = useResource(loadChanges, { refreshMs: 5000 });
  const [selected, setSelected] = useState<string>();
  const [error, setError] = useState<string>();
  const lastChange = (scopeId: string) => changes.data?.find((c) => c.scopeId === scopeId);
  const demotedByThemselves = (scopes.data ?? []).filter((s) => {
    const last = lastChange(s.scopeId);
    return last?.kind === 'demoted' && last.actor === 'gateway:autonomy';
  });

  return (
    <div className="page page-autonomy">
      <div className="page-title-row">
        <h1>Autonomy</h1>
        <span className="muted">trust per model and parameter, earned on evidence</span>
      </div>
      {scopes.error && <Notice tone="error">Could not load scopes: {scopes.error}</Notice>}
      {error && <Notice tone="error">{error}</Notice>}
      {demotedByThemselves.map((s) => (
        <Notice key={s.scopeId} tone="error">
          {s.scopeId} dropped to {s.level} by itself: {lastChange(s.scopeId)?.reason}
        </Notice>
      ))}
      <section className="panel" aria-labelledby="autonomy-scopes">
        <header className="panel-header">
          <h2 id="autonomy-scopes">Scopes</h2>
        </header>
        <table className="table">
          <thead>
            <tr>
              <th>Target</th>
              <th>Parameter or action</th>
              <th>Model</th>
              <th>Level</th>
              <th>Last change</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(scopes.data ?? []).map((s) => (
              <ScopeRow
                key={s.scopeId}
                scope={s}
                change={lastChange(s.scopeId)}
                onOpen={() => setSelected(s.scopeId)}
              />
            ))}
          </tbody>
        </table>
        {!scopes.loading && (scopes.data ?? []).length === 0 && (
          <p className="empty">No autonomy scope is configured in the site file.</p>
        )}
      </section>
      {selected && (
        <EvidencePanel
          // Read again when the stored level moves (another person promoted or demoted it, or it demoted itself).
          key={`${selected}|${(scopes.data ?? []).find((s) => s.scopeId === selected)?.level ?? ''}`}
          scopeId={selected}
          onChanged={() => {
            scopes.reload();
            changes.reload();
          }}
          onError={setError}
        />
      )}
      <Scorecards />
    </div>
  );
}

function ScopeRow({ scope, change, onOpen }: { scope: AutonomyScope; change?: LevelChange; onOpen: () => void }) {
  return (
    <tr data-scope={scope.scopeId}>
      <td>{scope.target}</td>
      <td>{scope.parameter}</td>
      <td>{scope.model}</td>
      <td>
        <span className={`badge ${LEVEL_TONE[scope.level] ?? 'tone-muted'}`}>{scope.level}</span>
      </td>
      <td className="small">
        {change ? (
          <>
            {change.kind} by {change.actor} <Time iso={change.at} />
          </>
        ) : (
          '–'
        )}
      </td>
      <td>
        <button type="button" className="button" onClick={onOpen}>
          Evidence
        </button>
      </td>
    </tr>
  );
}

function EvidencePanel({
  scopeId,
  onChanged,
  onError,
}: {
  scopeId: string;
  onChanged: () => void;
  onError: (message: string | undefined) => void;
}) {
  const load = useCallback(() => autonomyApi.evidence(scopeId), [scopeId]);
  const evidence = useResource(load);
  const [signing, setSigning] = useState(false);
  const user = getSession()?.user;
  const principal = { kind: 'user' as const, roles: user?.roles ?? [] };
  const e = evidence.data;

  const [asking, setAsking] = useState<ReasonRequest>();
  const demote = () => {
    if (!e) return;
    const below = e.level === 'autonomous' ? 'supervised' : 'shadow';
    setAsking({
      title: `Demote ${scopeId}`,
      explanation: (
        <>
          From <strong>{e.level}</strong> to <strong>{below}</strong> at once
          {below === 'supervised'
            ? ': every write of this scope then waits for a signature.'
            : ': it then decides and audits, and writes nothing.'}{' '}
          Going up again takes a signed promotion on new evidence.
        </>
      ),
      action: `Demote to ${below}`,
      run: async (reason) => {
        onError(undefined);
        await autonomyApi.demote(scopeId, reason, e.level);
        evidence.reload();
        onChanged();
      },
    });
  };

  return (
    <section className="panel" aria-labelledby="autonomy-evidence">
      <header className="panel-header">
        <h2 id="autonomy-evidence">Evidence · {scopeId}</h2>
        {e && <span className="muted">last {e.periodDays} days</span>}
      </header>
      {evidence.error && <Notice tone="error">{evidence.error}</Notice>}
      {e && (
        <>
          <dl className="metrics">
            <Figure label="Shadow decisions" value={e.evidence.shadowDecisions} />
            <Figure
              label="Agreement"
              value={`${percent(e.evidence.agreement)} (${e.evidence.agreed}/${e.evidence.agreed + e.evidence.disagreed})`}
            />
            <Figure
              label="Approved / rejected"
              value={`${e.evidence.supervisedApproved} / ${e.evidence.supervisedRejected}`}
            />
            <Figure label="Applied" value={e.evidence.applied} />
            <Figure label="Interlock refusals" value={e.evidence.interlockRefusals} />
            <Figure label="Overridden" value={e.evidence.overridden} />
            <Figure label="Reverted" value={e.evidence.reverted} />
            <Figure
              label="Effects (improved / none / adverse)"
              value={`${e.evidence.effects.improved} / ${e.evidence.effects['no-change']} / ${e.evidence.effects.adverse}`}
            />
          </dl>
          {e.nextLevel && e.unmet.length > 0 && (
            <Notice tone="info">
              Not yet ready for {e.nextLevel}: {e.unmet.map((u) => u.message).join('; ')}
            </Notice>
          )}
          <div className="actions">
            {e.nextLevel && hasPermission(principal, 'autonomy:promote') && (
              <button
                type="button"
                className="button button-primary"
                disabled={e.unmet.length > 0}
                onClick={() => setSigning(true)}
              >
                Promote to {e.nextLevel}
              </button>
            )}
            {e.level !== 'shadow' && hasPermission(principal, 'target:control') && (
              <button type="button" className="button button-danger" onClick={demote}>
                Demote one level
              </button>
            )}
          </div>
          <Decisions
            scopeId={scopeId}
            mayMark={hasPermission(principal, 'autonomy:feedback')}
            onMarked={evidence.reload}
          />
          <ReasonDialog request={asking} onClose={() => setAsking(undefined)} />
          <SignatureDialog
            open={signing}
            title={`Promote ${scopeId} to ${e.nextLevel ?? ''}`}
            onClose={() => setSigning(false)}
            onSign={async (signature) => {
              await autonomyApi.promote(
                scopeId,
                e.nextLevel as NonNullable<typeof e.nextLevel>,
                { evidenceHash: e.evidenceHash, until: e.until },
                signature,
              );
              evidence.reload();
              onChanged();
            }}
          >
            <p>
              From <strong>{e.level}</strong> to <strong>{e.nextLevel}</strong> on the evidence above (SHA-256{' '}
              <code>{e.evidenceHash.slice(0, 16)}…</code>).
            </p>
          </SignatureDialog>
        </>
      )}
    </section>
  );
}

const effectText = (effect: AutonomyDecision['effect']) =>
  !effect
    ? '–'
    : effect.before && effect.after
      ? `${effect.verdict} (${effect.check.kpi} ${effect.before.mean.toFixed(1)} → ${effect.after.mean.toFixed(1)}${
          effect.expectedAfter !== undefined ? `, ${effect.expectedAfter.toFixed(1)} on the trend before` : ''
        })`
      : effect.verdict;

/** The scope's newest decisions with their outcome and measured effect; operators mark each right or wrong. */
function Decisions({ scopeId, mayMark, onMarked }: { scopeId: string; mayMark: boolean; onMarked: () => void }) {
  const load = useCallback(() => autonomyApi.decisions(scopeId), [scopeId]);
  const decisions = useResource(load, { refreshMs: 5000 });
  const [error, setError] = useState<string>();
  const mark = async (commandId: string, verdict: 'right' | 'wrong') => {
    const note = verdict === 'wrong' ? (window.prompt('What was wrong? (optional)') ?? undefined) : undefined;
    try {
      setError(undefined);
      await autonomyApi.feedback(commandId, verdict, note || undefined);
      decisions.reload();
      onMarked();
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <>
      <h3>Newest decisions</h3>
      {(error ?? decisions.error) && <Notice tone="error">{error ?? decisions.error}</Notice>}
      <table className="table">
        <thead>
          <tr>
            <th>Received</th>
            <th>Object</th>
            <th>Value</th>
            <th>Level</th>
            <th>Outcome</th>
            <th>Effect</th>
            <th>Operator</th>
          </tr>
        </thead>
        <tbody>
          {(decisions.data ?? []).map((d) => (
            <tr key={d.commandId} data-decision={d.commandId}>
              <td>
                <Time iso={d.receivedAt} />
              </td>
              <td>{d.objectId}</td>
              <td>
                {JSON.stringify(d.priorValue)} → {JSON.stringify(d.value)}
              </td>
              <td>{d.level}</td>
              <td>
                {d.state}
                {d.reasonCode ? ` (${d.reasonCode})` : ''}
                {d.overridden ? ' · overridden' : ''}
                {d.reverted ? ' · reverted' : ''}
              </td>
              <td>{effectText(d.effect)}</td>
              <td>
                {d.feedback ? (
                  <span title={d.feedback.note ?? ''}>
                    {d.feedback.verdict === 'right' ? 'agreed' : 'disagreed'} ({d.feedback.by})
                  </span>
                ) : mayMark ? (
                  <>
                    <button type="button" className="button" onClick={() => void mark(d.commandId, 'right')}>
                      Agree
                    </button>{' '}
                    <button type="button" className="button" onClick={() => void mark(d.commandId, 'wrong')}>
                      Disagree
                    </button>
                  </>
                ) : (
                  '–'
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function Figure({ label, value }: { label: string; value: string | number }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd className="metric">{value}</dd>
    </div>
  );
}

function Scorecards() {
  const [by, setBy] = useState<Scorecard['group']>('model');
  const [model, setModel] = useState('');
  const [error, setError] = useState<string>();
  const load = useCallback(() => autonomyApi.scorecards(by), [by]);
  const cards = useResource(load, { refreshMs: 15000 });
  const download = async (format: 'ndjson' | 'parquet') => {
    try {
      setError(undefined);
      await autonomyApi.download(format, model);
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <section className="panel" aria-labelledby="autonomy-scorecards">
      <header className="panel-header">
        <h2 id="autonomy-scorecards">Scorecards</h2>
        <label>
          by{' '}
          <select value={by} onChange={(e) => setBy(e.target.value as Scorecard['group'])}>
            <option value="model">model and version</option>
            <option value="rule-set">rule set and version</option>
            <option value="scope">scope</option>
          </select>
        </label>
      </header>
      {cards.error && <Notice tone="error">{cards.error}</Notice>}
      {(cards.data ?? []).map((card) => (
        <div key={`${card.key}@${card.version}`} className="scorecard" data-scorecard={card.key}>
          <h3>
            {card.key}
            {card.version && <span className="muted"> v{card.version}</span>}
          </h3>
          <table className="table">
            <thead>
              <tr>
                <th>Week</th>
                <th>Proposals</th>
                <th>Shadow</th>
                <th>Applied</th>
                <th>Refused</th>
                <th>Approved</th>
                <th>Rejected</th>
                <th>Overridden</th>
                <th>Reverted</th>
                <th>Adverse</th>
                <th>Marked wrong</th>
              </tr>
            </thead>
            <tbody>
              {[...card.weeks, { week: 'Total', ...card }].map((w) => (
                <tr key={w.week}>
                  <td>{w.week}</td>
                  <td>{w.proposals}</td>
                  <td>{w.shadow}</td>
                  <td>{w.applied}</td>
                  <td title={JSON.stringify(w.refusedByCode)}>
                    {Object.values(w.refusedByCode).reduce((a, b) => a + b, 0)}
                  </td>
                  <td>{w.approved}</td>
                  <td>{w.rejected}</td>
                  <td>{w.overridden}</td>
                  <td>{w.reverted}</td>
                  <td>{w.effects.adverse ?? 0}</td>
                  <td>{w.feedbackWrong}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
      <div className="actions">
        <label>
          Model <input value={model} placeholder="all models" onChange={(e) => setModel(e.target.value.trim())} />
        </label>
        <button type="button" className="button" onClick={() => void download('ndjson')}>
          Training data (NDJSON)
        </button>
        <button type="button" className="button" onClick={() => void download('parquet')}>
          Training data (Parquet)
        </button>
      </div>
      {error && <Notice tone="error">{error}</Notice>}
    </section>
  );
}
