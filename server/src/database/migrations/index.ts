import type { MigrationInterface } from 'typeorm';
import { AuditReanchor1767700000000 } from '../../gateway/persistence/migrations/1767700000000-audit-reanchor';
import { WriteBackGateway1767300000000 } from '../../gateway/persistence/migrations/1767300000000-write-back-gateway';
import { EarnedAutonomy1767600000000 } from '../../autonomy/persistence/migrations/1767600000000-earned-autonomy';
import { FlowVersions1767800000000 } from '../../flows/persistence/migrations/1767800000000-flow-versions';
import { KeyAdmissions1767900000000 } from '../../gateway/persistence/migrations/1767900000000-key-admissions';
import { RefusalAlarms1768100000000 } from '../../gateway/persistence/migrations/1768100000000-refusal-alarms';
import { AuditReason1768200000000 } from '../../gateway/persistence/migrations/1768200000000-audit-reason';
import { MesEventLog1768300000000 } from '../../gateway/persistence/migrations/1768300000000-mes-event-log';
import { AuditTargetSequence1768500000000 } from '../../gateway/persistence/migrations/1768500000000-audit-target-sequence';
import { DropStateIndex1768700000000 } from '../../gateway/persistence/migrations/1768700000000-drop-state-index';
import { RuleRegistry1767400000000 } from '../../rules/persistence/migrations/1767400000000-rule-registry';
import { AuthAndDeployments1767200000000 } from './1767200000000-auth-and-deployments';
import { LoginThrottle1768400000000 } from './1768400000000-login-throttle';
import { ApiRequestLimit1768600000000 } from './1768600000000-api-request-limit';

/**
 * Every schema change, in order. Migrations use TypeORM's QueryRunner/Table API so the same
 * class runs on SQLite and PostgreSQL; the schema is never synchronized outside tests.
 * Add new migrations at the end; never edit one that has shipped.
 */
export const MIGRATIONS: (new () => MigrationInterface)[] = [
  AuthAndDeployments1767200000000,
  WriteBackGateway1767300000000,
  RuleRegistry1767400000000,
  EarnedAutonomy1767600000000,
  AuditReanchor1767700000000,
  FlowVersions1767800000000,
  KeyAdmissions1767900000000,
  RefusalAlarms1768100000000,
  AuditReason1768200000000,
  MesEventLog1768300000000,
  LoginThrottle1768400000000,
  AuditTargetSequence1768500000000,
  ApiRequestLimit1768600000000,
  DropStateIndex1768700000000,
];
