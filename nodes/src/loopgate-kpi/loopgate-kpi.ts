import type { KpiSampleReport } from '@loopgate/contracts';
import { gatewayFor } from '../loopgate-gateway/loopgate-gateway';
import { GatewayError } from '../lib/gateway-client';
import { inputSampleOf } from '../lib/input-samples';
import type { Node, NodeAPI, NodeDef, NodeMessage } from '../lib/node-red';

export const KPI_NODE_TYPE = 'loopgate-kpi';
/** The shortest pause between two samples of one KPI, unless the node says otherwise. */
export const DEFAULT_MIN_INTERVAL_SECONDS = 1;

export type KpiReading =
  | { ok: true; sample: KpiSampleReport }
  | { ok: false; code: 'KPI_MISSING' | 'KPI_NOT_A_NUMBER' | 'KPI_QUALITY_NOT_GOOD'; message: string };

/** OPC UA StatusCode severity (its two top bits): 0 Good, 1 Uncertain, 2 and 3 Bad. */
const severityOf = (statusCode: number) => statusCode >>> 30;

/**
 * A message as one KPI sample: the KPI is the node's, else `msg.topic`; the value `msg.payload` (a
 * number, or a numeric string); the time the source's (`msg.sourceTimestamp`, as
 * node-red-contrib-opcua sets it). A value the source marks Uncertain or Bad is no measurement and
 * is not reported: an effect is judged on good samples only, or is `no-data`.
 *
 * @example
 * kpiReadingOf({ topic: 'ns=1;s=CNC_Cell_01.SpindleLoad', payload: 91.2, statusCode: { value: 0 } }, '')
 * // → { ok: true, sample: { kpi: 'ns=1;s=CNC_Cell_01.SpindleLoad', value: 91.2 } }
 */
export function kpiReadingOf(msg: NodeMessage, fixedKpi: string): KpiReading {
  const kpi = fixedKpi || (typeof msg.topic === 'string' ? msg.topic.trim() : '');
  if (!kpi) return { ok: false, code: 'KPI_MISSING', message: 'name the KPI in the node, or send it as msg.topic' };
  if (kpi.length > 200) return { ok: false, code: 'KPI_MISSING', message: 'a KPI name is at most 200 characters' };
  const raw = msg.payload;
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isFinite(value))
    return {
      ok: false,
      code: 'KPI_NOT_A_NUMBER',
      message: `msg.payload is not a number (${String(raw).slice(0, 40)})`,
    };
  const source = inputSampleOf({ ...msg, topic: kpi });
  if (source?.statusCode !== undefined && severityOf(source.statusCode) !== 0)
    return {
      ok: false,
      code: 'KPI_QUALITY_NOT_GOOD',
      message: `the source marks the value ${severityOf(source.statusCode) === 1 ? 'Uncertain' : 'Bad'} (status 0x${source.statusCode.toString(16).padStart(8, '0')})`,
    };
  return { ok: true, sample: { kpi, value, ...(source?.sourceTime ? { at: source.sourceTime } : {}) } };
}

interface KpiLane {
  lastSentAt: number;
  pending?: KpiSampleReport;
  timer?: NodeJS.Timeout;
}

/**
 * Registers `loopgate-kpi`: reports a flow's measurements of a KPI (an OPC UA value, an MQTT
 * reading) to the gateway, which judges the effect of each write-back on them: the samples of the
 * window before a write against those after. At most one sample per KPI per interval is sent (the
 * newest of the interval, so the last value is never lost); messages pass through unchanged.
 */
export default function register(RED: NodeAPI): void {
  function LoopgateKpiNode(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const gateway = gatewayFor(RED, def.gateway);
    const fixedKpi = typeof def.kpi === 'string' ? def.kpi.trim() : '';
    const interval = Number(def.minIntervalSeconds ?? DEFAULT_MIN_INTERVAL_SECONDS);
    const intervalMs =
      Number.isFinite(interval) && interval >= 0 ? interval * 1000 : DEFAULT_MIN_INTERVAL_SECONDS * 1000;
    const lanes = new Map<string, KpiLane>();
    let reported = 0;
    let skipped = 0;
    let failing = false;
    let closed = false;
    if ('problem' in gateway) this.status({ fill: 'red', shape: 'ring', text: gateway.problem });

    const report = (lane: KpiLane, sample: KpiSampleReport) => {
      if ('problem' in gateway || closed) return;
      lane.lastSentAt = Date.now();
      gateway.client.recordKpiSample(sample).then(
        () => {
          reported += 1;
          failing = false;
          this.status({
            fill: 'green',
            shape: 'dot',
            text: `${sample.kpi}: ${sample.value} (${reported} reported)`.slice(0, 60),
          });
        },
        (error: unknown) => {
          const code = error instanceof GatewayError ? error.code : 'UNREACHABLE';
          this.status({ fill: 'red', shape: 'ring', text: `not reported: ${code}` });
          // Once per run of failures, not once per sample.
          if (!failing)
            this.warn(`loopgate-kpi: ${sample.kpi} not reported to the gateway: ${(error as Error).message}`);
          failing = true;
        },
      );
    };

    const flush = (lane: KpiLane) => {
      lane.timer = undefined;
      const sample = lane.pending;
      lane.pending = undefined;
      if (sample) report(lane, sample);
    };

    this.on('input', (msg, send, done) => {
      const reading = kpiReadingOf(msg, fixedKpi);
      if (!reading.ok && reading.code === 'KPI_QUALITY_NOT_GOOD') {
        // The source says the value is not a measurement: skipped, counted, no error per sample.
        skipped += 1;
        this.status({ fill: 'yellow', shape: 'ring', text: `${skipped} not reported: quality not Good` });
        send(msg);
        done();
        return;
      }
      if (!reading.ok) {
        this.status({ fill: 'yellow', shape: 'ring', text: reading.code });
        send(msg);
        done(Object.assign(new Error(`loopgate-kpi: ${reading.code}: ${reading.message}`), { code: reading.code }));
        return;
      }
      const { sample } = reading;
      let lane = lanes.get(sample.kpi);
      if (!lane) {
        lane = { lastSentAt: -Infinity };
        lanes.set(sample.kpi, lane);
      }
      const wait = lane.lastSentAt + intervalMs - Date.now();
      if (wait <= 0 && !lane.timer) report(lane, sample);
      else {
        // The newest sample of the interval goes when it ends.
        lane.pending = sample;
        const current = lane;
        lane.timer ??= setTimeout(() => flush(current), Math.max(0, wait));
      }
      send(msg);
      done();
    });

    this.on('close', (_removed, done) => {
      closed = true;
      for (const lane of lanes.values()) if (lane.timer) clearTimeout(lane.timer);
      done();
    });
  }

  RED.nodes.registerType(KPI_NODE_TYPE, LoopgateKpiNode);
}
