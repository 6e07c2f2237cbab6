import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type {
  AuditOutcome,
  ElectronicSignature,
  FlowVersion,
  FlowVersionDetail,
  FlowVersionDiff,
  FlowVersionSource,
  SignatureRequest,
} from '@loopgate/contracts';
import { AUDIT_WRITER, type AuditWriter } from '../../common/audit.port';
import { UserError } from '../../common/errors';
import { LOOPGATE_CONFIG, type LoopgateConfig } from '../../config/config';
import { SIGNATURE_SERVICE, type Principal, type SignatureService } from '../../auth/principal';
import type { FlowDeployHandler } from '../../auth/node-red-admin-auth';
import type { FlowSource } from '../../red/node-red';
import type { FlowDeployRequest } from '../../red/red-proxy';
import { readFlowsFile } from '../../red/file-flow-source';
import { approvalRefusal, rejectionRefusal } from '../../rules/domain/approval';
import { diffFlows, flowsChecksum, flowsProblem, flowVersionRecordHash, withoutCredentials } from '../domain/flow-diff';
import type { FlowVersionEntity } from '../persistence/flow-version.entity';
import { FlowVersionNumberTaken, FlowVersionsRepository } from '../persistence/flow-versions.repository';

type FlowNode = Record<string, unknown>;

/** What the flow versions need of the Node-RED process: put flows live. */
export interface FlowRuntime {
  deploy(flows: unknown[]): Promise<void>;
  revision(): Promise<string | undefined>;
}

const INSERT_ATTEMPTS = 5;
const SYSTEM = 'system';

const notFound = (version: number) => new UserError('NOT_FOUND', `flow version ${version} does not exist`, 404);

function describeDiff(diff: FlowVersionDiff): string {
  const part = (sign: string, list: FlowVersionDiff['added']) =>
    list.length ? `${sign}${list.length} [${list.map((n) => `${n.type} ${n.name ?? n.id}`).join(', ')}]` : '';
  return (
    [part('+', diff.added), part('~', diff.changed), part('-', diff.removed)].filter(Boolean).join(' ') ||
    'no node changes'
  );
}

/**
 * Flow change control, like rule sets: every deploy from the editor or the CLI becomes an
 * immutable flow version (flows, checksum, author, node-level diff against what runs); it goes
 * live only when a second engineer signs it (meaning "approved"), unless the site file turns the
 * two-person rule off (audited at every start). Rollback republishes an earlier published version
 * in one action. Every decision is in the audit trail with the checksum and both names.
 */
@Injectable()
export class FlowVersionsService implements FlowSource, FlowDeployHandler, OnApplicationBootstrap {
  private readonly logger = new Logger('FlowVersions');
  private runtime?: FlowRuntime;

  constructor(
    private readonly versions: FlowVersionsRepository,
    @Inject(AUDIT_WRITER) private readonly audit: AuditWriter,
    @Inject(SIGNATURE_SERVICE) private readonly signatures: SignatureService,
    @Inject(LOOPGATE_CONFIG) private readonly config: LoopgateConfig,
  ) {}

  get changeControl(): boolean {
    return this.config.site.nodeRed?.flowChangeControl !== false;
  }

  /** The Node-RED process that published versions are deployed to. */
  attachRuntime(runtime: FlowRuntime): void {
    this.runtime = runtime;
  }

  /** At start: the site's flow file (LOOPGATE_FLOW_FILE) becomes the live version when it differs from it. */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.nodeRed) return;
    if (!this.changeControl) {
      await this.record(
        'accepted',
        'flow-change-control-off',
        SYSTEM,
        undefined,
        "flow change control is OFF (site file nodeRed.flowChangeControl: false): one engineer's deploy goes live at once",
      );
    }
    const live = await this.versions.live();
    if (this.config.flowFile) {
      const flows = readFlowsFile(this.config.flowFile) as FlowNode[];
      const problem = flowsProblem(flows);
      if (problem) throw new UserError('INVALID_FLOWS', `${this.config.flowFile}: ${problem}`, 400);
      if (live?.checksum !== flowsChecksum(flows))
        await this.store(flows, SYSTEM, 'start', 'published', {
          comment: `from LOOPGATE_FLOW_FILE ${this.config.flowFile}`,
        });
    }
  }

  /** The flows Node-RED must run: the live version (credentials stay in Node-RED's own encrypted file). */
  async runningFlows(): Promise<unknown[]> {
    const live = await this.versions.live();
    return live ? (JSON.parse(live.content) as FlowNode[]).map(withoutCredentials) : [];
  }

  async list(limit = 100): Promise<FlowVersion[]> {
    const live = await this.versions.live();
    return (await this.versions.headers(limit)).map((v) => this.view(v, live?.version));
  }

  async get(version: number): Promise<FlowVersionDetail> {
    const entity = await this.versions.find(version);
    if (!entity) throw notFound(version);
    const live = await this.versions.live();
    const flows = (JSON.parse(entity.content) as FlowNode[]).map(withoutCredentials);
    return { ...this.view(entity, live?.version), flows };
  }

  /** A deploy through the editor (POST /red/flows), intercepted by the gateway's proxy. */
  async deploy(request: FlowDeployRequest): Promise<{ status: number; body: unknown } | 'forward'> {
    // A reload restarts the same flows: nothing changes, nothing to approve.
    if (request.deploymentType === 'reload') return 'forward';
    let parsed: unknown;
    try {
      parsed = JSON.parse(request.body.toString('utf8'));
    } catch {
      throw new UserError('MALFORMED_JSON', 'the deploy body is not valid JSON', 400);
    }
    const body = Array.isArray(parsed) ? { flows: parsed } : (parsed as { flows?: unknown; rev?: unknown });
    if (typeof body.rev === 'string' && this.runtime) {
      const current = await this.runtime.revision();
      if (current !== undefined && current !== body.rev)
        return { status: 409, body: { code: 'version_mismatch', message: 'Error' } };
    }
    const problem = flowsProblem(body.flows);
    if (problem) throw new UserError('INVALID_FLOWS', `not a Node-RED flow configuration: ${problem}`, 400);
    const checksum = flowsChecksum(body.flows as FlowNode[]);
    // The same flows again restart nothing new: Node-RED may take them as they are.
    if ((await this.versions.live())?.checksum === checksum) return 'forward';
    const newest = await this.versions.newest();
    const principal: Principal = {
      kind: 'user',
      id: request.user.username,
      displayName: request.user.username,
      roles: [],
    };
    const version =
      newest?.status === 'pending-approval' && newest.checksum === checksum
        ? this.view(newest, undefined)
        : await this.submit(body.flows, principal, 'editor');
    if (version.status === 'published') return { status: 200, body: { rev: await this.runtime?.revision() } };
    return {
      status: 403,
      body: {
        code: 'FLOW_APPROVAL_REQUIRED',
        message: `Flow version ${version.version} waits for a second engineer to sign it (Loopgate console, Flow versions); nothing changed in the running flows. ${describeDiff(version.diff)}`,
        version: version.version,
      },
    };
  }

  /** Stores flows as a new version: pending a second signature, or live at once when change control is off. */
  async submit(flows: unknown, actor: Principal, source: FlowVersionSource, comment?: string): Promise<FlowVersion> {
    if (actor.kind !== 'user')
      throw new UserError('SIGNATURE_REQUIRED', 'only a person can submit a flow version', 403);
    const problem = flowsProblem(flows);
    if (problem)
      throw new UserError('INVALID_FLOWS', `not a Node-RED flow configuration: ${problem}`, 400, [
        { code: 'INVALID_FLOWS', path: '$.flows', message: problem },
      ]);
    const nodes = flows as FlowNode[];
    // Node-RED does not load exec unless the site enables it; a flow using it would stop every flow.
    const exec = this.config.site.nodeRed?.enableExec === true ? -1 : nodes.findIndex((n) => n.type === 'exec');
    if (exec >= 0)
      throw new UserError(
        'EXEC_DISABLED',
        `node ${String(nodes[exec].id)} is an exec node, which this site does not enable (nodeRed.enableExec)`,
        400,
        [{ code: 'EXEC_DISABLED', path: `$.flows[${exec}]`, message: 'exec is not enabled on this site' }],
      );
    const checksum = flowsChecksum(nodes);
    const newest = await this.versions.newest();
    if (newest && newest.checksum === checksum && newest.status !== 'rejected')
      throw new UserError(
        'VERSION_EXISTS',
        `flow version ${newest.version} already has these flows (${newest.status})`,
        409,
      );
    const status = this.changeControl ? 'pending-approval' : 'published';
    return this.store(nodes, actor.id, source, status, comment !== undefined ? { comment } : {});
  }

  approve(version: number, request: SignatureRequest, signer: Principal): Promise<FlowVersion> {
    return this.decide(version, request, signer, 'approved');
  }

  reject(version: number, request: SignatureRequest, signer: Principal): Promise<FlowVersion> {
    return this.decide(version, request, signer, 'rejected');
  }

  /** Puts an earlier published version live again, in one action: it was signed by two people when it first went live. */
  async rollback(version: number, actor: Principal, comment?: string): Promise<FlowVersion> {
    if (actor.kind !== 'user') throw new UserError('SIGNATURE_REQUIRED', 'only a person can roll flows back', 403);
    const target = await this.versions.find(version);
    if (!target) throw notFound(version);
    if (target.status !== 'published')
      throw new UserError(
        'NOT_PUBLISHED',
        `flow version ${version} never ran (${target.status}): only a published version can be rolled back to`,
        409,
      );
    const live = await this.versions.live();
    if (live?.checksum === target.checksum)
      throw new UserError(
        'ALREADY_LIVE',
        `flow version ${live.version} already runs the flows of version ${version}`,
        409,
      );
    return this.store(JSON.parse(target.content) as FlowNode[], actor.id, 'rollback', 'published', {
      comment: comment ?? `rollback to version ${version}`,
      rollbackOf: version,
    });
  }

  private async decide(
    version: number,
    request: SignatureRequest,
    signer: Principal,
    meaning: 'approved' | 'rejected',
  ): Promise<FlowVersion> {
    if (request.meaning !== meaning) {
      throw new UserError(
        'MEANING_MISMATCH',
        `this signature means ${request.meaning}, this action needs ${meaning}`,
        400,
        [{ code: 'MEANING_MISMATCH', path: '$.meaning', message: `must be ${meaning}` }],
      );
    }
    const entity = await this.versions.find(version);
    if (!entity) throw notFound(version);
    const review = { version, status: entity.status, author: entity.author, environment: 'production' };
    const live = await this.versions.live();
    const refusal =
      meaning === 'approved' ? approvalRefusal(review, signer, live?.version) : rejectionRefusal(review, signer);
    if (refusal) throw refusal;
    const { roles: _roles, ...signature } = await this.signatures.sign({
      username: signer.id,
      password: request.password,
      meaning,
      recordHash: flowVersionRecordHash(entity),
    });
    const decided = await this.versions.decide(version, {
      status: meaning === 'approved' ? 'published' : 'rejected',
      decidedBy: signature.signer,
      decidedAt: signature.signedAt,
      signatureJson: JSON.stringify(signature),
    });
    if (!decided)
      throw new UserError('NOT_PENDING', `flow version ${version} was decided by someone else meanwhile`, 409);
    await this.record(
      meaning,
      meaning === 'approved' ? 'flow-version-approve' : 'flow-version-reject',
      signer.id,
      version,
      `flow version ${version} by ${entity.author} ${meaning === 'approved' ? 'approved and deployed' : 'rejected'} by ${signature.signer} (sha256 ${entity.checksum})${request.comment ? `: ${request.comment}` : ''}`,
      signature,
    );
    if (meaning === 'approved') await this.putLive(JSON.parse(entity.content) as FlowNode[], version);
    return this.view(
      {
        ...entity,
        status: meaning === 'approved' ? 'published' : 'rejected',
        decidedBy: signature.signer,
        decidedAt: signature.signedAt,
      },
      meaning === 'approved' ? version : live?.version,
    );
  }

  private async store(
    flows: FlowNode[],
    author: string,
    source: FlowVersionSource,
    status: 'pending-approval' | 'published',
    options: { comment?: string; rollbackOf?: number },
  ): Promise<FlowVersion> {
    const checksum = flowsChecksum(flows);
    for (let attempt = 1; ; attempt++) {
      const newest = await this.versions.newest();
      const live = await this.versions.live();
      const running = live ? (JSON.parse(live.content) as FlowNode[]) : [];
      const entity: FlowVersionEntity = {
        version: (newest?.version ?? 0) + 1,
        checksum,
        content: JSON.stringify(flows),
        author,
        createdAt: new Date().toISOString(),
        status,
        source,
        nodeCount: flows.length,
        diffJson: JSON.stringify(diffFlows(running, flows, live?.version)),
        comment: options.comment?.slice(0, 500) ?? null,
        rollbackOf: options.rollbackOf ?? null,
        decidedBy: null,
        decidedAt: null,
        signatureJson: null,
      };
      try {
        await this.versions.insert(entity);
      } catch (error) {
        if (error instanceof FlowVersionNumberTaken && attempt < INSERT_ATTEMPTS) continue;
        throw error;
      }
      const diff = JSON.parse(entity.diffJson) as FlowVersionDiff;
      const what =
        options.rollbackOf !== undefined
          ? `rolls back to version ${options.rollbackOf} and is live`
          : status === 'published'
            ? `is live (${source}${this.changeControl ? '' : ', change control off'})`
            : 'waits for a second engineer';
      await this.record(
        status === 'published' ? 'accepted' : 'pending',
        options.rollbackOf !== undefined ? 'flow-version-rollback' : 'flow-version',
        author,
        entity.version,
        `flow version ${entity.version} by ${author} ${what} (sha256 ${checksum}): ${describeDiff(diff)}${options.comment ? `; ${options.comment}` : ''}`,
      );
      if (status === 'published') await this.putLive(flows, entity.version);
      return this.view(entity, status === 'published' ? entity.version : live?.version);
    }
  }

  private async putLive(flows: FlowNode[], version: number): Promise<void> {
    if (!this.runtime) return;
    try {
      await this.runtime.deploy(flows);
    } catch (error) {
      // The version is live in the store; Node-RED loads it at its next start.
      this.logger.error(`deploying flow version ${version} to Node-RED failed: ${(error as Error).message}`);
    }
  }

  private view(entity: Omit<FlowVersionEntity, 'content'>, liveVersion: number | undefined): FlowVersion {
    return {
      version: entity.version,
      checksum: entity.checksum,
      author: entity.author,
      createdAt: entity.createdAt,
      status: entity.status as FlowVersion['status'],
      source: entity.source as FlowVersionSource,
      nodeCount: entity.nodeCount,
      diff: JSON.parse(entity.diffJson) as FlowVersionDiff,
      ...(entity.comment ? { comment: entity.comment } : {}),
      ...(entity.rollbackOf !== null ? { rollbackOf: entity.rollbackOf } : {}),
      ...(entity.decidedBy ? { decidedBy: entity.decidedBy } : {}),
      ...(entity.decidedAt ? { decidedAt: entity.decidedAt } : {}),
      live: entity.version === liveVersion,
    };
  }

  private async record(
    outcome: AuditOutcome,
    action: string,
    actor: string,
    version: number | undefined,
    message: string,
    signature?: ElectronicSignature,
  ): Promise<void> {
    await this.audit.append({
      outcome,
      action,
      actor,
      lineage: version !== undefined ? { flowVersion: String(version) } : {},
      message,
      ...(signature ? { signature } : {}),
    });
  }
}
