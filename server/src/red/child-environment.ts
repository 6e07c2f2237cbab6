import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Variables of the gateway's own environment a Node-RED process may see: nothing secret. */
const INHERITED = ['PATH', 'TZ', 'LANG', 'LC_ALL', 'LC_CTYPE'] as const;

export interface ChildEnvironmentInput {
  /** The gateway's environment; only the allow-listed names are read from it. */
  parent: NodeJS.ProcessEnv;
  userDir: string;
  /** The gateway's own port, which flows' gateway URLs name as `${LOOPGATE_PORT}`. */
  gatewayPort: number;
  gatewayUrl: string;
  /** Non-secret values for flows from the site file (`nodeRed.env`). */
  flowEnv: Record<string, string>;
}

/**
 * The whole environment of the Node-RED process: an allow-list, never a copy of the gateway's.
 * No password, token, database URL or site-file path is in it; the service token arrives over IPC.
 */
export function childEnvironment(input: ChildEnvironmentInput): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of INHERITED) if (input.parent[name] !== undefined) env[name] = input.parent[name];
  return {
    ...input.flowEnv,
    ...env,
    HOME: input.userDir,
    NODE_ENV: 'production',
    NODE_RED_HOME: input.userDir,
    LOOPGATE_PORT: String(input.gatewayPort),
    LOOPGATE_URL: input.gatewayUrl,
  };
}

/** uid and gid of an operating-system user, or undefined when there is none of that name. */
export function lookUpUser(name: string): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Paths the child must read as `uid`/`gid` that it cannot (a directory on the way without search
 * permission for that user, or a file without read permission).
 */
export function unreadableFor(paths: readonly string[], uid: number, gid: number): string[] {
  const blocked = new Set<string>();
  const allows = (stat: fs.Stats, bits: { owner: number; group: number; other: number }) =>
    (stat.uid === uid && (stat.mode & bits.owner) !== 0) ||
    (stat.gid === gid && (stat.mode & bits.group) !== 0) ||
    (stat.mode & bits.other) !== 0;
  for (const target of paths) {
    const resolved = path.resolve(target);
    const parts = resolved.split(path.sep).filter(Boolean);
    for (let i = 0; i < parts.length; i++) {
      const dir = path.sep + parts.slice(0, i).join(path.sep);
      if (!allows(fs.statSync(dir), { owner: 0o100, group: 0o010, other: 0o001 })) {
        blocked.add(dir);
        break;
      }
    }
    if (!allows(fs.statSync(resolved), { owner: 0o400, group: 0o040, other: 0o004 })) blocked.add(resolved);
  }
  return [...blocked];
}
