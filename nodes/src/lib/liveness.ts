import type { Node, NodeAPI } from './node-red';

/** One watched node: when it last received input and whether that is too long ago. */
export interface LivenessEntry {
  nodeId: string;
  type: string;
  name?: string;
  flowId?: string;
  staleAfterMs: number;
  lastInputAt?: string;
  stale: boolean;
}

export interface LivenessReport {
  /** False when any watched node has had no input for longer than its limit. */
  ok: boolean;
  nodes: LivenessEntry[];
}

// Process-wide so the gateway sees the same registry however the palette module was loaded.
const REGISTRY_KEY = Symbol.for('loopgate.palette.liveness');
type Registry = Map<string, LivenessEntry>;
const globalStore = globalThis as unknown as Record<symbol, Registry | undefined>;
const registry: Registry = (globalStore[REGISTRY_KEY] ??= new Map());

/** What every watched node currently reports; the gateway's health endpoint can include it. */
export function livenessReport(): LivenessReport {
  const nodes = [...registry.values()].map((e) => ({ ...e }));
  return { ok: nodes.every((n) => !n.stale), nodes };
}

/**
 * Watches that a node keeps receiving input. OPC UA subscriptions can stop delivering after a
 * server restart without any error, so silence is the only signal: `onChange(true)` fires once
 * when no input arrived for `staleAfterMs`, `onChange(false)` when input resumes.
 *
 * @example
 * const watch = new LivenessWatch(node, 30_000, (stale) => node.status(stale ? staleStatus : okStatus));
 * node.on('input', () => watch.seen());
 * node.on('close', () => watch.close());
 */
export class LivenessWatch {
  private timer?: NodeJS.Timeout;
  private readonly entry: LivenessEntry;

  constructor(
    node: Node,
    private readonly staleAfterMs: number,
    private readonly onChange: (stale: boolean, entry: LivenessEntry) => void,
  ) {
    this.entry = {
      nodeId: node.id,
      type: node.type,
      name: node.name || undefined,
      flowId: node.z,
      staleAfterMs,
      stale: false,
    };
    registry.set(node.id, this.entry);
    this.arm();
  }

  seen(): void {
    this.entry.lastInputAt = new Date().toISOString();
    if (this.entry.stale) {
      this.entry.stale = false;
      this.onChange(false, this.entry);
    }
    this.arm();
  }

  close(): void {
    clearTimeout(this.timer);
    if (registry.get(this.entry.nodeId) === this.entry) registry.delete(this.entry.nodeId);
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.entry.stale = true;
      this.onChange(true, this.entry);
    }, this.staleAfterMs);
    this.timer.unref();
  }
}

const withHealthRoute = new WeakSet<object>();

/** `GET <admin root>/loopgate/health`: the liveness report, 503 when an input has gone silent. */
export function registerHealthRoute(RED: NodeAPI): void {
  if (withHealthRoute.has(RED.httpAdmin)) return;
  withHealthRoute.add(RED.httpAdmin);
  RED.httpAdmin.get('/loopgate/health', RED.auth.needsPermission('flows.read'), (_req, res) => {
    const report = livenessReport();
    res.status(report.ok ? 200 : 503).json(report);
  });
}
