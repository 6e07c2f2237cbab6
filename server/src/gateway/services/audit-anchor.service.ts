import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { AuditCheckpoint, AuditFinding } from '@loopgate/contracts';
import { LOOPGATE_CONFIG, type LoopgateConfig } from '../../config/config';
import { auditKeyId, readCheckpoints, signCheckpoint } from '../domain/audit-checkpoint';
import { AuditRepository } from '../persistence/audit.repository';

export const AUDIT_KEY = Symbol('AUDIT_KEY');
/** Milliseconds since the epoch; tests inject their own. */
export const AUDIT_CLOCK = Symbol('AUDIT_CLOCK');

type AnchorConfig = Pick<
  LoopgateConfig,
  'dataDir' | 'auditKey' | 'auditCheckpointRecords' | 'auditCheckpointSeconds' | 'auditCheckpointFile'
>;

/**
 * The key that signs checkpoints: `LOOPGATE_AUDIT_KEY`, else `<dataDir>/audit-key` (generated with
 * mode 0600 on first start, and the log says so). Never written to the database.
 */
export function loadAuditKey(config: Pick<AnchorConfig, 'dataDir' | 'auditKey'>, warn: (m: string) => void): Buffer {
  if (config.auditKey) return Buffer.from(config.auditKey, 'utf8');
  const file = path.resolve(config.dataDir, 'audit-key');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    try {
      fs.writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
      warn(
        `LOOPGATE_AUDIT_KEY is not set: generated an audit checkpoint key in ${file} (mode 0600). ` +
          'Keep it in the site secret store and set LOOPGATE_AUDIT_KEY; auditors need it to verify checkpoints.',
      );
    } catch (error) {
      // Another gateway process sharing the data folder wrote it first.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  const key = fs.readFileSync(file, 'utf8').trim();
  if (key.length < 32) throw new Error(`${file}: the audit key must be at least 32 characters`);
  return Buffer.from(key, 'utf8');
}

/**
 * Anchors the audit chain outside the database: every N new records or T seconds it signs the
 * chain head and appends the checkpoint to the file sink (append-only NDJSON, fit for WORM
 * storage), then tells its listeners (the MES event-log mirror).
 */
@Injectable()
export class AuditAnchor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('AuditAnchor');
  private readonly listeners: ((checkpoint: AuditCheckpoint) => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private last: { sequence: number; at: number } = { sequence: 0, at: 0 };
  private running: Promise<AuditCheckpoint | undefined> | undefined;
  readonly file: string;

  constructor(
    private readonly repository: AuditRepository,
    @Inject(AUDIT_KEY) private readonly key: Buffer,
    @Inject(LOOPGATE_CONFIG) private readonly config: AnchorConfig,
    @Optional() @Inject(AUDIT_CLOCK) private readonly now: () => number = Date.now,
  ) {
    this.file = path.resolve(config.auditCheckpointFile ?? path.join(config.dataDir, 'audit-checkpoints.ndjson'));
  }

  get keyId(): string {
    return auditKeyId(this.key);
  }

  onApplicationBootstrap(): void {
    const latest = this.checkpoints().valid.reduce((max, c) => Math.max(max, c.sequence), 0);
    this.last = { sequence: latest, at: this.now() };
    const period = Math.min(1000, this.config.auditCheckpointSeconds * 1000);
    this.timer = setInterval(() => void this.tick().catch((e: Error) => this.logger.error(e.message)), period);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    // A clean stop anchors whatever was appended since the last checkpoint.
    await this.checkpoint().catch((e: Error) => this.logger.error(`final checkpoint: ${e.message}`));
  }

  onCheckpoint(listener: (checkpoint: AuditCheckpoint) => void): void {
    this.listeners.push(listener);
  }

  /** Checkpoints when N records were appended since the last one, or T seconds passed and the chain grew. */
  async tick(): Promise<AuditCheckpoint | undefined> {
    const head = await this.repository.chainHead();
    const grown = head.sequence - this.last.sequence;
    if (grown <= 0) return undefined;
    const due =
      grown >= this.config.auditCheckpointRecords ||
      this.now() - this.last.at >= this.config.auditCheckpointSeconds * 1000;
    return due ? this.checkpoint() : undefined;
  }

  /** Signs the current chain head and publishes it; nothing when it is already anchored. */
  checkpoint(): Promise<AuditCheckpoint | undefined> {
    this.running ??= this.write().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Checkpoints in the sink: those that verify with the key, and a finding for each that does not. */
  checkpoints(): { valid: AuditCheckpoint[]; forged: AuditFinding[] } {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { valid: [], forged: [] };
      throw error;
    }
    return readCheckpoints(this.key, text);
  }

  private async write(): Promise<AuditCheckpoint | undefined> {
    const head = await this.repository.chainHead();
    if (head.sequence <= this.last.sequence) return undefined;
    const checkpoint = signCheckpoint(this.key, head, new Date(this.now()).toISOString());
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const handle = await fs.promises.open(this.file, 'a', 0o640);
    try {
      await handle.write(`${JSON.stringify(checkpoint)}\n`);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    this.last = { sequence: head.sequence, at: this.now() };
    for (const listener of this.listeners) listener(checkpoint);
    return checkpoint;
  }
}
