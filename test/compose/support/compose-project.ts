/** One docker-compose project of the docker/ topology on the local images, for the compose test. */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const DOCKER_DIR = path.join(ROOT, 'docker');

/** The demo topology, on the images docker/build-images.sh makes, with the test's additions last. */
export const COMPOSE_FILES = [
  'docker/compose.yaml',
  'docker/compose.demo.yaml',
  'docker/compose.local.yaml',
  'docker/compose.demo.local.yaml',
  'test/compose/compose.test.yaml',
].map((file) => path.join(ROOT, file));

export interface ContainerState {
  id: string;
  running: boolean;
  health?: string;
  exitCode: number;
  startedAt: string;
  ip: string;
  hostname: string;
}

/** `docker` and `docker-compose` (or `docker compose`) on a project with its own name, env file and files. */
export class ComposeProject {
  constructor(
    readonly name: string,
    private readonly envFile: string,
    private readonly env: Record<string, string>,
    private readonly compose: string[] = [process.env.LOOPGATE_COMPOSE ?? 'docker-compose'],
  ) {}

  async docker(args: string[], timeoutMs = 120_000): Promise<string> {
    const { stdout } = await run('docker', args, { env: this.processEnv(), timeout: timeoutMs, maxBuffer: 64 << 20 });
    return stdout;
  }

  async composeCommand(args: string[], timeoutMs = 600_000): Promise<string> {
    const [command, ...prefix] = this.compose;
    const files = COMPOSE_FILES.flatMap((file) => ['-f', file]);
    const { stdout } = await run(command, [...prefix, '-p', this.name, '--env-file', this.envFile, ...files, ...args], {
      env: this.processEnv(),
      timeout: timeoutMs,
      maxBuffer: 64 << 20,
      cwd: ROOT,
    });
    return stdout;
  }

  /** Container ids of the project's services by name (`gateway-1` → id). */
  async containers(): Promise<Map<string, string>> {
    const ids = (await this.docker(['ps', '-aq', '--filter', `label=com.docker.compose.project=${this.name}`]))
      .split('\n')
      .filter(Boolean);
    const byService = new Map<string, string>();
    if (ids.length === 0) return byService;
    const out = await this.docker([
      'inspect',
      '--format',
      '{{index .Config.Labels "com.docker.compose.service"}} {{.Id}}',
      ...ids,
    ]);
    for (const line of out.trim().split('\n')) {
      const [service, id] = line.split(' ');
      if (!service.endsWith('-run')) byService.set(service, id);
    }
    return byService;
  }

  async state(id: string): Promise<ContainerState> {
    const format = [
      '{{.State.Running}}',
      '{{if .State.Health}}{{.State.Health.Status}}{{end}}',
      '{{.State.ExitCode}}',
      '{{.State.StartedAt}}',
      '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}',
      '{{.Config.Hostname}}',
    ].join('|');
    const [running, health, exitCode, startedAt, ips, hostname] = (
      await this.docker(['inspect', '--format', format, id])
    )
      .trim()
      .split('|');
    return {
      id,
      running: running === 'true',
      health: health || undefined,
      exitCode: Number(exitCode),
      startedAt,
      ip: ips.trim().split(' ')[0] ?? '',
      hostname,
    };
  }

  async logs(services: string[], tail = 60): Promise<string> {
    try {
      return await this.composeCommand(['logs', '--no-color', '--tail', String(tail), ...services], 60_000);
    } catch (error) {
      return `(logs unavailable: ${(error as Error).message})`;
    }
  }

  /** Removes the project's containers, networks and volumes. */
  async down(): Promise<void> {
    await this.composeCommand(['down', '--volumes', '--remove-orphans', '--timeout', '10'], 300_000);
  }

  private processEnv(): NodeJS.ProcessEnv {
    // Only what the tools need: a variable of the caller's shell must not leak into the topology.
    return { PATH: process.env.PATH, HOME: process.env.HOME, ...this.env };
  }
}

/** Polls `check` until it returns a value; fails with `describe()` after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  describe: () => string | Promise<string>,
  everyMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${await describe()}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
