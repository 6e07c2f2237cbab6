import type { RuleSetFile, RuleSetVersion } from '@loopgate/contracts';
import { useEffect, useId, useMemo, useState } from 'react';
import { ruleSetChanges, type ChangeKind, type RuleLayout } from '../../graph';
import { ReadOnlyGraph } from './ReadOnlyGraph';

export const DRAFT = -1;

interface DiffViewProps {
  versions: RuleSetVersion[];
  draft: RuleSetFile;
  layouts: Record<string, RuleLayout>;
  /** Preselected sides; the published version against the draft when absent. */
  initialFrom?: number;
  initialTo?: number;
}

const KIND_LABEL: Record<ChangeKind, string> = {
  added: 'added',
  removed: 'removed',
  changed: 'changed',
  unchanged: 'unchanged',
};

/** Two versions side by side: added, removed and changed conditions highlighted on both graphs. */
export function DiffView({ versions, draft, layouts, initialFrom, initialTo }: DiffViewProps) {
  const id = useId();
  const sorted = useMemo(() => [...versions].sort((a, b) => b.version - a.version), [versions]);
  const published = sorted.find((v) => v.status === 'published');
  const [from, setFrom] = useState<number>(initialFrom ?? published?.version ?? sorted[0]?.version ?? DRAFT);
  const [to, setTo] = useState<number>(initialTo ?? DRAFT);
  useEffect(() => {
    if (initialFrom !== undefined) setFrom(initialFrom);
    if (initialTo !== undefined) setTo(initialTo);
  }, [initialFrom, initialTo]);
  const content = (v: number) => (v === DRAFT ? draft : sorted.find((x) => x.version === v)?.content);
  const before = content(from);
  const after = content(to);
  const diff = useMemo(() => (before && after ? ruleSetChanges(before, after) : undefined), [before, after]);
  const [ruleName, setRuleName] = useState<string>();
  const changedRules = diff?.rules.filter((r) => r.status !== 'unchanged') ?? [];
  const shownRule = diff?.rules.find((r) => r.name === ruleName) ?? changedRules[0] ?? diff?.rules[0];

  const options = [
    { value: DRAFT, label: 'Draft (this browser)' },
    ...sorted.map((v) => ({ value: v.version, label: `v${v.version} · ${v.status}` })),
  ];
  const picker = (label: string, value: number, set: (v: number) => void, suffix: string) => (
    <div className="filter">
      <label htmlFor={`${id}-${suffix}`}>{label}</label>
      <select id={`${id}-${suffix}`} value={value} onChange={(e) => set(Number(e.target.value))}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );

  return (
    <div className="diff-view">
      <div className="filters">
        {picker('Compare', from, setFrom, 'from')}
        {picker('with', to, setTo, 'to')}
        {diff && (
          <p className="diff-summary" role="status">
            <span className="change-text-added">+{diff.conditions.added} added</span> ·{' '}
            <span className="change-text-removed">−{diff.conditions.removed} removed</span> ·{' '}
            <span className="change-text-changed">~{diff.conditions.changed} changed</span> conditions
            {diff.facts.added.length + diff.facts.removed.length + diff.facts.changed.length > 0 && (
              <>
                {' '}
                · facts: {diff.facts.added.map((f) => `+${f}`).join(' ')}{' '}
                {diff.facts.removed.map((f) => `−${f}`).join(' ')} {diff.facts.changed.map((f) => `~${f}`).join(' ')}
              </>
            )}
          </p>
        )}
      </div>
      {!diff ? (
        <p className="empty">Choose two versions to compare.</p>
      ) : (
        <div className="diff-body">
          <ul className="diff-rules" aria-label="Rules">
            {diff.rules.map((r) => (
              <li key={r.name}>
                <button
                  type="button"
                  className={`diff-rule status-${r.status}${shownRule?.name === r.name ? ' active' : ''}`}
                  aria-pressed={shownRule?.name === r.name}
                  onClick={() => setRuleName(r.name)}
                >
                  <span>{r.name}</span>
                  <span className={`change-text-${r.status}`}>{KIND_LABEL[r.status]}</span>
                </button>
              </li>
            ))}
          </ul>
          {shownRule && (
            <div className="diff-graphs">
              <div className="diff-side">
                <h3>{from === DRAFT ? 'Draft' : `v${from}`}</h3>
                {shownRule.before ? (
                  <ReadOnlyGraph
                    rule={shownRule.before}
                    facts={before!.facts}
                    changes={shownRule.beforePaths}
                    label={`Rule ${shownRule.name} before`}
                    layout={from === DRAFT ? layouts[shownRule.name] : undefined}
                  />
                ) : (
                  <p className="empty">Not in this version.</p>
                )}
              </div>
              <div className="diff-side">
                <h3>{to === DRAFT ? 'Draft' : `v${to}`}</h3>
                {shownRule.after ? (
                  <ReadOnlyGraph
                    rule={shownRule.after}
                    facts={after!.facts}
                    changes={shownRule.afterPaths}
                    label={`Rule ${shownRule.name} after`}
                    layout={to === DRAFT ? layouts[shownRule.name] : undefined}
                  />
                ) : (
                  <p className="empty">Not in this version.</p>
                )}
              </div>
            </div>
          )}
        </div>
      )}
    </div>
  );
}
