import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Logger } from '@nestjs/common';
import type { HealthCheckResult } from '../health/health.module';
import type { ChildStart, ChildToGateway, GatewayToChild, LivenessNode } from './child-protocol';
import { NODE_RED_ADMIN_ROOT } from './child-protocol';
import { EDITOR_TOKEN_HEADER, type EditorTokenSigner } from './editor-token';
import { RestartBackoff, systemClock, type Clock } from './restart-backoff';

/** The child's entry: beside this file when built; the built copy when the gateway runs from source (tests). */
function childEntry(): string {
  const beside = path.join(__dirname, 'red-child.js');
  if (fs.existsSync(beside)) return beside;
  return path.resolve(__dirname, '..', '..', 'dist', 'red', 'red-child.js');
}

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 5_000;
const LIVENESS_TIMEOUT_MS = 2_000;

export interface SupervisorOptions {
  /** Everything of the start message but what the supervisor knows itself. */
  start: Omit<ChildStart, 'type'>;
  env: NodeJS.ProcessEnv;
  signer: EditorTokenSigner;
  /** Runs before every start (and restart): writes the flows that must run into the user directory. */
  beforeStart: () => Promise<void>;
  clock?: Clock;
  backoff?: RestartBackoff;
  /** The child's script; red-child.js unless a test runs a stand-in that speaks the same IPC. */
  entry?: string;
}

type State =
  | { kind: 'starting'; since: number }
  | { kind: 'up'; since: number; port: number; uid: number }
  | { kind: 'down'; since: number; reason: string; restartAt?: number };

/**
 * Runs Node-RED as a child process and keeps it running: restarts it with backoff when it dies,
 * reports its state as a non-critical health check (the gateway keeps dispatching without it),
 * answers the palette's flow-input liveness from the child over IPC, and deploys flows into it.
 */
export class NodeRedSupervisor {
  private readonly logger = new Logger('NodeRED');
  private readonly clock: Clock;
  private readonly backoff: RestartBackoff;
  private child?: ChildProcess;
  private state: State;
  private stopping = false;
  private restartTimer?: unknown;
  private livenessSeq = 0;
  private readonly livenessWaiters = new Map<number, (nodes: LivenessNode[]) => void>();
  private readonly upWaiters: (() => void)[] = [];
  /** How many times the child has been started. */
  starts = 0;

  constructor(private readonly options: SupervisorOptions) {
    this.clock = options.clock ?? systemClock;
    this.backoff = options.backoff ?? new RestartBackoff();
    this.state = { kind: 'down', since: this.clock.now(), reason: 'not started' };
  }

  /** Starts the child; resolves once it listens, or rejects when its first start fails. */
  async start(): Promise<void> {
    await this.spawn();
  }

  /** The child's 127.0.0.1 port while it is up. */
  port(): number | undefined {
    return this.state.kind === 'up' ? this.state.port : undefined;
  }

  pid(): number | undefined {
    return this.state.kind === 'up' ? this.child?.pid : undefined;
  }

  /** Resolves the next time the child is up (at once when it is). */
  whenUp(): Promise<void> {
    if (this.state.kind === 'up') return Promise.resolve();
    return new Promise((resolve) => this.upWaiters.push(resolve));
  }

  health(): HealthCheckResult {
    const state = this.state;
    if (state.kind === 'up') return { ok: true, critical: false };
    const since = new Date(state.since).toISOString();
    if (state.kind === 'starting') return { ok: false, critical: false, message: `starting since ${since}` };
    const next = state.restartAt !== undefined ? `; restart at ${new Date(state.restartAt).toISOString()}` : '';
    return { ok: false, critical: false, message: `down since ${since} (${state.reason})${next}` };
  }

  /** The palette's flow-input liveness inside the child; unknown (empty) while the child is down. */
  async liveness(): Promise<LivenessNode[] | undefined> {
    const child = this.child;
    if (this.state.kind !== 'up' || !child?.connected) return undefined;
    const id = ++this.livenessSeq;
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => {
        this.livenessWaiters.delete(id);
        resolve(undefined);
      }, LIVENESS_TIMEOUT_MS);
      this.livenessWaiters.set(id, (nodes) => {
        this.clock.clearTimeout(timer);
        resolve(nodes);
      });
      this.sendToChild({ type: 'liveness', id });
    });
  }

  /** An editor token for the gateway's own calls into the child (deploys, reading the running flows). */
  internalHeaders(): Record<string, string> {
    return {
      [EDITOR_TOKEN_HEADER]: this.options.signer.mint(
        { username: 'loopgate-gateway', permissions: '*' },
        this.clock.now() + 60_000,
      ),
      'node-red-api-version': 'v2',
    };
  }

  /** Full deploy of `flows` into the running child; when it is down they load at its next start. */
  async deploy(flows: unknown[]): Promise<void> {
    const port = this.port();
    if (port === undefined) return;
    const response = await fetch(`http://127.0.0.1:${port}${NODE_RED_ADMIN_ROOT}/flows`, {
      method: 'POST',
      headers: {
        ...this.internalHeaders(),
        'content-type': 'application/json',
        'node-red-deployment-type': 'full',
      },
      body: JSON.stringify({ flows }),
      signal: AbortSignal.timeout(30_000),
    });
    if (!response.ok) throw new Error(`Node-RED refused the deploy: ${response.status} ${await response.text()}`);
  }

  /** Node-RED's revision of what it runs now, or undefined while it is down. */
  async revision(): Promise<string | undefined> {
    const port = this.port();
    if (port === undefined) return undefined;
    const response = await fetch(`http://127.0.0.1:${port}${NODE_RED_ADMIN_ROOT}/flows`, {
      headers: this.internalHeaders(),
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) return undefined;
    return ((await response.json()) as { rev?: string }).rev;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer !== undefined) this.clock.clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.connected) this.sendToChild({ type: 'stop' });
    else child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  /**
   * A message to the child. The channel can close between the check and the send (the child died):
   * the failure is then reported to the callback, never emitted as an unhandled 'error' that would
   * take the gateway down with the child.
   */
  private sendToChild(message: GatewayToChild): void {
    const child = this.child;
    if (!child?.connected) return;
    const failed = (error: Error | null) => {
      if (error) this.logger.warn(`could not message the Node-RED process: ${error.message}`);
    };
    try {
      child.send(message, failed);
    } catch (error) {
      failed(error as Error);
    }
  }

  private async spawn(): Promise<void> {
    this.state = { kind: 'starting', since: this.clock.now() };
    await this.options.beforeStart();
    const child = fork(this.options.entry ?? childEntry(), [], {
      env: this.options.env,
      cwd: this.options.start.userDir,
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.child = child;
    this.starts++;
    // A failed spawn or a send on a closed channel: logged; 'exit' drives the restart.
    child.on('error', (error) => this.logger.warn(`Node-RED process: ${error.message}`));
    this.backoff.started(this.clock.now());
    child.stdout?.on('data', (chunk: Buffer) => this.relay(chunk, 'log'));
    child.stderr?.on('data', (chunk: Buffer) => this.relay(chunk, 'warn'));

    const listening = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`Node-RED did not start within ${START_TIMEOUT_MS / 1000} s`));
        child.kill('SIGKILL');
      }, START_TIMEOUT_MS);
      child.on('message', (message: ChildToGateway) => {
        if (message.type === 'listening') {
          // Only the first report counts: a flow could send its own (it holds the same IPC channel).
          if (this.state.kind !== 'starting' || child !== this.child) return;
          clearTimeout(timer);
          this.state = { kind: 'up', since: this.clock.now(), port: message.port, uid: message.uid };
          this.logger.log(`Node-RED pid ${child.pid} uid ${message.uid} on 127.0.0.1:${message.port}`);
          for (const waiter of this.upWaiters.splice(0)) waiter();
          resolve();
        } else if (message.type === 'liveness') {
          this.livenessWaiters.get(message.id)?.(message.nodes);
          this.livenessWaiters.delete(message.id);
        } else if (message.type === 'fatal') {
          this.logger.error(`Node-RED: ${message.code}: ${message.message}`);
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`Node-RED exited before it listened (${signal ?? `code ${code}`})`));
        this.exited(child, signal ?? `code ${code}`);
      });
    });
    this.sendToChild({ type: 'start', ...this.options.start } satisfies ChildStart);
    await listening;
  }

  private exited(child: ChildProcess, how: string): void {
    if (child !== this.child) return;
    const now = this.clock.now();
    if (this.stopping) {
      this.state = { kind: 'down', since: now, reason: 'stopped' };
      return;
    }
    const delay = this.backoff.nextDelay(now);
    this.state = { kind: 'down', since: now, reason: `exited: ${how}`, restartAt: now + delay };
    this.logger.error(`Node-RED (pid ${child.pid}) exited (${how}); restarting in ${delay} ms`);
    this.restartTimer = this.clock.setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopping) return;
      this.spawn().catch((error: unknown) => this.logger.error(`Node-RED restart failed: ${(error as Error).message}`));
    }, delay);
  }

  private relay(chunk: Buffer, level: 'log' | 'warn'): void {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) this.logger[level](line);
  }
}
