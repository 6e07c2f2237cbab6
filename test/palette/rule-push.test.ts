/**
 * A published rule set version reaches the running flow at once: the demo stack's tool-wear flow
 * (embedded Node-RED, rule node following the latest version of tool-wear-feed-compensation with
 * its periodic check at 60 s) evaluates a new version within seconds of the second engineer's
 * signature, announced on the gateway's stream instead of polled.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DecisionRecord, RuleSetFile, RuleSetVersion } from '@loopgate/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../../server/src/demo/api-client';
import type { CncCellSimulator } from '../../server/src/targets/opcua/simulator';
import { DEMO_PASSWORD, eventually, startTestStack, type DemoStack } from '../support/stack';
import { REPO } from './support';

const RULE_SET = 'tool-wear-feed-compensation';

let stack: DemoStack;
let engineer: ApiClient;
let engineer2: ApiClient;

beforeAll(async () => {
  stack = await startTestStack();
  engineer = await stack.signIn('engineer');
  engineer2 = await stack.signIn('engineer2');
  // A worn tool: the flow evaluates the rule set on every spindle-load update.
  (stack.simulators.opcua as unknown as CncCellSimulator).setToolWear(0.95);
});

afterAll(() => stack?.close());

async function newestDecision(): Promise<(DecisionRecord & { id: string }) | undefined> {
  const { decisions } = await engineer.get<{ decisions: (DecisionRecord & { id: string })[] }>(
    `/decisions?ruleSetId=${RULE_SET}&limit=1`,
  );
  return decisions[0];
}

describe('rule set publication', () => {
  it('the running flow evaluates a newly published version within seconds of the approving signature', async () => {
    const before = await eventually(newestDecision, 60_000, 500);
    const file = JSON.parse(
      fs.readFileSync(path.join(REPO, 'rules', 'sets', `${RULE_SET}.json`), 'utf8'),
    ) as RuleSetFile;
    const proposed = await engineer.post<RuleSetVersion>(`/rulesets/${RULE_SET}/versions`, {
      content: { ...file, description: `${file.description ?? ''} (reviewed ${new Date().toISOString()})` },
      environment: 'production',
      comment: 'description updated after the review',
    });
    expect(proposed.version).toBeGreaterThan(before.ruleSetVersion);
    await engineer2.post(`/rulesets/${RULE_SET}/versions/${proposed.version}/approve`, {
      password: DEMO_PASSWORD,
      meaning: 'approved',
    });
    const signedAt = Date.now();
    const after = await eventually(
      async () => {
        const decision = await newestDecision();
        return decision && decision.ruleSetVersion === proposed.version ? decision : undefined;
      },
      15_000,
      100,
    );
    const seconds = (Date.parse(after.time) - signedAt) / 1000;
    console.log(`rule set v${proposed.version} first evaluated ${seconds.toFixed(2)} s after the approving signature`);
    // Announced within a second, loaded at once; the rest is waiting for the next spindle-load update.
    expect(seconds).toBeLessThan(5);
  });
});
