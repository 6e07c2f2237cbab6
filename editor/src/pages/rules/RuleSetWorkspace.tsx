import type {
  EvaluationResult,
  FactDefinition,
  RuleDefinition,
  RuleSetFile,
  RuleSetVersion,
  ValidationIssue,
} from '@loopgate/contracts';
import { jsonEqual } from '@loopgate/rules/core';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { ApiError, errorText } from '../../api/client';
import { gateway } from '../../api/endpoints';
import { useResource } from '../../api/hooks';
import { can, getSession } from '../../api/session';
import { Notice } from '../../components/Notice';
import {
  conditionOutcomes,
  emptyRuleGraph,
  ruleRelativePath,
  toGraph,
  type GraphIssue,
  type RuleGraph,
  type RuleLayout,
  type ToRuleResult,
} from '../../graph';
import { DiffView } from './DiffView';
import { discardDraft, loadDraft, loadLayouts, saveDraft, saveLayouts, type RuleSetDraft } from './draft';
import { FactsTab } from './FactsTab';
import { JsonTab } from './JsonTab';
import { RuleGraphEditor } from './RuleGraphEditor';
import { SharedConditionsTab } from './SharedConditionsTab';
import { SubmitDialog } from './SubmitDialog';
import { TestRunPanel } from './TestRunPanel';
import { VersionsTab } from './VersionsTab';

type Tab = 'graph' | 'shared' | 'json' | 'facts' | 'diff' | 'versions';
const TABS: { id: Tab; label: string }[] = [
  { id: 'graph', label: 'Graph' },
  { id: 'shared', label: 'Shared conditions' },
  { id: 'json', label: 'JSON' },
  { id: 'facts', label: 'Facts' },
  { id: 'diff', label: 'Diff' },
  { id: 'versions', label: 'Versions' },
];

/** A graph that does not convert to a rule yet, kept until it does (the JSON keeps the last complete rule). */
interface Unfinished {
  graph: RuleGraph;
  issues: GraphIssue[];
}

function newRule(name: string): RuleDefinition {
  return { name, conditions: { all: [] }, event: { type: 'writeback', params: {} } };
}

/** Everything about one rule set: the draft and its graph editor, JSON, facts, diff, versions and publishing. */
export function RuleSetWorkspace({ ruleSetId, onServer }: { ruleSetId: string; onServer: boolean | undefined }) {
  const loadVersions = useCallback(() => gateway.versions(ruleSetId), [ruleSetId]);
  // A rule set that exists only as a local draft has no versions to ask for yet.
  const versions = useResource(loadVersions, { enabled: onServer === true });
  const user = getSession()?.user;
  const readOnly = !can(user, 'editRules');
  const [draft, setDraft] = useState<RuleSetDraft | undefined>(() => loadDraft(ruleSetId));
  const [dirty, setDirty] = useState(() => loadDraft(ruleSetId) !== undefined);
  const [layouts, setLayouts] = useState<Record<string, RuleLayout>>(() => loadLayouts(ruleSetId));
  const [ruleIndex, setRuleIndex] = useState(0);
  const [revision, setRevision] = useState(0);
  const [unfinished, setUnfinished] = useState<Record<number, Unfinished>>({});
  // Issues hold paths into the content they were found in: once the content changes they may point elsewhere.
  const [validated, setValidated] = useState<{ content: RuleSetFile; issues: ValidationIssue[] }>();
  const [evaluation, setEvaluation] = useState<{ of: RuleSetFile; result: EvaluationResult }>();
  // A link from the review inbox opens the versions tab (`?tab=versions`).
  const [tab, setTab] = useState<Tab>(() =>
    new URLSearchParams(window.location.search).get('tab') === 'versions' ? 'versions' : 'graph',
  );
  const [samples, setSamples] = useState<Record<string, string>>({});
  const [diffPreset, setDiffPreset] = useState<{ from: number; to: number }>();
  const [submitOpen, setSubmitOpen] = useState(false);
  const [notice, setNotice] = useState<{ tone: 'ok' | 'error' | 'info'; text: string }>();
  const versionList = useMemo(() => versions.data ?? [], [versions.data]);

  // Without a local draft, editing starts from the newest stored version.
  useEffect(() => {
    if (draft || versionList.length === 0) return;
    const newest = versionList.reduce((a, b) => (b.version > a.version ? b : a));
    setDraft({ content: structuredClone(newest.content), baseVersion: newest.version });
  }, [draft, versionList]);

  const update = useCallback((change: (content: RuleSetFile) => RuleSetFile) => {
    setDraft((current) => {
      if (!current) return current;
      const next = { ...current, content: change(current.content) };
      saveDraft(next);
      return next;
    });
    setDirty(true);
  }, []);
  useEffect(() => saveLayouts(ruleSetId, layouts), [ruleSetId, layouts]);

  const content = draft?.content;
  const rules = content?.rules ?? [];
  const rule = rules[ruleIndex];
  // Derived facts are facts to the canvas: conditions and write-backs pick them like any other.
  const graphFacts = useMemo<FactDefinition[]>(
    () => [
      ...(content?.facts ?? []),
      ...(content?.derivedFacts ?? []).map((d) => ({
        name: d.name,
        type: d.type,
        ...(d.unit ? { unit: d.unit } : {}),
        description: `derived: ${d.expression}`,
      })),
    ],
    [content?.facts, content?.derivedFacts],
  );
  const sharedNames = useMemo(() => Object.keys(content?.sharedConditions ?? {}), [content?.sharedConditions]);

  const onGraph = useCallback((index: number, graph: RuleGraph, result: ToRuleResult) => {
    if (!result.success) {
      setUnfinished((u) => ({ ...u, [index]: { graph, issues: result.issues } }));
      return;
    }
    setUnfinished((u) => {
      if (!(index in u)) return u;
      const next = { ...u };
      delete next[index];
      return next;
    });
    setLayouts((all) => {
      const name = result.rule.name;
      if (jsonEqual(all[name], result.layout)) return all;
      return { ...all, [name]: result.layout };
    });
    setDraft((current) => {
      if (!current || jsonEqual(current.content.rules[index], result.rule)) return current;
      const rulesNext = current.content.rules.map((r, i) => (i === index ? result.rule : r));
      const next = { ...current, content: { ...current.content, rules: rulesNext } };
      saveDraft(next);
      setDirty(true);
      return next;
    });
  }, []);
  const onCurrentGraph = useCallback(
    (graph: RuleGraph, result: ToRuleResult) => onGraph(ruleIndex, graph, result),
    [onGraph, ruleIndex],
  );

  const initialGraph = useMemo(() => {
    if (!rule) return undefined;
    return unfinished[ruleIndex]?.graph ?? toGraph(rule, layouts[rule.name]);
    // Only a rule switch or an outside change (revision) rebuilds the canvas; its own edits must not.
  }, [ruleIndex, revision, rule === undefined]);

  const serverIssues = useMemo(
    () => (validated && validated.content === content ? validated.issues : []),
    [validated, content],
  );
  const setServerIssues = useCallback(
    (issues: ValidationIssue[], of: RuleSetFile) => setValidated({ content: of, issues }),
    [],
  );
  const ruleIssues = useMemo(
    () =>
      serverIssues.flatMap((issue) => {
        const path = ruleRelativePath(issue.path, ruleIndex);
        return path ? [{ ...issue, path }] : [];
      }),
    [serverIssues, ruleIndex],
  );
  const otherIssues = serverIssues.filter((i) => ruleRelativePath(i.path, ruleIndex) === undefined);
  const outcomes = useMemo(() => {
    // Colours belong to the content they were computed from: after any edit they are gone, never wrong.
    if (!evaluation || evaluation.of !== content) return {};
    const result = evaluation.result.results.find((r) => r.name === rule?.name);
    return result && rule ? conditionOutcomes(rule, result.conditions) : {};
  }, [evaluation, rule, content]);
  const unfinishedNames = Object.keys(unfinished).map((i) => rules[Number(i)]?.name ?? `rule ${Number(i) + 1}`);
  const pendingCount = versionList.filter((v) => v.status === 'pending-approval').length;
  const baseContent = versionList.find((v) => v.version === draft?.baseVersion)?.content;
  const unchanged = baseContent !== undefined && jsonEqual(baseContent, content);

  if (!draft || !content) {
    return (
      <div className="workspace-empty">
        {versions.error ? (
          <Notice tone="error">
            Could not load {ruleSetId}: {versions.error}
          </Notice>
        ) : onServer === false ? (
          <p>There is no rule set {ruleSetId}, and no local draft of one.</p>
        ) : (
          <p className="muted">Loading {ruleSetId}…</p>
        )}
      </div>
    );
  }

  const addRule = () => {
    const names = new Set(rules.map((r) => r.name));
    let n = rules.length + 1;
    while (names.has(`rule-${n}`)) n++;
    const name = `rule-${n}`;
    const index = rules.length;
    update((c) => ({ ...c, rules: [...c.rules, newRule(name)] }));
    setUnfinished((u) => ({ ...u, [index]: { graph: emptyRuleGraph(name), issues: [] } }));
    setRuleIndex(index);
    setRevision((r) => r + 1);
    setTab('graph');
  };
  const deleteRule = () => {
    if (!rule || !window.confirm(`Delete rule “${rule.name}” from the draft?`)) return;
    update((c) => ({ ...c, rules: c.rules.filter((_, i) => i !== ruleIndex) }));
    setUnfinished((u) => {
      const next: Record<number, Unfinished> = {};
      for (const [k, v] of Object.entries(u)) {
        const i = Number(k);
        if (i < ruleIndex) next[i] = v;
        else if (i > ruleIndex) next[i - 1] = v;
      }
      return next;
    });
    setRuleIndex(Math.max(0, ruleIndex - 1));
    setRevision((r) => r + 1);
  };
  const validate = async () => {
    setNotice(undefined);
    try {
      const result = await gateway.validate(ruleSetId, content);
      setServerIssues(result.issues, content);
      setNotice(
        result.issues.length === 0
          ? { tone: 'ok', text: 'The gateway validated the draft: no issues.' }
          : { tone: 'error', text: `${result.issues.length} issue(s): see the marked nodes.` },
      );
    } catch (e) {
      if (e instanceof ApiError && e.issues.length > 0) setServerIssues(e.issues, content);
      setNotice({ tone: 'error', text: `Validation failed: ${errorText(e)}` });
    }
  };
  const discard = () => {
    if (!window.confirm('Discard the local draft and start again from the newest version?')) return;
    discardDraft(ruleSetId);
    setDirty(false);
    setUnfinished({});
    setValidated(undefined);
    const newest = versionList.reduce<RuleSetVersion | undefined>(
      (a, b) => (!a || b.version > a.version ? b : a),
      undefined,
    );
    setDraft(newest ? { content: structuredClone(newest.content), baseVersion: newest.version } : undefined);
    setRuleIndex(0);
    setRevision((r) => r + 1);
  };

  return (
    <div className="workspace">
      <div className="workspace-header">
        <div className="workspace-title">
          <h1 title={content.name}>{content.name}</h1>
          <span className="muted mono">{content.id}</span>
          <span className="muted">
            {draft.baseVersion !== undefined ? `draft from v${draft.baseVersion}` : 'new rule set'}
            {dirty && <span className="chip chip-modified">modified</span>}
          </span>
        </div>
        <div className="workspace-actions">
          <label htmlFor="rule-select" className="inline-label">
            Rule
          </label>
          <select
            id="rule-select"
            value={ruleIndex}
            onChange={(e) => {
              setRuleIndex(Number(e.target.value));
              setEvaluation(undefined);
            }}
            disabled={rules.length === 0}
          >
            {rules.map((r, i) => (
              <option key={i} value={i}>
                {r.name}
                {unfinished[i] ? ' (unfinished)' : ''}
              </option>
            ))}
          </select>
          {!readOnly && (
            <>
              <button type="button" className="button button-small" onClick={addRule}>
                + New rule
              </button>
              <button type="button" className="button button-small button-ghost" onClick={deleteRule} disabled={!rule}>
                Delete rule
              </button>
              <button type="button" className="button button-small" onClick={validate}>
                Validate
              </button>
              {dirty && (
                <button type="button" className="button button-small button-ghost" onClick={discard}>
                  Discard draft
                </button>
              )}
              <button
                type="button"
                className="button button-small button-primary"
                onClick={() => setSubmitOpen(true)}
                disabled={unfinishedNames.length > 0 || rules.length === 0 || unchanged}
                title={
                  unfinishedNames.length > 0
                    ? `Finish ${unfinishedNames.join(', ')} first`
                    : unchanged
                      ? `No changes since v${draft.baseVersion}`
                      : undefined
                }
              >
                Submit for approval…
              </button>
            </>
          )}
        </div>
      </div>
      <div className="tabs" role="tablist" aria-label="Rule set views">
        {TABS.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`rs-tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls="rs-panel"
            onClick={() => setTab(t.id)}
          >
            {t.label}
            {t.id === 'versions' && pendingCount > 0 && <span className="count count-pending">{pendingCount}</span>}
          </button>
        ))}
      </div>
      {notice && <Notice tone={notice.tone}>{notice.text}</Notice>}
      {otherIssues.length > 0 && (
        <Notice tone="error">
          {otherIssues.length} issue(s) outside this rule:{' '}
          {otherIssues
            .slice(0, 4)
            .map((i) => `${i.path} ${i.code}`)
            .join('; ')}
        </Notice>
      )}
      <div className="tab-panel workspace-panel" role="tabpanel" id="rs-panel" aria-labelledby={`rs-tab-${tab}`}>
        {tab === 'graph' &&
          (rule && initialGraph ? (
            <RuleGraphEditor
              key={`${ruleSetId}:${ruleIndex}:${revision}`}
              initialGraph={initialGraph}
              facts={graphFacts}
              sharedConditions={sharedNames}
              serverIssues={ruleIssues}
              outcomes={outcomes}
              readOnly={readOnly}
              onGraph={onCurrentGraph}
              testPanel={
                <TestRunPanel
                  content={content}
                  ruleName={rule.name}
                  values={samples}
                  onValues={setSamples}
                  onResult={setEvaluation}
                />
              }
            />
          ) : (
            <div className="empty-state">
              <p>This rule set has no rules yet.</p>
              {!readOnly && (
                <button type="button" className="button button-primary" onClick={addRule}>
                  Create the first rule
                </button>
              )}
            </div>
          ))}
        {tab === 'shared' && (
          <SharedConditionsTab
            shared={content.sharedConditions ?? {}}
            facts={graphFacts}
            readOnly={readOnly}
            onChange={(sharedConditions) => update((c) => ({ ...c, sharedConditions }))}
          />
        )}
        {tab === 'json' && (
          <JsonTab
            content={content}
            readOnly={readOnly}
            unfinished={unfinishedNames}
            onApply={(next) => {
              update(() => next);
              setUnfinished({});
              setRuleIndex((i) => Math.min(i, Math.max(0, next.rules.length - 1)));
              setRevision((r) => r + 1);
              setNotice({ tone: 'ok', text: 'JSON applied to the graph.' });
            }}
          />
        )}
        {tab === 'facts' && (
          <FactsTab
            facts={content.facts}
            derivedFacts={content.derivedFacts ?? []}
            readOnly={readOnly}
            onChange={(facts) => update((c) => ({ ...c, facts }))}
            onDerivedChange={(derivedFacts) =>
              update(({ derivedFacts: _old, ...c }) => (derivedFacts.length > 0 ? { ...c, derivedFacts } : c))
            }
          />
        )}
        {tab === 'diff' && (
          <DiffView
            versions={versionList}
            draft={content}
            layouts={layouts}
            initialFrom={diffPreset?.from}
            initialTo={diffPreset?.to}
          />
        )}
        {tab === 'versions' && (
          <VersionsTab
            ruleSetId={ruleSetId}
            versions={versionList}
            error={versions.error}
            onChanged={versions.reload}
            onCompare={(from, to) => {
              setDiffPreset({ from, to });
              setTab('diff');
            }}
          />
        )}
      </div>
      <SubmitDialog
        open={submitOpen}
        content={content}
        onIssues={setServerIssues}
        onClose={() => setSubmitOpen(false)}
        onSubmitted={(version) => {
          setSubmitOpen(false);
          discardDraft(ruleSetId);
          setDirty(false);
          setDraft({ content, baseVersion: version.version });
          setNotice({
            tone: 'ok',
            text: `Submitted as v${version.version}: it waits for a second engineer's approval.`,
          });
          versions.reload();
          window.dispatchEvent(new Event('loopgate:rulesets-changed'));
        }}
      />
    </div>
  );
}
