/**
 * A stock Node-RED from the npm registry, as a plant's integrator runs it: installed once per
 * version range into the Loopgate cache folder (the same one scripts/toolchain.sh uses, so CI
 * reuses it between runs), started on a fresh user directory with palettes installed there by
 * `npm install`, exactly as the editor's palette manager does.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../server/src/demo/stack';

const run = promisify(execFile);

export const CACHE_DIR = path.join(
  process.env.LOOPGATE_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'loopgate'),
  'node-red',
);

const NPM_FLAGS = ['--no-audit', '--no-fund', '--no-update-notifier', '--loglevel=error'];

async function npm(args: string[], cwd: string): Promise<void> {
  try {
    await run('npm', [...args, ...NPM_FLAGS], { cwd, maxBuffer: 32 * 1024 * 1024 });
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    throw new Error(`npm ${args.join(' ')} in ${cwd} failed: ${stderr || message}`);
  }
}

/**
 * The `red.js` of `node-red@<range>`, installed into the cache on first use. A half-finished
 * install never counts: it goes to a temporary folder that is renamed into place when complete.
 */
export async function installNodeRed(range: string): Promise<{ redJs: string; version: string }> {
  const dir = path.join(CACHE_DIR, `node-red@${range}`);
  const redJs = path.join(dir, 'node_modules', 'node-red', 'red.js');
  if (!fs.existsSync(redJs)) {
    fs.mkdirSync(CACHE_DIR, { recursive: true });
    const tmp = fs.mkdtempSync(path.join(CACHE_DIR, '.install-'));
    try {
      fs.writeFileSync(path.join(tmp, 'package.json'), JSON.stringify({ private: true }));
      await npm(['install', '--omit=dev', `node-red@${range}`], tmp);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.renameSync(tmp, dir);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  const { version } = JSON.parse(
    fs.readFileSync(path.join(dir, 'node_modules', 'node-red', 'package.json'), 'utf8'),
  ) as { version: string };
  return { redJs, version };
}

/** A user directory with only the given tarball installed into it, as the palette manager would. */
export async function userDirWith(tarball: string): Promise<string> {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-stock-red-'));
  fs.writeFileSync(
    path.join(userDir, 'package.json'),
    JSON.stringify({ name: 'node-red-project', description: 'A Node-RED Project', version: '0.0.1', private: true }),
  );
  await npm(['install', '--omit=dev', '--save', '--save-prefix=~', '--engine-strict', tarball], userDir);
  return userDir;
}

export interface RunningNodeRed {
  url: string;
  /** Everything Node-RED logged so far, for failure messages. */
  log(): string;
  /** Resolves once a log line matches, rejects when Node-RED exits or `timeoutMs` passes. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts `red.js` on a free port of 127.0.0.1 with the user directory and nothing of this process's environment but `env`. */
export async function startNodeRed(
  redJs: string,
  userDir: string,
  env: Record<string, string>,
): Promise<RunningNodeRed> {
  const port = await freePort();
  // Stock settings apart from binding to the loopback interface and logging the flow's debug output.
  fs.writeFileSync(
    path.join(userDir, 'settings.js'),
    `module.exports = { uiHost: '127.0.0.1', flowFile: 'flows.json', logging: { console: { level: 'info' } } };\n`,
  );
  const child: ChildProcess = spawn(process.execPath, [redJs, '--userDir', userDir, '--port', String(port)], {
    cwd: userDir,
    env: { PATH: process.env.PATH ?? '', HOME: userDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let running = true;
  void exited.then(() => {
    running = false;
    for (const listener of listeners) listener();
  });

  return {
    url: `http://127.0.0.1:${port}`,
    log: () => output,
    waitForLog(pattern, timeoutMs = 60_000) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(output)) done(() => resolve());
          else if (!running) done(() => reject(new Error(`Node-RED exited before ${pattern}:\n${output}`)));
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${output}`))),
          timeoutMs,
        );
        const done = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      });
    },
    async stop() {
      if (running) {
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(userDir, { recursive: true, force: true });
    },
  };
}
