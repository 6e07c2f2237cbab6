import type { ChildStart } from './child-protocol';
import { NODE_RED_ADMIN_ROOT, NODE_RED_HTTP_ROOT } from './child-protocol';
import { EDITOR_TOKEN_HEADER, readEditorToken } from './editor-token';

/** Core node files left out by default: `exec` runs operating-system commands. */
export const EXCLUDED_CORE_NODES = ['90-exec.js'];

const CONSOLE_LEVEL: Record<ChildStart['logLevel'], string> = {
  error: 'error',
  warn: 'warn',
  info: 'info',
  debug: 'debug',
};

/**
 * Node-RED settings of the child process: bound to 127.0.0.1 behind the gateway's proxy, editor
 * sign-in only through editor tokens the gateway signs (no passwords reach Node-RED), `exec`
 * excluded unless enabled, no palette installs, no telemetry, update checks or diagnostics, and
 * credentials encrypted with the gateway's secret.
 */
export function childSettings(start: ChildStart, now: () => number = Date.now): Record<string, unknown> {
  return {
    userDir: start.userDir,
    flowFile: 'flows.json',
    flowFilePretty: true,
    httpAdminRoot: NODE_RED_ADMIN_ROOT,
    httpNodeRoot: NODE_RED_HTTP_ROOT,
    uiHost: '127.0.0.1',
    credentialSecret: start.credentialSecret,
    nodesExcludes: start.enableExec ? [] : EXCLUDED_CORE_NODES,
    adminAuth: {
      type: 'credentials',
      // No Node-RED passwords: people sign in at the console and the gateway vouches for them.
      users: () => Promise.resolve(null),
      authenticate: () => Promise.resolve(null),
      tokens: (token: string) => Promise.resolve(readEditorToken(token, start.editorPublicKeyPem, now())),
      tokenHeader: EDITOR_TOKEN_HEADER,
    },
    // An air-gapped plant: nothing reaches the internet.
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: false, ui: false },
    runtimeState: { enabled: false, ui: false },
    externalModules: {
      autoInstall: false,
      palette: { allowInstall: false, allowUpload: false },
      modules: { allowInstall: false },
    },
    functionExternalModules: false,
    editorTheme: {
      projects: { enabled: false },
      tours: false,
      palette: { categories: ['Loopgate', 'opcua', 'common', 'function', 'network', 'sequence', 'parser', 'storage'] },
      header: { title: 'Loopgate flows' },
      login: { message: 'Sign in at the Loopgate console first' },
    },
    logging: { console: { level: CONSOLE_LEVEL[start.logLevel], metrics: false, audit: false } },
  };
}
