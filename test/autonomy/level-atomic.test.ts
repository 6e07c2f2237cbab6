/**
 * An autonomy level and the audit record that tells of its change are one transaction, on SQLite
 * and PostgreSQL: when the audit trail refuses the record, the level stays where it was and no
 * history row is written; two demotions at once move the level once, with one record.
 */
import type { AuditPage } from '@loopgate/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { FakeTarget } from '../../server/src/gateway/testing/fake-target';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../support/databases';
import { createPilotApp, type PilotApp } from './pilot-app';

const SCOPE = 'opcenter-demo|FeedRate|tool-wear';
const SCOPE_PATH = `/autonomy/scopes/${encodeURIComponent(SCOPE)}`;
const AUTONOMY = {
  scopes: [{ target: 'opcenter-demo', parameter: 'FeedRate', model: 'tool-wear', level: 'autonomous' }],
};

/** Makes every insert into the audit trail fail, as a full disk or a revoked grant would. */
async function refuseAuditInserts(dataSource: DataSource, kind: TestDatabase['kind']): Promise<() => Promise<void>> {
  if (kind === 'sqlite') {
    await dataSource.query(
      `CREATE TRIGGER "refuse_audit" BEFORE INSERT ON "audit_records" BEGIN SELECT RAISE(ABORT, 'audit trail unavailable'); END`,
    );
    return async () => void (await dataSource.query('DROP TRIGGER "refuse_audit"'));
  }
  await dataSource.query(
    `CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit trail unavailable'; END $$ LANGUAGE plpgsql`,
  );
  await dataSource.query(
    'CREATE TRIGGER refuse_audit BEFORE INSERT ON "audit_records" FOR EACH ROW EXECUTE FUNCTION refuse_audit()',
  );
  return async () => {
    await dataSource.query('DROP TRIGGER refuse_audit ON "audit_records"');
    await dataSource.query('DROP FUNCTION refuse_audit()');
  };
}

describe.each(databaseKinds())('autonomy level changes on %s', (kind) => {
  let db: TestDatabase | undefined;
  let gw: PilotApp | undefined;

  afterEach(async () => {
    await gw?.close();
    await db?.cleanup();
    gw = db = undefined;
  });

  async function start(): Promise<PilotApp> {
    db = await createTestDatabase(kind, { name: 'autonomy-atomic' });
    gw = await createPilotApp(
      db,
      new FakeTarget({ instance: 'opcenter-demo', kind: 'opcenter' }),
      AUTONOMY,
      Date.parse('2026-12-01T06:00:00.000Z'),
    );
    return gw;
  }

  const stored = async (app: PilotApp) => {
    const dataSource = app.app.get(DataSource);
    const [scope] = (await dataSource.query(`SELECT "level" FROM "autonomy_scopes" WHERE "scope_id" = '${SCOPE}'`)) as {
      level: string;
    }[];
    const changes = (await dataSource.query(
      `SELECT "kind" FROM "autonomy_level_changes" WHERE "scope_id" = '${SCOPE}' AND "kind" = 'demoted'`,
    )) as unknown[];
    const page = (await (await app.call('GET', '/audit?limit=200', { as: 'ada:admin' })).json()) as AuditPage;
    return {
      level: scope.level,
      demotions: changes.length,
      records: page.records.filter((r) => r.action === 'autonomy-demote'),
    };
  };

  it('leaves the level where it was when the audit trail refuses the record', async () => {
    const app = await start();
    const allow = await refuseAuditInserts(app.app.get(DataSource), kind);
    const refused = await app.call('POST', `${SCOPE_PATH}/demotion`, {
      as: 'olivia:operator',
      body: { reason: 'operators report oscillation' },
    });
    expect(refused.status).toBeGreaterThanOrEqual(500);
    expect(await stored(app)).toEqual({ level: 'autonomous', demotions: 0, records: [] });

    await allow();
    const demoted = await app.call('POST', `${SCOPE_PATH}/demotion`, {
      as: 'olivia:operator',
      body: { reason: 'operators report oscillation' },
    });
    expect(demoted.status).toBe(200);
    const after = await stored(app);
    expect(after).toMatchObject({ level: 'supervised', demotions: 1 });
    expect(after.records).toHaveLength(1);
    expect(after.records[0]).toMatchObject({ actor: 'olivia', reason: 'operators report oscillation' });
  });

  it('two people demoting what they both saw as autonomous move it once: one audit record, the other told LEVEL_CHANGED', async () => {
    const app = await start();
    const answers = await Promise.all(
      ['olivia:operator', 'oscar:operator'].map((as) =>
        app.call('POST', `${SCOPE_PATH}/demotion`, {
          as,
          body: { reason: `demotion by ${as}`, fromLevel: 'autonomous' },
        }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    const refused = answers.find((a) => a.status === 409)!;
    expect(((await refused.json()) as { code: string }).code).toBe('LEVEL_CHANGED');
    const after = await stored(app);
    expect(after).toMatchObject({ level: 'supervised', demotions: 1 });
    expect(after.records).toHaveLength(1);
  });
});
