import { TargetError } from '../adapter';
import { failureOf, sendHttp, type HttpAnswer, type HttpCall, type HttpTarget } from '../http-transport';
import type { CmmsConfig } from './config';

/*
 * The only file that talks to the CMMS: Maximo-style object-structure REST under `/maximo/oslc`,
 * lean JSON, the `apikey` header. Mutating requests carry the command's external reference as
 * `X-Correlation-ID`; creates also store it in the work order's `externalrefid`.
 */

/** A work order as Loopgate reads it (lean JSON, `oslc.select`ed). */
export interface MaximoWorkOrder {
  href: string;
  wonum: string;
  workorderid?: number;
  status?: string;
  siteid?: string;
  assetnum?: string;
  description?: string;
  wopriority?: number;
  externalrefid?: string;
  historyflag?: boolean;
  /** The site's record-lock attribute; `null` or absent when nobody holds the record. */
  lockedby?: string | null;
  [field: string]: unknown;
}

export interface NewWorkOrder {
  assetnum: string;
  description: string;
  worktype: string;
  wopriority?: number;
  externalrefid: string;
}

const SELECT =
  'wonum,workorderid,status,siteid,assetnum,description,worktype,wopriority,externalrefid,historyflag,lockedby';

/** Maximo reason codes that mean someone else changed or holds the record. */
const CONCURRENCY_CODES = new Set(['BMXAA8229W']);

/** Maximo's REST id of a work order: `_` + base64 of its unique key (site, work order number). */
export function maximoRestId(siteId: string, wonum: string): string {
  return `_${Buffer.from(`${siteId}/${wonum}`).toString('base64url')}`;
}

/** An `oslc.where` string literal; Maximo has no escape for `"`, so values holding one are refused. */
function whereLiteral(value: string, what: string): string {
  if (value.includes('"'))
    throw new TargetError('rejected', 'INVALID_COMMAND', `${what} must not contain a double quote`);
  return `"${value}"`;
}

/** Maximo's `{ Error: { reasonCode, message } }`. */
function maximoError(body: unknown): { reasonCode?: string; message?: string } {
  const error = (body as { Error?: { reasonCode?: unknown; message?: unknown } } | undefined)?.Error;
  if (typeof error !== 'object' || error === null) return {};
  return {
    reasonCode: typeof error.reasonCode === 'string' ? error.reasonCode : undefined,
    message: typeof error.message === 'string' ? error.message : undefined,
  };
}

/** Maximo's reason code for a duplicate key. */
const ALREADY_EXISTS = 'BMXAA4129E';

export class CmmsTransport {
  private readonly target: HttpTarget;

  constructor(
    private readonly config: CmmsConfig,
    label: string,
  ) {
    this.target = { label, secrets: [config.apiKey] };
  }

  private get api(): string {
    return `${this.config.baseUrl}/maximo/oslc`;
  }

  /** Work orders of the configured site whose fields equal `where`. */
  async findWorkOrders(where: Record<string, string>): Promise<MaximoWorkOrder[]> {
    const clauses = Object.entries({ siteid: this.config.siteId, ...where }).map(
      ([field, value]) => `${field}=${whereLiteral(value, field)}`,
    );
    const query = new URLSearchParams({ lean: '1', 'oslc.select': SELECT, 'oslc.where': clauses.join(' and ') });
    const answer = await this.call({ method: 'GET', url: `${this.api}/os/mxwo?${query.toString()}` });
    const member = (answer.body as { member?: unknown } | undefined)?.member;
    if (!Array.isArray(member)) {
      throw new TargetError('transient', 'BAD_ANSWER', `${this.target.label}: query answer has no member array`);
    }
    return member as MaximoWorkOrder[];
  }

  /** Creates a work order; resolves with the created record (Maximo returns it when `properties` asks). */
  async createWorkOrder(workOrder: NewWorkOrder): Promise<MaximoWorkOrder> {
    const answer = await this.call(
      {
        method: 'POST',
        url: `${this.api}/os/mxwo?lean=1`,
        headers: { properties: SELECT },
        json: { siteid: this.config.siteId, ...workOrder },
      },
      workOrder.externalrefid,
    );
    const body = answer.body as Partial<MaximoWorkOrder> | undefined;
    if (typeof body?.wonum !== 'string') {
      throw new TargetError('unknown', 'BAD_ANSWER', `${this.target.label}: create answered without the work order`);
    }
    return body as MaximoWorkOrder;
  }

  async changeStatus(wonum: string, status: string, memo: string, externalRef: string): Promise<void> {
    const url = `${this.api}/os/mxwo/${maximoRestId(this.config.siteId, wonum)}?lean=1&action=wsmethod:changeStatus`;
    await this.call(
      { method: 'POST', url, headers: { 'x-method-override': 'PATCH' }, json: { status, memo } },
      externalRef,
    );
  }

  /**
   * Appends a work-log entry (Maximo's WORKLOG object structure), unique per `externalrefid`. An
   * entry sent before answers BMXAA4129E ("record already exists"): recorded, not an error.
   */
  async postWorkLog(entry: {
    externalrefid: string;
    logtype: string;
    createdate: string;
    description: string;
    description_longdescription: string;
  }): Promise<void> {
    try {
      await this.call(
        { method: 'POST', url: `${this.api}/os/mxworklog?lean=1`, json: { siteid: this.config.siteId, ...entry } },
        entry.externalrefid,
      );
    } catch (error) {
      if (error instanceof TargetError && error.code === 'MES_ALREADY_EXISTS') return;
      throw error;
    }
  }

  /** The CMMS answers and accepts the API key. */
  async ping(): Promise<void> {
    await this.call({ method: 'GET', url: `${this.api}/whoami` });
  }

  private async call(call: Omit<HttpCall, 'timeoutMs'>, externalRef?: string): Promise<HttpAnswer> {
    const full: HttpCall = {
      ...call,
      headers: {
        ...call.headers,
        apikey: this.config.apiKey.reveal(),
        ...(externalRef ? { 'x-correlation-id': externalRef } : {}),
      },
      timeoutMs: this.config.requestTimeoutMs,
    };
    const answer = await sendHttp(this.target, full);
    if (answer.status >= 400) throw this.classify(full, answer);
    return answer;
  }

  private classify(call: HttpCall, answer: HttpAnswer): TargetError {
    const { reasonCode, message } = maximoError(answer.body);
    // Maximo's error body differs from the OData one `failureOf` reads: give it the same shape.
    const failure = failureOf(
      this.target,
      call,
      reasonCode ? { ...answer, body: { error: { code: reasonCode, message } } } : answer,
    );
    if (reasonCode && CONCURRENCY_CODES.has(reasonCode))
      return new TargetError('locked', 'RECORD_LOCKED', failure.message);
    if (reasonCode === ALREADY_EXISTS) return new TargetError('rejected', 'MES_ALREADY_EXISTS', failure.message);
    if (answer.status === 400 && reasonCode) return new TargetError('rejected', 'MES_REJECTED', failure.message);
    return failure;
  }
}
