import * as fs from 'node:fs';
import type { TargetKind } from '@loopgate/contracts';

/** A target of the demo site file, as the gateway's site file holds it. */
export interface DemoSiteTarget {
  instance: string;
  kind: TargetKind;
  connection: unknown;
  guardrails?: Record<string, unknown>;
  approvals?: Record<string, unknown>[];
}

/**
 * The demo site's targets and governance (what a plant's change control would configure; flows
 * cannot change any of it) from its one checked-in file, `docker/demo/site.json`: the compose demo
 * mounts it, the in-process demo points its connections at its own simulators, and CI validates
 * the example flows against it.
 */
export function readDemoSite(file: string): DemoSiteTarget[] {
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { targets: DemoSiteTarget[] }).targets;
}

/** The demo site's earned-autonomy section (scopes and their first levels), if it has one. */
export function readDemoAutonomy(file: string): Record<string, unknown> | undefined {
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { autonomy?: Record<string, unknown> }).autonomy;
}

/** Demo users, one per role, plus a second engineer for the two-person rule. */
export const DEMO_USERS = [
  { username: 'engineer', displayName: 'Erin Engineer', roles: ['engineer'] },
  { username: 'engineer2', displayName: 'Sam Second-Engineer', roles: ['engineer'] },
  { username: 'operator', displayName: 'Olga Operator', roles: ['operator'] },
  { username: 'qa', displayName: 'Quinn QA', roles: ['qa'] },
  { username: 'viewer', displayName: 'Vic Viewer', roles: ['viewer'] },
] as const;

export const DEMO_PASSWORD = 'loopgate-demo';
