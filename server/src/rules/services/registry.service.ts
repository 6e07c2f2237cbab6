import { Inject, Injectable, Optional } from '@nestjs/common';
import type {
  AuditOutcome,
  ElectronicSignature,
  RuleSetDraft,
  RuleSetFile,
  RuleSetImportRequest,
  RuleSetImportResult,
  RuleSetSummary,
  RuleSetValidation,
  RuleSetVersion,
  SignatureRequest,
  ValidationIssue,
  ValidationResult,
} from '@loopgate/contracts';
import { TARGET_CATALOGUE } from '@loopgate/contracts';
import {
  diffRuleSets,
  parseRuleSetFile,
  ruleSetChecksum,
  serializeRuleSet,
  validateRuleSetFile,
  type RuleSetDiff,
} from '@loopgate/rules';
import { AUDIT_WRITER, type AuditWriter } from '../../common/audit.port';
import { UserError } from '../../common/errors';
import { SIGNATURE_SERVICE, type Principal, type SignatureService } from '../../auth/principal';
import { approvalRefusal, rejectionRefusal } from '../domain/approval';
import { versionRecordHash } from '../domain/record-hash';
import { ruleSetSummaries } from '../domain/summaries';
import type { RuleSetVersionEntity } from '../persistence/entities';
import { RuleSetDraftsRepository } from '../persistence/rule-set-drafts.repository';
import { RuleSetVersionsRepository, VersionNumberTaken } from '../persistence/rule-set-versions.repository';
import { toRuleSetDraft, toRuleSetVersion } from './mappers';
import { RuleSetPublications } from './rule-set-publications.service';
import { SUPPORTED_ACTIONS, type SupportedActions } from './tokens';

export type Environment = RuleSetVersion['environment'];
/** Which side of a diff: a version, the draft, or what runs in production now. */
export type DiffSide = number | 'draft' | 'live';

const MAX_IMPORT_FILES = 50;
const INSERT_ATTEMPTS = 5;

const notFound = (what: string) => new UserError('NOT_FOUND', `${what} does not exist`, 404);

/**
 * The rule registry: drafts, immutable versions with checksums, the two-person rule for
 * production, rollback, diff, and import/export of `rules/sets` files. Every decision on a
 * version is written to the audit trail.
 */
@Injectable()
export class RuleSetRegistry {
  constructor(
    private readonly versions: RuleSetVersionsRepository,
    private readonly drafts: RuleSetDraftsRepository,
    @Inject(AUDIT_WRITER) private readonly audit: AuditWriter,
    @Inject(SIGNATURE_SERVICE) private readonly signatures: SignatureService,
    @Inject(SUPPORTED_ACTIONS) private readonly supportedActions: SupportedActions,
    @Optional() private readonly publications?: RuleSetPublications,
  ) {}

  async list(): Promise<RuleSetSummary[]> {
    return ruleSetSummaries(await this.versions.allHeaders(), await this.drafts.allHeaders());
  }

  async summary(id: string): Promise<RuleSetSummary> {
    const found = (await this.list()).find((s) => s.id === id);
    if (!found) throw notFound(`rule set ${id}`);
    return found;
  }

  /** Structure and semantics of `content` as rule set `id`, with the actions the configured targets support. */
  check(id: string, content: unknown): ValidationResult<RuleSetFile> {
    const supportedActions = this.supportedActions();
    const checked = validateRuleSetFile(content, {
      actionCatalogue: TARGET_CATALOGUE,
      ...(supportedActions ? { supportedActions } : {}),
    });
    const claimed = (content as { id?: unknown } | null)?.id;
    if (typeof claimed === 'string' && claimed !== id) {
      const mismatch: ValidationIssue = {
        code: 'ID_MISMATCH',
        path: '$.id',
        message: `the file is rule set ${claimed}, not ${id}`,
      };
      return { success: false, issues: [...(checked.success ? [] : checked.issues), mismatch] };
    }
    return checked;
  }

  validate(id: string, content: unknown): RuleSetValidation {
    const checked = this.check(id, content);
    return { valid: checked.success, issues: checked.success ? [] : checked.issues };
  }

  async saveDraft(id: string, content: Record<string, unknown>, actor: Principal): Promise<RuleSetDraft> {
    if (typeof content.id === 'string' && content.id !== id) {
      throw new UserError('ID_MISMATCH', `the draft is rule set ${content.id}, not ${id}`, 400, [
        { code: 'ID_MISMATCH', path: '$.content.id', message: `expected ${id}` },
      ]);
    }
    const entity = {
      ruleSetId: id,
      name: typeof content.name === 'string' && content.name.trim() ? content.name.slice(0, 200) : id,
      content: JSON.stringify(content),
      updatedBy: actor.id,
      updatedAt: new Date().toISOString(),
    };
    await this.drafts.save(entity);
    return toRuleSetDraft(entity, this.validate(id, content).issues);
  }

  async draft(id: string): Promise<RuleSetDraft> {
    const entity = await this.drafts.find(id);
    if (!entity) throw notFound(`a draft of rule set ${id}`);
    return toRuleSetDraft(entity, this.validate(id, JSON.parse(entity.content)).issues);
  }

  async deleteDraft(id: string): Promise<void> {
    if (!(await this.drafts.remove(id))) throw notFound(`a draft of rule set ${id}`);
  }

  async listVersions(id: string): Promise<RuleSetVersion[]> {
    const list = await this.versions.list(id);
    if (list.length === 0) throw notFound(`rule set ${id}`);
    return list.map(toRuleSetVersion);
  }

  /** A version by number, or `latest`: the newest published version of `environment`. */
  async version(
    id: string,
    version: number | 'latest',
    environment: Environment = 'production',
  ): Promise<RuleSetVersion> {
    return toRuleSetVersion(await this.versionEntity(id, version, environment));
  }

  async versionEntity(
    id: string,
    version: number | 'latest',
    environment: Environment = 'production',
  ): Promise<RuleSetVersionEntity> {
    const entity =
      version === 'latest' ? await this.versions.live(id, environment) : await this.versions.find(id, version);
    if (!entity)
      throw notFound(
        version === 'latest'
          ? `a published ${environment} version of rule set ${id}`
          : `rule set ${id} version ${version}`,
      );
    return entity;
  }

  /**
   * Stores a new immutable version. Production versions wait for a second person's approval;
   * test versions are published at once. Refused when it repeats the newest version unchanged.
   */
  async createVersion(
    id: string,
    request: { content?: unknown; fromDraft?: boolean; environment?: Environment; comment?: string },
    actor: Principal,
  ): Promise<RuleSetVersion> {
    if ((request.content === undefined) === !request.fromDraft) {
      throw new UserError('VALIDATION_FAILED', 'give either content or fromDraft: true', 400, [
        { code: 'CONTENT_OR_DRAFT', path: '$.content', message: 'exactly one of content and fromDraft' },
      ]);
    }
    let content = request.content;
    if (request.fromDraft) {
      const draft = await this.drafts.find(id);
      if (!draft) throw notFound(`a draft of rule set ${id}`);
      content = JSON.parse(draft.content);
    }
    const checked = this.check(id, content);
    if (!checked.success)
      throw new UserError('VALIDATION_FAILED', `rule set ${id} is not valid: nothing was stored`, 400, checked.issues);
    return this.store(id, checked.value, request.environment ?? 'production', actor, { comment: request.comment });
  }

  async approve(id: string, version: number, request: SignatureRequest, signer: Principal): Promise<RuleSetVersion> {
    return this.decide(id, version, request, signer, 'approved');
  }

  async reject(id: string, version: number, request: SignatureRequest, signer: Principal): Promise<RuleSetVersion> {
    return this.decide(id, version, request, signer, 'rejected');
  }

  /**
   * Republishes an earlier published version as the newest one. It goes through the same rule as
   * any new version: in production a second person approves it.
   */
  async rollback(
    id: string,
    version: number,
    request: { environment?: Environment; comment?: string },
    actor: Principal,
  ): Promise<RuleSetVersion> {
    const target = await this.versionEntity(id, version);
    if (target.status !== 'published') {
      throw new UserError(
        'NOT_PUBLISHED',
        `version ${version} was never published (${target.status}): only a published version can be rolled back to`,
        409,
      );
    }
    const environment = request.environment ?? (target.environment as Environment);
    const live = await this.versions.live(id, environment);
    if (live?.checksum === target.checksum) {
      throw new UserError(
        'ALREADY_LIVE',
        `version ${live.version} already runs the content of version ${version} in ${environment}`,
        409,
      );
    }
    const file = JSON.parse(target.content) as RuleSetFile;
    return this.store(id, file, environment, actor, {
      comment: request.comment ?? `rollback to version ${version}`,
      rollbackOf: version,
      skipUnchangedCheck: true,
    });
  }

  /** What changed between two versions (or the draft, or what runs in production now). */
  async diff(id: string, from: DiffSide, to: DiffSide): Promise<RuleSetDiff> {
    return diffRuleSets(await this.side(id, from), await this.side(id, to));
  }

  /** A version exactly as `rules/sets/<id>.json` holds it: `sha256sum` of the text equals the checksum. */
  async file(
    id: string,
    version: number | 'latest',
    environment?: Environment,
  ): Promise<{ name: string; text: string; checksum: string; version: number }> {
    const entity = await this.versionEntity(id, version, environment);
    return { name: `${id}.json`, text: entity.content, checksum: entity.checksum, version: entity.version };
  }

  /** Rule set files from `rules/sets` (their text): saved as drafts, or submitted as versions. Each file stands alone. */
  async importFiles(request: RuleSetImportRequest, actor: Principal): Promise<RuleSetImportResult> {
    if (request.files.length > MAX_IMPORT_FILES) {
      throw new UserError('TOO_MANY_FILES', `import at most ${MAX_IMPORT_FILES} files at once`, 400);
    }
    const results: RuleSetImportResult['files'] = [];
    for (const file of request.files) {
      const name = file.name !== undefined ? { name: file.name } : {};
      const parsed = parseRuleSetFile(file.text);
      if (!parsed.success) {
        results.push({ ...name, result: 'invalid', issues: parsed.issues });
        continue;
      }
      const id = parsed.value.id;
      if (file.name !== undefined && file.name !== `${id}.json`) {
        results.push({
          ...name,
          ruleSetId: id,
          result: 'invalid',
          issues: [{ code: 'FILE_NAME_MISMATCH', path: '$.id', message: `rule set ${id} belongs in ${id}.json` }],
        });
        continue;
      }
      if ((request.as ?? 'draft') === 'draft') {
        const draft = await this.saveDraft(id, parsed.value as unknown as Record<string, unknown>, actor);
        results.push({
          ...name,
          ruleSetId: id,
          result: 'draft-saved',
          ...(draft.issues.length ? { issues: draft.issues } : {}),
        });
        continue;
      }
      const checked = this.check(id, parsed.value);
      if (!checked.success) {
        results.push({ ...name, ruleSetId: id, result: 'invalid', issues: checked.issues });
        continue;
      }
      const environment = request.environment ?? 'production';
      const newest = await this.versions.newest(id);
      if (newest && this.repeats(newest, ruleSetChecksum(checked.value), environment)) {
        results.push({ ...name, ruleSetId: id, result: 'unchanged', version: newest.version });
        continue;
      }
      const created = await this.store(id, checked.value, environment, actor, { comment: request.comment });
      results.push({ ...name, ruleSetId: id, result: 'version-created', version: created.version });
    }
    return { files: results };
  }

  private async side(id: string, side: DiffSide): Promise<RuleSetFile> {
    if (side === 'draft') {
      const draft = await this.drafts.find(id);
      if (!draft) throw notFound(`a draft of rule set ${id}`);
      const parsed = parseRuleSetFile(draft.content);
      if (!parsed.success)
        throw new UserError('DRAFT_INVALID', 'the draft is not a well-formed rule set yet', 400, parsed.issues);
      return parsed.value;
    }
    return JSON.parse((await this.versionEntity(id, side === 'live' ? 'latest' : side)).content) as RuleSetFile;
  }

  /** A new version that only repeats the newest one (same content, same environment, not rejected). */
  private repeats(newest: RuleSetVersionEntity, checksum: string, environment: Environment): boolean {
    return newest.checksum === checksum && newest.environment === environment && newest.status !== 'rejected';
  }

  private async store(
    id: string,
    file: RuleSetFile,
    environment: Environment,
    actor: Principal,
    options: { comment?: string; rollbackOf?: number; skipUnchangedCheck?: boolean },
  ): Promise<RuleSetVersion> {
    const text = serializeRuleSet(file);
    const checksum = ruleSetChecksum(file);
    for (let attempt = 1; ; attempt++) {
      const newest = await this.versions.newest(id);
      if (newest && !options.skipUnchangedCheck && this.repeats(newest, checksum, environment)) {
        throw new UserError(
          'VERSION_EXISTS',
          `version ${newest.version} already has this content (${newest.status})`,
          409,
        );
      }
      const entity: RuleSetVersionEntity = {
        ruleSetId: id,
        version: (newest?.version ?? 0) + 1,
        name: file.name.slice(0, 200),
        checksum,
        content: text,
        author: actor.id,
        createdAt: new Date().toISOString(),
        // The two-person rule guards production; a test runtime takes a version at once.
        status: environment === 'production' ? 'pending-approval' : 'published',
        environment,
        comment: options.comment ?? null,
        rollbackOf: options.rollbackOf ?? null,
        decidedBy: null,
        decidedAt: null,
        signatureJson: null,
      };
      try {
        await this.versions.insert(entity);
      } catch (error) {
        // Someone stored the same number first: take the next one.
        if (error instanceof VersionNumberTaken && attempt < INSERT_ATTEMPTS) continue;
        throw error;
      }
      const what = options.rollbackOf !== undefined ? `rolls back to version ${options.rollbackOf}` : 'submitted';
      await this.record(
        entity.status === 'published' ? 'accepted' : 'pending',
        options.rollbackOf !== undefined ? 'rule-set-rollback' : 'rule-set-version',
        actor.id,
        entity,
        `rule set ${id} version ${entity.version} ${what} for ${environment} (sha256 ${checksum})${options.comment ? `: ${options.comment}` : ''}`,
      );
      if (entity.status === 'published') this.announce();
      return toRuleSetVersion(entity);
    }
  }

  private async decide(
    id: string,
    version: number,
    request: SignatureRequest,
    signer: Principal,
    meaning: 'approved' | 'rejected',
  ): Promise<RuleSetVersion> {
    if (request.meaning !== meaning) {
      throw new UserError(
        'MEANING_MISMATCH',
        `this signature means ${request.meaning}, this action needs ${meaning}`,
        400,
        [{ code: 'MEANING_MISMATCH', path: '$.meaning', message: `must be ${meaning}` }],
      );
    }
    const entity = await this.versionEntity(id, version);
    const refusal =
      meaning === 'approved'
        ? approvalRefusal(entity, signer, (await this.versions.live(id, entity.environment))?.version)
        : rejectionRefusal(entity, signer);
    if (refusal) throw refusal;
    const { roles: _roles, ...signature } = await this.signatures.sign({
      username: signer.id,
      password: request.password,
      meaning,
      recordHash: versionRecordHash(entity),
    });
    const decided = await this.versions.decide(id, version, {
      status: meaning === 'approved' ? 'published' : 'rejected',
      decidedBy: signature.signer,
      decidedAt: signature.signedAt,
      signatureJson: JSON.stringify(signature),
    });
    if (!decided) throw new UserError('NOT_PENDING', `version ${version} was decided by someone else meanwhile`, 409);
    await this.record(
      meaning,
      meaning === 'approved' ? 'rule-set-approve' : 'rule-set-reject',
      signer.id,
      entity,
      `rule set ${id} version ${version} ${meaning === 'approved' ? 'approved and published' : 'rejected'} for ${entity.environment}${request.comment ? `: ${request.comment}` : ''}`,
      signature,
    );
    if (meaning === 'approved') this.announce();
    return this.version(id, version);
  }

  /** Running rule nodes hear of a publication made here at once, not at the next read of the store. */
  private announce(): void {
    void this.publications?.check().catch(() => undefined);
  }

  private async record(
    outcome: AuditOutcome,
    action: string,
    actor: string,
    version: Pick<RuleSetVersionEntity, 'ruleSetId' | 'version'>,
    message: string,
    signature?: ElectronicSignature,
  ): Promise<void> {
    await this.audit.append({
      outcome,
      action,
      actor,
      lineage: { ruleSetId: version.ruleSetId, ruleSetVersion: version.version },
      message,
      ...(signature ? { signature } : {}),
    });
  }
}
