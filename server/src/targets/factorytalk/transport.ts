import type { ParameterValue } from '@loopgate/contracts';
import { TargetError } from '../adapter';
import { failureOf, mesError, sendHttp, type HttpAnswer, type HttpCall, type HttpTarget } from '../http-transport';
import type { FactoryTalkConfig } from './config';

/*
 * The only file that talks to FactoryTalk ProductionCentre: work orders under `/api/workorders`,
 * recipe parameters through the recipe management API under `/api/recipes`, and their locks.
 */

/** A work order as ProductionCentre answers it. */
export interface FtWorkOrder {
  id: string;
  status: string;
  workCenter: string;
  /** Per field, the user of its last change. */
  lastChangedBy?: Record<string, string>;
  inProgress: boolean;
  /** `Open`, `Locked` (record lock), `Audited` or `Closed`. */
  recordState: string;
  lock: { holder: string; expiresAt: string | null } | null;
}

export interface FtRecipeParameter {
  recipe: string;
  name: string;
  value: ParameterValue | null;
  /** The user of the last change, as ProductionCentre records it. */
  lastChangedBy?: string | null;
  dataType: string;
  recordState: string;
  lock: { holder: string; expiresAt: string | null } | null;
}

export interface FtLock {
  lockToken: string;
  /** ISO 8601. */
  expiresAt: string;
}

/** Which lockable resource: a work order or a recipe (locks are per recipe, not per parameter). */
export type FtResource = { kind: 'workorders' | 'recipes'; id: string };

/** ProductionCentre's error codes and the failure kind each one means. */
const CODES: Record<string, { kind: 'locked' | 'rejected'; code: string }> = {
  LockedByOtherUser: { kind: 'locked', code: 'LOCKED_BY_OTHER' },
  RecordLocked: { kind: 'locked', code: 'RECORD_LOCKED' },
  LockExpired: { kind: 'locked', code: 'LOCK_EXPIRED' },
  LockRequired: { kind: 'locked', code: 'LOCK_REQUIRED' },
  LockTokenInvalid: { kind: 'locked', code: 'LOCK_INVALID' },
  RecordClosed: { kind: 'rejected', code: 'RECORD_CLOSED' },
};

export class FactoryTalkTransport {
  private readonly target: HttpTarget;

  constructor(
    private readonly config: FactoryTalkConfig,
    label: string,
  ) {
    this.target = { label, secrets: [config.password] };
  }

  getWorkOrder(id: string): Promise<FtWorkOrder> {
    return this.json<FtWorkOrder>({ method: 'GET', path: `/api/workorders/${encodeURIComponent(id)}` });
  }

  getRecipeParameter(recipe: string, name: string): Promise<FtRecipeParameter> {
    return this.json<FtRecipeParameter>({
      method: 'GET',
      path: `/api/recipes/${encodeURIComponent(recipe)}/parameters/${encodeURIComponent(name)}`,
    });
  }

  acquireLock(resource: FtResource, holder: string): Promise<FtLock> {
    return this.json<FtLock>({
      method: 'POST',
      path: `${this.pathOf(resource)}/lock`,
      body: { holder, ttlSeconds: this.config.lockTtlSeconds },
    });
  }

  async releaseLock(resource: FtResource, lockToken: string): Promise<void> {
    await this.json({ method: 'DELETE', path: `${this.pathOf(resource)}/lock`, lockToken });
  }

  reroute(id: string, body: { workCenter: string; operations?: number; externalRef: string }, lockToken?: string) {
    return this.json<FtWorkOrder>({
      method: 'PUT',
      path: `/api/workorders/${encodeURIComponent(id)}/route`,
      body,
      lockToken,
    });
  }

  setStatus(id: string, body: { status: string; externalRef: string }, lockToken?: string) {
    return this.json<FtWorkOrder>({
      method: 'PUT',
      path: `/api/workorders/${encodeURIComponent(id)}/status`,
      body,
      lockToken,
    });
  }

  setRecipeParameter(
    recipe: string,
    name: string,
    body: { value: ParameterValue; externalRef: string; reason: string },
    lockToken?: string,
  ) {
    return this.json<FtRecipeParameter & { transactionId?: string }>({
      method: 'PUT',
      path: `/api/recipes/${encodeURIComponent(recipe)}/parameters/${encodeURIComponent(name)}`,
      body,
      lockToken,
    });
  }

  /** Appends an event to ProductionCentre's event log (unique per `eventId`; 409 `AlreadyExists` when sent before). */
  async postEvent(event: {
    eventId: string;
    eventType: string;
    occurredAt: string;
    description: string;
    data: Record<string, unknown>;
  }): Promise<void> {
    await this.json({ method: 'POST', path: '/api/events', body: event });
  }

  /** Lists one work order: the server is up and the credentials are good. */
  async ping(): Promise<void> {
    await this.json({ method: 'GET', path: '/api/workorders?top=1' });
  }

  private pathOf(resource: FtResource): string {
    return `/api/${resource.kind}/${encodeURIComponent(resource.id)}`;
  }

  private async json<T>(request: {
    method: HttpCall['method'];
    path: string;
    body?: unknown;
    lockToken?: string;
  }): Promise<T> {
    const basic = Buffer.from(`${this.config.username}:${this.config.password.reveal()}`).toString('base64');
    const call: HttpCall = {
      method: request.method,
      url: `${this.config.baseUrl}${request.path}`,
      headers: {
        authorization: `Basic ${basic}`,
        ...(request.lockToken ? { 'x-lock-token': request.lockToken } : {}),
      },
      json: request.body,
      timeoutMs: this.config.requestTimeoutMs,
    };
    const answer: HttpAnswer = await sendHttp(this.target, call);
    if (answer.status < 400) return answer.body as T;
    const failure = failureOf(this.target, call, answer);
    const said = mesError(answer.body);
    const known = CODES[said.code ?? ''];
    if (!known) throw failure;
    // ProductionCentre names the holder in its message: "WO-2001 is locked by operator-console".
    const heldBy = known.kind === 'locked' ? /locked by (\S+)/.exec(said.message ?? '')?.[1] : undefined;
    throw new TargetError(known.kind, known.code, failure.message, heldBy ? { heldBy } : undefined);
  }
}
