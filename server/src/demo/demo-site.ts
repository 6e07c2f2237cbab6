import type { TargetKind } from '@loopgate/contracts';

/**
 * The demo site's governance: what a plant's change control would configure. Flows cannot
 * change any of it; the gateway enforces it on every write-back.
 */
export const DEMO_GUARDRAILS: Partial<Record<TargetKind, Record<string, unknown>>> = {
  opcenter: {
    interlocks: [{ parameter: 'SpindleInterlock' }, { parameter: '*Interlock*' }],
    limits: [{ parameter: 'FeedRate', min: 600, max: 1500, maxStepPercent: 10, maxWrites: 60, windowSeconds: 60 }],
    overrideHoldSeconds: 120,
  },
  opcua: {
    interlocks: [{ parameter: '*SpindleInterlock' }],
    limits: [{ parameter: '*FeedRate', min: 600, max: 1500, maxStepPercent: 10 }],
    overrideHoldSeconds: 120,
  },
  aveva: {
    limits: [{ parameter: '*FeedRate*', min: 600, max: 1500, maxStepPercent: 10 }],
    overrideHoldSeconds: 120,
  },
};

/** Changes that need a person in the demo: every lot release (QA), and any recipe step above 5 %. */
export const DEMO_APPROVALS: Partial<Record<TargetKind, Record<string, unknown>[]>> = {
  opcenter: [
    { name: 'lot release needs QA', actions: ['release-lot'], requiresQuality: true },
    { name: 'recipe step above 5 %', actions: ['set-parameter'], stepPercentAbove: 5 },
  ],
  factorytalk: [{ name: 'lot release needs QA', actions: ['release-lot'], requiresQuality: true }],
  aveva: [{ name: 'lot release needs QA', actions: ['release-lot'], requiresQuality: true }],
};

/** Demo users, one per role, plus a second engineer for the two-person rule. */
export const DEMO_USERS = [
  { username: 'engineer', displayName: 'Erin Engineer', roles: ['engineer'] },
  { username: 'engineer2', displayName: 'Sam Second-Engineer', roles: ['engineer'] },
  { username: 'operator', displayName: 'Olga Operator', roles: ['operator'] },
  { username: 'qa', displayName: 'Quinn QA', roles: ['qa'] },
  { username: 'viewer', displayName: 'Vic Viewer', roles: ['viewer'] },
] as const;

export const DEMO_PASSWORD = 'loopgate-demo';
