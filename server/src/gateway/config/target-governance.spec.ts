import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../config/config';
import { parseTargetGovernance } from './target-governance';

function problems(raw: { guardrails?: unknown; approvals?: unknown }): string[] {
  try {
    parseTargetGovernance(raw as never, 2);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('parseTargetGovernance', () => {
  it('turns valid guardrails and approvals into a policy with defaults', () => {
    const governance = parseTargetGovernance(
      {
        guardrails: {
          interlocks: [{ parameter: 'Interlock*' }],
          limits: [{ parameter: 'FeedRate', min: 100, max: 2000, maxStepPercent: 5 }],
          retry: { maxAttempts: 3 },
        },
        approvals: [{ name: 'lot release', actions: ['release-lot'], requiresQuality: true }],
      },
      0,
    );
    expect(governance.policy).toMatchObject({
      interlocks: [{ parameter: 'Interlock*' }],
      limits: [{ parameter: 'FeedRate', min: 100, max: 2000, maxStepPercent: 5 }],
      overrideHoldSeconds: 900,
      retry: { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 5000 },
    });
    expect(governance.approvals).toEqual([{ name: 'lot release', actions: ['release-lot'], requiresQuality: true }]);
  });

  it('accepts a target without guardrails or approvals', () => {
    expect(parseTargetGovernance({}, 0).policy.limits).toEqual([]);
  });

  it('names a bad limit field with its full path', () => {
    expect(problems({ guardrails: { limits: [{ parameter: 'A' }, { parameter: 'B', maxStepPercent: -1 }] } })).toEqual([
      'site.targets[2].guardrails.limits[1].maxStepPercent: maxStepPercent must be a positive number',
    ]);
  });

  it('refuses unknown guardrail fields', () => {
    expect(problems({ guardrails: { maxStepPct: 2 } })[0]).toMatch(/^site\.targets\[2\]\.guardrails\.maxStepPct: /);
  });

  it('refuses min above max', () => {
    expect(problems({ guardrails: { limits: [{ parameter: 'A', min: 5, max: 1 }] } })).toEqual([
      'site.targets[2].guardrails.limits[0].min: min must not be greater than max',
    ]);
  });

  it('refuses an unknown action in an approval rule', () => {
    expect(problems({ approvals: [{ name: 'x', actions: ['launch-missile'] }] })[0]).toMatch(
      /^site\.targets\[2\]\.approvals\[0\]\.actions: /,
    );
  });

  it('refuses an approval rule without a name', () => {
    expect(problems({ approvals: [{ actions: ['release-lot'] }] })[0]).toMatch(
      /^site\.targets\[2\]\.approvals\[0\]\.name: /,
    );
  });
});
