import { describe, expect, it } from 'vitest';
import {
  approvalNeedsPrior,
  requiredApproval,
  stepApprovalAtDispatch,
  type ApprovalRule,
  type ApprovalSubject,
} from './approval-policy';

const rules: ApprovalRule[] = [
  { name: 'lot release', actions: ['release-lot'], requiresQuality: true, expiresAfterSeconds: 7200 },
  {
    name: 'recipe step above 2 %',
    actions: ['set-parameter'],
    objectTypes: ['recipe-parameter'],
    stepPercentAbove: 2,
    expiresAfterSeconds: 600,
  },
];
const setFeed = (value: number, patch: Partial<ApprovalSubject> = {}): ApprovalSubject => ({
  action: 'set-parameter',
  objectType: 'recipe-parameter',
  objectId: 'CNC-01/OP20',
  parameter: 'FeedRate',
  value,
  initiator: 'ai',
  ...patch,
});

describe('requiredApproval', () => {
  it('requires a QA signature for any lot release', () => {
    const approval = requiredApproval(rules, {
      action: 'release-lot',
      objectType: 'material-lot',
      objectId: 'LOT-1',
      initiator: 'ai',
    });
    expect(approval).toEqual({ rule: 'lot release', requiresQuality: true, expiresAfterSeconds: 7200 });
  });

  it('requires approval for a recipe step above 2 %', () => {
    expect(requiredApproval(rules, setFeed(1030), { value: 1000 })?.rule).toBe('recipe step above 2 %');
  });

  it('lets a recipe step of 2 % or less through', () => {
    expect(requiredApproval(rules, setFeed(1020), { value: 1000 })).toBeUndefined();
  });

  it('requires approval when the target shows no measurable value', () => {
    expect(requiredApproval(rules, setFeed(1020), { value: undefined })?.rule).toBe('recipe step above 2 %');
    expect(requiredApproval(rules, setFeed(1020), { value: 'idle' })?.rule).toBe('recipe step above 2 %');
  });

  it('leaves step rules to dispatch when the target did not answer', () => {
    expect(requiredApproval(rules, setFeed(1020))).toBeUndefined();
  });

  it('does not match other actions', () => {
    expect(
      requiredApproval(rules, { action: 'hold-lot', objectType: 'material-lot', objectId: 'LOT-1', initiator: 'ai' }),
    ).toBeUndefined();
  });

  it('filters on the initiator when a rule names one', () => {
    const humanOnly: ApprovalRule[] = [{ name: 'human changes', initiator: 'human' }];
    expect(requiredApproval(humanOnly, setFeed(1))).toBeUndefined();
    expect(requiredApproval(humanOnly, setFeed(1, { initiator: 'human' }))?.rule).toBe('human changes');
  });

  it('combines matching rules: quality if any needs it, the shortest window', () => {
    const both: ApprovalRule[] = [
      { name: 'a', actions: ['set-parameter'], expiresAfterSeconds: 900 },
      { name: 'b', parameter: 'Feed*', requiresQuality: true, expiresAfterSeconds: 60 },
    ];
    expect(requiredApproval(both, setFeed(1))).toEqual({ rule: 'a', requiresQuality: true, expiresAfterSeconds: 60 });
  });
});

describe('approvalNeedsPrior', () => {
  it('is true when a step rule could match', () => {
    expect(approvalNeedsPrior(rules, setFeed(1))).toBe(true);
  });

  it('is false when no step rule matches statically', () => {
    expect(
      approvalNeedsPrior(rules, { action: 'release-lot', objectType: 'material-lot', objectId: 'L', initiator: 'ai' }),
    ).toBe(false);
  });
});

describe('stepApprovalAtDispatch', () => {
  it('judges step rules from the value read before the write', () => {
    expect(stepApprovalAtDispatch(rules, setFeed(1030), { value: 1000 })?.rule).toBe('recipe step above 2 %');
    expect(stepApprovalAtDispatch(rules, setFeed(1020), { value: 1000 })).toBeUndefined();
  });

  it('ignores rules without step criteria (intake judged them)', () => {
    const all: ApprovalRule[] = [{ name: 'every write', actions: ['set-parameter'] }];
    expect(stepApprovalAtDispatch(all, setFeed(1030), { value: 1000 })).toBeUndefined();
  });
});
