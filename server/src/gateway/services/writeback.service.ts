import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type {
  AiEpisode,
  ElectronicSignature,
  WriteBackList,
  WriteBackOutcome,
  WriteBackRequest,
} from '@loopgate/contracts';
import { UserError } from '../../common/errors';
import type { Principal, SignatureService, TokenOwners } from '../../auth/principal';
import { SIGNATURE_SERVICE, TOKEN_OWNERS } from '../../auth/principal';
import { HealthRegistry } from '../../health/health.module';
import type { SignatureRequestDto } from '../api/dto/control.dto';
import type { WriteBackQueryDto } from '../api/dto/query.dto';
import { toOutcome } from '../domain/command';
import type { TargetRuntime } from '../engine/ports';
import type { SubmitResult, WriteBackEngine } from '../engine/writeback-engine';
import { StoreMaintenance } from '../audit.module';
import { CommandRepository } from '../persistence/command.repository';
import { actorOf, permissionsOfRoles } from './actor';
import { TARGET_RUNTIMES, WRITEBACK_ENGINE } from './tokens';

/** Request ids the gateway gives its own commands (reverts); a client sending one is refused. */
export const RESERVED_REQUEST_ID_PREFIXES = ['revert:'] as const;

/** Authority from who authenticated: a service token is automation, a signed-in person a person. */
export function initiatorOf(principal: Principal | undefined): 'ai' | 'human' {
  return principal?.kind === 'service' ? 'ai' : 'human';
}

/** Requests, approvals and reverts: validates who asks and delegates to the engine. */
@Injectable()
export class WriteBackService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('WriteBack');

  constructor(
    @Inject(WRITEBACK_ENGINE) private readonly engine: WriteBackEngine,
    @Inject(TARGET_RUNTIMES) private readonly runtimes: TargetRuntime[],
    @Inject(SIGNATURE_SERVICE) private readonly signatures: SignatureService,
    private readonly commands: CommandRepository,
    @Inject(TOKEN_OWNERS) private readonly tokens: TokenOwners,
    private readonly maintenance: StoreMaintenance,
    health: HealthRegistry,
  ) {
    health.register('gateway.dispatch', () => ({
      ok: this.engine.isStarted(),
      critical: true,
      ...(this.engine.isStarted() ? {} : { message: 'dispatch is not running' }),
    }));
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.engine.start();
    this.logger.log(`dispatching to ${this.runtimes.length} target(s)`);
  }

  /** Before the database closes: dispatch drains, pending commits land, adapters close. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.engine.stop();
    await this.maintenance.close();
    await Promise.allSettled(this.runtimes.map((runtime) => runtime.adapter.close()));
  }

  /**
   * Submits a request as the caller: the initiator is who authenticated (a service token is
   * automation, `ai`; a signed-in person is `human`), whatever the body says; request ids the
   * gateway gives its own commands cannot be sent.
   */
  submit(request: WriteBackRequest, principal: Principal | undefined): Promise<SubmitResult> {
    const actor = actorOf(principal);
    const reserved = RESERVED_REQUEST_ID_PREFIXES.find((prefix) => request.requestId.startsWith(prefix));
    if (reserved)
      throw new UserError('RESERVED_REQUEST_ID', `request ids starting with "${reserved}" are the gateway's own`, 400, [
        { code: 'RESERVED_REQUEST_ID', path: '$.requestId', message: `"${reserved}" is reserved for the gateway` },
      ]);
    return this.engine.submit({ ...request, initiator: initiatorOf(principal) }, actor);
  }

  async get(commandId: string): Promise<WriteBackOutcome> {
    const command = await this.engine.get(commandId);
    if (!command) throw new UserError('NOT_FOUND', `no command ${commandId}`, 404);
    return toOutcome(command);
  }

  async list(query: WriteBackQueryDto): Promise<WriteBackList> {
    const { commands, nextBefore, count } = await this.commands.list({
      ...query,
      limit: query.limit ?? 100,
      count: query.count === 'true',
    });
    const outcomes = commands.map(toOutcome);
    return { outcomes, ...(nextBefore ? { nextBefore } : {}), ...(count !== undefined ? { count } : {}) };
  }

  async approvals(): Promise<WriteBackOutcome[]> {
    return (await this.engine.pendingApprovals()).map(toOutcome);
  }

  /**
   * Approve or reject with an electronic signature: eligibility first (pending, not one's own
   * human-initiated change, QA for QA rules), then the password, then the decision is recorded
   * with the signature bound to the pending record's hash.
   */
  async sign(
    commandId: string,
    body: SignatureRequestDto,
    expected: 'approved' | 'rejected',
    principal: Principal | undefined,
  ): Promise<WriteBackOutcome> {
    if (body.meaning !== expected) {
      throw new UserError('VALIDATION_FAILED', `meaning must be "${expected}" on this route`, 400, [
        { code: 'MEANING_MISMATCH', path: '$.meaning', message: `meaning must be "${expected}" on this route` },
      ]);
    }
    const actor = actorOf(principal);
    if (principal?.kind !== 'user')
      throw new UserError('SIGNATURE_REQUIRES_USER', 'only a signed-in person can sign', 403);
    const command = await this.engine.checkSigner(commandId, actor);
    // Nobody signs their own change: the engine refuses its requester, and here the person who
    // created the service token that sent it.
    if ((await this.tokens.ownerOf(command.requestedBy)) === principal.id)
      throw new UserError(
        'SELF_APPROVAL',
        `the change was submitted with ${command.requestedBy}, a token ${principal.id} created; another person signs it`,
        403,
      );
    const signed = await this.signatures.sign({
      username: principal.id,
      password: body.password,
      meaning: body.meaning,
      recordHash: command.approval?.recordHash ?? '',
    });
    const { roles, ...signature } = signed;
    const signer = { ...actor, permissions: permissionsOfRoles('user', roles) };
    return this.engine.decide(commandId, signer, signature as ElectronicSignature, body.comment);
  }

  revert(commandId: string, reason: string, principal: Principal | undefined): Promise<SubmitResult> {
    return this.engine.revert(commandId, reason, actorOf(principal));
  }

  episode(commandId: string): Promise<AiEpisode> {
    return this.engine.episodeOf(commandId);
  }

  revertEpisode(
    commandId: string,
    reason: string,
    principal: Principal | undefined,
  ): Promise<SubmitResult & { episode: AiEpisode }> {
    return this.engine.revertEpisode(commandId, reason, actorOf(principal));
  }

  release(commandId: string, reason: string, principal: Principal | undefined): Promise<WriteBackOutcome> {
    return this.engine.release(commandId, actorOf(principal), reason);
  }

  resolve(
    commandId: string,
    outcome: 'applied' | 'not-applied',
    reason: string,
    principal: Principal | undefined,
  ): Promise<WriteBackOutcome> {
    return this.engine.resolve(commandId, actorOf(principal), outcome, reason);
  }
}
