import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { OutcomeStream } from '../../gateway/services/outcome-stream';

/** How often the store is asked for newly published versions. */
export const PUBLICATION_POLL_MS = 1000;

interface Published {
  rule_set_id: string;
  version: number | string;
  checksum: string;
}

/**
 * Tells rule nodes at once when a rule set version is published: a `ruleset` message on the
 * outcome stream (`GET /outcomes/stream?types=ruleset`). Publications are read from the store every
 * second, so a version published through another gateway process reaches this process's nodes
 * within a second too; a publication here is announced as soon as it is stored.
 */
@Injectable()
export class RuleSetPublications implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('RuleSetPublications');
  private readonly known = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private seeded = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly stream: OutcomeStream,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.check();
    this.timer = setInterval(
      () => void this.check().catch((e: Error) => this.logger.warn(e.message)),
      PUBLICATION_POLL_MS,
    );
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Reads the newest published version of every rule set and announces those that changed. */
  check(): Promise<void> {
    this.running ??= this.read().finally(() => (this.running = undefined));
    return this.running;
  }

  private async read(): Promise<void> {
    const rows = (await this.dataSource.query(
      `SELECT v."rule_set_id", v."version", v."checksum" FROM "rule_set_versions" v
         WHERE v."status" = 'published' AND v."version" = (
           SELECT MAX(w."version") FROM "rule_set_versions" w
            WHERE w."rule_set_id" = v."rule_set_id" AND w."status" = 'published')`,
    )) as Published[];
    for (const row of rows) {
      const version = Number(row.version);
      const mark = `${version}:${row.checksum}`;
      if (this.known.get(row.rule_set_id) === mark) continue;
      this.known.set(row.rule_set_id, mark);
      // The first read learns what is published already; nodes load that on their own.
      if (this.seeded) {
        this.stream.publish({
          type: 'ruleset',
          ruleSet: { ruleSetId: row.rule_set_id, version, checksum: row.checksum },
        });
      }
    }
    this.seeded = true;
  }
}
