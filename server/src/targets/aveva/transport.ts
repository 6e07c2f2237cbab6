import type { ParameterValue } from '@loopgate/contracts';
import { TargetError } from '../adapter';
import { failureOf, mesError, sendHttp, type HttpAnswer, type HttpCall, type HttpTarget } from '../http-transport';
import { Secret } from '../secret';
import type { AvevaConfig } from './config';

/*
 * The only file that talks to AVEVA: Galaxy attribute reads and writes, the MES web API (lots, work
 * orders) and the Historian REST API. HTTP Basic with the configured service account; every mutating
 * request carries the command's external reference as `X-Correlation-ID`, which AVEVA logs with it.
 */

/** A Galaxy attribute as the runtime reports it. */
export interface GalaxyAttribute {
  reference: string;
  value: ParameterValue | null;
  dataType: string;
  lockedBy: string | null;
  /** `Open`, `Locked`, `Audited` or `Closed`. */
  recordState: string;
}

export interface MesRecord {
  status?: string;
  state?: string;
  lockedBy: string | null;
  recordState: string;
}

export interface AvevaWriteAnswer {
  transactionId?: string;
  value?: ParameterValue;
  status?: string;
  state?: string;
}

export interface HistorianValue {
  FQN: string;
  DateTime: string;
  Value: ParameterValue;
  OpcQuality: number;
  Source?: string;
  User?: string;
  Comment?: string;
}

/** AVEVA's error codes, mapped to Loopgate's stable failure codes. */
const MES_FAILURES: Record<string, { kind: 'rejected' | 'locked'; code: string }> = {
  ObjectLocked: { kind: 'locked', code: 'RECORD_LOCKED' },
  RecordClosed: { kind: 'rejected', code: 'RECORD_CLOSED' },
  AttributeNotWritable: { kind: 'rejected', code: 'NOT_WRITABLE' },
  TypeMismatch: { kind: 'rejected', code: 'TYPE_MISMATCH' },
  LotConsumed: { kind: 'rejected', code: 'LOT_CONSUMED' },
  InvalidStateTransition: { kind: 'rejected', code: 'INVALID_STATE_TRANSITION' },
};

const segment = encodeURIComponent;

/** Quotes a string as an OData literal (`'` doubled). */
function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export class AvevaTransport {
  private readonly target: HttpTarget;
  /** The Basic header is as secret as the password it encodes. */
  private readonly authorization: Secret;

  constructor(
    private readonly config: AvevaConfig,
    label: string,
  ) {
    this.authorization = new Secret(
      `Basic ${Buffer.from(`${config.username}:${config.password.reveal()}`).toString('base64')}`,
    );
    this.target = { label, secrets: [config.password, this.authorization] };
  }

  readAttribute(tagName: string, attribute: string): Promise<GalaxyAttribute> {
    return this.call<GalaxyAttribute>({ method: 'GET', url: this.attributeUrl(tagName, attribute) });
  }

  writeAttribute(
    tagName: string,
    attribute: string,
    value: ParameterValue,
    comment: string,
    externalRef: string,
  ): Promise<AvevaWriteAnswer> {
    return this.call<AvevaWriteAnswer>(
      { method: 'PUT', url: this.attributeUrl(tagName, attribute), json: { value, comment } },
      externalRef,
    );
  }

  readLot(lotId: string): Promise<MesRecord> {
    return this.call<MesRecord>({ method: 'GET', url: `${this.config.baseUrl}/api/mes/lots/${segment(lotId)}` });
  }

  /** Puts a lot on hold (`hold`) or releases it. */
  changeLot(lotId: string, hold: boolean, reason: string, externalRef: string): Promise<AvevaWriteAnswer> {
    const url = `${this.config.baseUrl}/api/mes/lots/${segment(lotId)}/${hold ? 'hold' : 'release'}`;
    return this.call<AvevaWriteAnswer>({ method: 'POST', url, json: { reason } }, externalRef);
  }

  readWorkOrder(woId: string): Promise<MesRecord> {
    return this.call<MesRecord>({ method: 'GET', url: `${this.config.baseUrl}/api/mes/workorders/${segment(woId)}` });
  }

  setWorkOrderState(woId: string, state: string, reason: string, externalRef: string): Promise<AvevaWriteAnswer> {
    const url = `${this.config.baseUrl}/api/mes/workorders/${segment(woId)}/state`;
    return this.call<AvevaWriteAnswer>({ method: 'PUT', url, json: { state, reason } }, externalRef);
  }

  /** The historian's values of one tag (`Object.Attribute`) since `from`. */
  async history(fqn: string, from?: Date): Promise<HistorianValue[]> {
    const filter = [`FQN eq ${odataString(fqn)}`, ...(from ? [`DateTime ge ${from.toISOString()}`] : [])].join(' and ');
    const url = `${this.config.historianUrl}/Historian/v2/ProcessValues?$filter=${encodeURIComponent(filter)}`;
    const body = await this.call<{ value?: unknown }>({ method: 'GET', url });
    if (!Array.isArray(body.value)) {
      throw new TargetError('transient', 'BAD_ANSWER', `${this.target.label}: historian answer has no value array`);
    }
    return body.value as HistorianValue[];
  }

  /** Appends an event to the historian's event store (unique per `Id`; 409 `AlreadyExists` when sent before). */
  async postEvent(event: {
    Id: string;
    Type: string;
    EventTime: string;
    Source: string;
    Description: string;
    Properties: Record<string, unknown>;
  }): Promise<void> {
    await this.call({ method: 'POST', url: `${this.config.historianUrl}/Historian/v2/Events`, json: event }, event.Id);
  }

  /** The Galaxy answers and accepts the credentials. */
  async ping(): Promise<void> {
    await this.call({ method: 'GET', url: `${this.config.baseUrl}/api/galaxy` });
  }

  private attributeUrl(tagName: string, attribute: string): string {
    return `${this.config.baseUrl}/api/galaxy/objects/${segment(tagName)}/attributes/${segment(attribute)}`;
  }

  private async call<T>(call: Omit<HttpCall, 'timeoutMs'>, externalRef?: string): Promise<T> {
    const full: HttpCall = {
      ...call,
      headers: {
        authorization: this.authorization.reveal(),
        ...(externalRef ? { 'x-correlation-id': externalRef } : {}),
      },
      timeoutMs: this.config.requestTimeoutMs,
    };
    const answer = await sendHttp(this.target, full);
    if (answer.status >= 400) throw this.classify(full, answer);
    if (typeof answer.body !== 'object' || answer.body === null) {
      throw new TargetError('transient', 'BAD_ANSWER', `${this.target.label}: answer without a JSON body`);
    }
    return answer.body as T;
  }

  private classify(call: HttpCall, answer: HttpAnswer): TargetError {
    const failure = failureOf(this.target, call, answer);
    const mapped = MES_FAILURES[mesError(answer.body).code ?? ''];
    return mapped ? new TargetError(mapped.kind, mapped.code, failure.message) : failure;
  }
}
