import { TargetError } from '../adapter';
import { ClientCredentials } from '../client-credentials';
import { failureOf, mesError, type HttpAnswer, type HttpCall, type HttpTarget } from '../http-transport';
import type { SapDmConfig } from './config';

/*
 * The only file that talks to SAP Digital Manufacturing: its REST APIs' style, with an OAuth
 * client-credentials token from the subaccount, every call scoped to one plant. SFCs (the lots and
 * units in production) under `/sfc/v1`, production orders under `/order/v1`, nonconformances
 * under `/nonconformance/v2`. Changes carry the command's external reference as `referenceId`.
 */

/** An SFC as Loopgate reads it. */
export interface DmSfc {
  sfc: string;
  plant: string;
  /** `NEW`, `IN_QUEUE`, `ACTIVE`, `HOLD`, `DONE`, `SCRAPPED`. */
  status: string;
  /** Who works on it at a resource right now (the SFC is in work there), or null. */
  lockedBy?: string | null;
  /** Done or scrapped SFCs are history: Digital Manufacturing refuses changes to them. */
  modifiable?: boolean;
}

/** A production order as Loopgate reads it. */
export interface DmOrder {
  order: string;
  plant: string;
  /** `RELEASABLE`, `RELEASED`, `ACTIVE`, `HOLD`, `DONE`, `CLOSED`. */
  executionStatus: string;
  lockedBy?: string | null;
  modifiable?: boolean;
}

export interface DmNonconformance {
  id: string;
  incidentNumber: string;
  sfc: string;
  code: string;
  referenceId?: string;
}

/** Digital Manufacturing's codes for a record someone else is changing. */
const LOCK_CODES = new Set(['SfcInWork', 'OrderInWork']);

export class SapDmTransport {
  private readonly target: HttpTarget;
  private readonly credentials: ClientCredentials;

  constructor(
    private readonly config: SapDmConfig,
    label: string,
  ) {
    this.target = { label, secrets: [config.clientSecret] };
    this.credentials = new ClientCredentials(this.target, config);
  }

  async sfc(sfc: string): Promise<DmSfc> {
    const answer = await this.call({ method: 'GET', url: this.url('/sfc/v1/sfcdetail', { sfc }) });
    return answer.body as DmSfc;
  }

  /** Puts SFCs on hold, or releases them back into their operation's queue. */
  async changeHold(sfc: string, hold: boolean, comment: string, referenceId: string): Promise<DmSfc> {
    const answer = await this.call({
      method: 'POST',
      url: this.url(hold ? '/sfc/v1/sfcs/hold' : '/sfc/v1/sfcs/release'),
      json: { plant: this.config.plant, sfcs: [sfc], comment, referenceId },
    });
    const changed = (answer.body as { sfcs?: DmSfc[] } | undefined)?.sfcs?.[0];
    if (!changed) throw new TargetError('unknown', 'BAD_ANSWER', `${this.target.label}: hold answered without the SFC`);
    return changed;
  }

  async order(order: string): Promise<DmOrder> {
    const answer = await this.call({ method: 'GET', url: this.url('/order/v1/orders', { order }) });
    return answer.body as DmOrder;
  }

  async setOrderStatus(order: string, status: string, comment: string, referenceId: string): Promise<DmOrder> {
    const answer = await this.call({
      method: 'POST',
      url: this.url('/order/v1/orders/status'),
      json: { plant: this.config.plant, order, executionStatus: status, comment, referenceId },
    });
    return answer.body as DmOrder;
  }

  async logNonconformance(entry: {
    sfc: string;
    code: string;
    comment: string;
    referenceId: string;
  }): Promise<DmNonconformance> {
    const answer = await this.call({
      method: 'POST',
      url: this.url('/nonconformance/v2/log'),
      json: {
        plant: this.config.plant,
        sfcs: [entry.sfc],
        code: entry.code,
        comment: entry.comment,
        referenceId: entry.referenceId,
      },
    });
    const logged = (answer.body as { nonconformances?: DmNonconformance[] } | undefined)?.nonconformances?.[0];
    if (!logged)
      throw new TargetError('unknown', 'BAD_ANSWER', `${this.target.label}: log answered without the nonconformance`);
    return logged;
  }

  /** Nonconformances logged with `referenceId`, oldest first. */
  async nonconformances(referenceId: string): Promise<DmNonconformance[]> {
    const answer = await this.call({
      method: 'GET',
      url: this.url('/nonconformance/v2/nonconformances', { referenceId }),
    });
    const list = answer.body;
    if (!Array.isArray(list))
      throw new TargetError('transient', 'BAD_ANSWER', `${this.target.label}: nonconformance query answered no list`);
    return list as DmNonconformance[];
  }

  /** The plant answers: the API is up and the credentials are good. */
  async ping(): Promise<void> {
    await this.call({ method: 'GET', url: this.url('/plant/v1/plants') });
  }

  close(): void {
    this.credentials.forget();
  }

  private url(path: string, query: Record<string, string> = {}): string {
    return `${this.config.baseUrl}${path}?${new URLSearchParams({ plant: this.config.plant, ...query }).toString()}`;
  }

  private async call(call: Omit<HttpCall, 'timeoutMs'>): Promise<HttpAnswer> {
    const full: HttpCall = { ...call, timeoutMs: this.config.requestTimeoutMs };
    const answer = await this.credentials.send(full);
    if (answer.status < 400) return answer;
    const failure = failureOf(this.target, full, answer);
    const { code } = mesError(answer.body);
    throw code && LOCK_CODES.has(code) ? new TargetError('locked', 'RECORD_LOCKED', failure.message) : failure;
  }
}
