import { ApiError, type RuleSetVersion } from '@loopgate/contracts';
import type { DeploymentItem } from '../../deployments/deployment.types';
import { CliError, EXIT } from '../cli-error';
import {
  describeFlowDiff,
  describeRuleSetDiff,
  diffFlow,
  diffRuleSet,
  flowUnchanged,
  mergeFlows,
  type FlowDiff,
  type RuleSetPlan,
} from '../deploy-plan';
import { cliErrorOf, type GatewayClient } from '../gateway-client';
import { NodeRedAdmin } from '../node-red-admin';
import { formatIssue, type Output } from '../output';
import { validateProject, type ValidateOptions } from './validate';

export interface DeployOptions extends ValidateOptions {
  /** Node-RED admin root, default `<gateway url>/red`. */
  redUrl?: string;
  /** Token for Node-RED's admin API; the gateway token when absent (the embedded editor accepts it). */
  redToken?: string;
  dryRun?: boolean;
  comment?: string;
}

export interface DeployPlan {
  flows: FlowDiff[];
  ruleSets: RuleSetPlan[];
  revision?: string;
}

async function registryVersions(gateway: GatewayClient, id: string): Promise<RuleSetVersion[]> {
  const { data, error, response } = await gateway.api.GET('/rulesets/{id}/versions', { params: { path: { id } } });
  if (response.status === 404) return [];
  if (error !== undefined) throw cliErrorOf(ApiError.fromAnswer(response.status, error), `reading rule set ${id}`);
  return data as RuleSetVersion[];
}

/** Validates, then compares the files with the runtime and the registry. */
async function plan(paths: string[], options: DeployOptions, gateway: GatewayClient, out: Output, steps: number) {
  out.progress(1, steps, 'validating files');
  const report = await validateProject(paths, options);
  if (!report.ok) {
    throw new CliError(
      EXIT.issues,
      'INVALID_FILES',
      `${report.issues.length} issue(s) in the files: nothing was deployed`,
      report.issues.map((i) => formatIssue(i)),
    );
  }
  if (report.flows.length + report.ruleSets.length === 0)
    throw new CliError(EXIT.usage, 'NOTHING_TO_DEPLOY', 'no rule set or flow files were found');
  const red = new NodeRedAdmin(
    (options.redUrl ?? `${gateway.baseUrl}/red`).replace(/\/+$/, ''),
    options.redToken ?? gateway.token,
  );
  out.progress(2, steps, `comparing with ${report.flows.length ? red.baseUrl : 'the gateway'}`);
  const runtime = report.flows.length ? await red.getFlows() : undefined;
  const ruleSets: RuleSetPlan[] = [];
  for (const { ruleSet } of report.ruleSets)
    ruleSets.push(diffRuleSet(ruleSet, await registryVersions(gateway, ruleSet.id)));
  const flows = report.flows.map(({ flow }) => diffFlow(flow, runtime?.flows ?? []));
  const result: DeployPlan = { flows, ruleSets, ...(runtime ? { revision: runtime.rev } : {}) };
  return { report, red, runtime, plan: result };
}

function describePlan(plan: DeployPlan): string[] {
  return [
    ...(plan.revision ? [`runtime revision ${plan.revision}`] : []),
    ...plan.ruleSets.flatMap(describeRuleSetDiff),
    ...plan.flows.map(describeFlowDiff),
  ];
}

/** `loopgate diff`: what a deploy would change, without changing anything. */
export async function diffCommand(
  paths: string[],
  options: DeployOptions,
  gateway: GatewayClient,
  out: Output,
): Promise<number> {
  const { plan: result } = await plan(paths, options, gateway, out, 2);
  out.result({ ok: true, ...result }, () => describePlan(result));
  return EXIT.ok;
}

/** The rule set versions a deploy leaves waiting for a second person's approval, in words. */
function pendingLines(items: readonly DeploymentItem[]): string[] {
  const pending = items.filter((i) => i.result === 'pending-approval' && i.kind === 'rule-set');
  if (!pending.length) return [];
  return [
    `NOT LIVE YET: ${pending.length} rule set version(s) wait for a second person's approval, not their author's (exit code ${EXIT.pendingApproval}):`,
    ...pending.map((i) => `  rule set ${i.id} version ${i.version} sha256:${i.checksum.slice(0, 12)}`),
  ];
}

/**
 * `loopgate deploy`: validates, publishes changed rule sets as new production versions (they wait
 * for a second person's approval: exit code 6 until they are live), deploys the flow files to
 * Node-RED at the revision it read (a stale revision is refused; under flow change control the flows
 * become a pending flow version, exit code 6 until a second engineer signs), and records the deployment with
 * every version and checksum. When nothing changed it writes nothing.
 */
export async function deployCommand(
  paths: string[],
  options: DeployOptions,
  gateway: GatewayClient,
  out: Output,
): Promise<number> {
  const steps = options.dryRun ? 2 : 5;
  const { report, red, runtime, plan: result } = await plan(paths, options, gateway, out, steps);
  if (options.dryRun) {
    out.result({ ok: true, dryRun: true, ...result }, () => ['dry run: nothing was deployed', ...describePlan(result)]);
    return EXIT.ok;
  }
  for (const line of describePlan(result)) out.note(line);

  const changedRuleSets = result.ruleSets.filter((r) => !r.sameAs);
  const changedFlows = result.flows.filter((f) => !flowUnchanged(f));
  if (changedRuleSets.length + changedFlows.length === 0) {
    const items = [...result.ruleSets.flatMap(existingRuleSet), ...result.flows.map((diff) => flowItem(diff))];
    const pending = items.filter((i) => i.result === 'pending-approval');
    out.result({ ok: true, changed: false, items, pendingApproval: pending }, () => [
      'nothing to deploy: every file is unchanged; nothing was written',
      ...pendingLines(items),
    ]);
    return pending.length ? EXIT.pendingApproval : EXIT.ok;
  }

  out.progress(3, steps, `publishing ${changedRuleSets.length} rule set version(s)`);
  const items: DeploymentItem[] = [];
  for (const [index, diff] of result.ruleSets.entries()) {
    if (diff.sameAs) {
      items.push(...existingRuleSet(diff));
      continue;
    }
    const created = await gateway.run(
      `publishing rule set ${diff.id}`,
      gateway.api.POST('/rulesets/{id}/versions', {
        params: { path: { id: diff.id } },
        body: {
          content: report.ruleSets[index].ruleSet as unknown as Record<string, unknown>,
          environment: 'production',
          ...(options.comment ? { comment: options.comment } : {}),
        },
      }),
    );
    items.push({
      kind: 'rule-set',
      id: diff.id,
      version: String(created.version),
      // The registry's checksum, so the record names exactly the version it stored.
      checksum: created.checksum,
      result: created.status === 'published' ? 'deployed' : 'pending-approval',
    });
  }

  let revisionAfter: string | undefined;
  let pendingFlowVersion: number | undefined;
  out.progress(
    4,
    steps,
    changedFlows.length ? `deploying ${changedFlows.length} flow(s) at revision ${runtime?.rev}` : 'flows unchanged',
  );
  if (runtime && changedFlows.length) {
    const answer = await red.setFlows(
      runtime.rev,
      mergeFlows(
        runtime.flows,
        report.flows.map((f) => f.flow),
      ),
    );
    revisionAfter = answer.rev;
    pendingFlowVersion = answer.pendingVersion;
  }
  items.push(...result.flows.map((diff) => flowItem(diff, pendingFlowVersion !== undefined)));

  out.progress(5, steps, 'recording the deployment');
  const record = await gateway.run(
    'recording the deployment',
    gateway.api.POST('/deployments', {
      body: {
        items,
        ...(report.flows.length ? { nodeRedUrl: red.baseUrl } : {}),
        ...(runtime ? { revisionBefore: runtime.rev } : {}),
        ...(revisionAfter ? { revisionAfter } : {}),
        ...(options.comment ? { comment: options.comment } : {}),
      },
    }),
  );
  const pending = items.filter((i) => i.result === 'pending-approval');
  const flowVersion = pendingFlowVersion !== undefined ? { pendingFlowVersion } : {};
  out.result({ ok: true, changed: true, deployment: record, pendingApproval: pending, ...flowVersion }, () => [
    `deployment ${record.id} by ${record.deployedBy}`,
    ...items.map((i) => `  ${i.kind} ${i.id} ${i.version} ${i.result} sha256:${i.checksum.slice(0, 12)}`),
    ...pendingLines(items),
    ...(pendingFlowVersion !== undefined
      ? [
          `NOT LIVE YET: flow version ${pendingFlowVersion} waits for a second engineer's signature (exit code ${EXIT.pendingApproval})`,
        ]
      : []),
  ]);
  return pending.length ? EXIT.pendingApproval : EXIT.ok;
}

/** A rule set whose content the registry already has: live, or still waiting for approval. */
function existingRuleSet(diff: RuleSetPlan): DeploymentItem[] {
  if (!diff.sameAs) return [];
  const { version, status } = diff.sameAs;
  const result = status === 'published' ? 'unchanged' : 'pending-approval';
  return [{ kind: 'rule-set', id: diff.id, version: String(version), checksum: diff.checksum, result }];
}

function flowItem(diff: FlowDiff, pending = false): DeploymentItem {
  const result = flowUnchanged(diff) ? 'unchanged' : pending ? 'pending-approval' : 'deployed';
  return { kind: 'flow', id: diff.id, version: diff.version, checksum: diff.checksum, result };
}
