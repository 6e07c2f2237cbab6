// Node-RED settings of the standalone Loopgate runtime (docker/node-red.Dockerfile), the same
// hardening as the gateway's embedded Node-RED child (server/src/red/child-settings.ts and the
// proxy's body guard): exec excluded, bodies limited before parsing, flow endpoints behind a
// token the gateway accepts, nothing reaching the internet, credentials encrypted at rest.
// Flows call the gateway with the service token from LOOPGATE_TOKEN; no MES secret is here.
'use strict';

const { createRequire } = require('node:module');

const adminHash = process.env.NODE_RED_ADMIN_PASSWORD_HASH;
const gatewayUrl = (process.env.LOOPGATE_GATEWAY_URL || 'http://gateway').replace(/\/$/, '');

// The same limits as the embedded proxy (server/src/red/body-guard.ts NODE_RED_BODY_LIMITS).
const LIMITS = {
  auth: { maxBytes: 16 * 1024, maxDepth: 4 },
  admin: { maxBytes: 5 * 1024 * 1024, maxDepth: 64 },
  flowsHttp: { maxBytes: 1024 * 1024, maxDepth: 32 },
};
const TOKEN_CACHE_MS = 30_000;
// Flow HTTP endpoints under the same root as behind the embedded gateway's proxy.
const HTTP_NODE_ROOT = '/flows-http';

// qs as Node-RED's own urlencoded parser uses it (extended: true), from Node-RED's dependencies.
const fromNodeRed = createRequire(require.main ? require.main.filename : module.filename);
let qs;
function parseForm(text) {
  qs = qs || fromNodeRed('qs');
  return qs.parse(text, { allowPrototypes: true, arrayLimit: 100, depth: Infinity, parameterLimit: 1000 });
}

function refuse(req, res, status, code, message) {
  if (res.headersSent) return req.socket.destroy();
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  if (!req.complete) {
    // The rest of the upload is not read: close instead of draining it.
    res.setHeader('connection', 'close');
    res.once('finish', () => req.socket.destroy());
  }
  res.end(JSON.stringify({ statusCode: status, code, message }));
}

// Deepest nesting of JSON brackets, outside strings, in one pass over the bytes.
function jsonDepth(body, limit) {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (inString) {
      if (byte === 0x5c) i++;
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x7b || byte === 0x5b) {
      if (++depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (byte === 0x7d || byte === 0x5d) depth--;
  }
  return deepest;
}

// Nesting a form body expresses with brackets (a[b][c]=1), per key.
function formDepth(body) {
  let deepest = 0;
  for (const pair of body.toString('latin1').split('&')) {
    const key = pair.split('=', 1)[0];
    deepest = Math.max(deepest, (key.match(/%5B|\[/gi) || []).length);
  }
  return deepest;
}

/**
 * Refuses bodies over the limits before Node-RED's parsers see them: 413 BODY_TOO_LARGE (a
 * declared length at once, a streamed one as it passes the limit), 400 BODY_TOO_DEEP. JSON and
 * form bodies, the ones that nest, are read here, checked and parsed as Node-RED would.
 */
function bodyGuard(limitsOf) {
  return (req, res, next) => {
    // Node-RED runs the node middleware for its router and again per http-in route: once is enough.
    if (req._body || req.readableEnded) return next();
    const limits = limitsOf(req);
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limits.maxBytes)
      return refuse(req, res, 413, 'BODY_TOO_LARGE', `the request body is larger than ${limits.maxBytes} bytes`);
    const type = String(req.headers['content-type'] || '').toLowerCase();
    const json = type.includes('json');
    const form = type.includes('x-www-form-urlencoded');
    let size = 0;
    if (!json && !form) {
      // Text and binary bodies have no depth: Node-RED's parser reads them; only their size is watched.
      req.on('data', (chunk) => {
        size += chunk.length;
        if (size > limits.maxBytes)
          refuse(req, res, 413, 'BODY_TOO_LARGE', `the request body is larger than ${limits.maxBytes} bytes`);
      });
      return next();
    }
    const chunks = [];
    let done = false;
    req.on('data', (chunk) => {
      if (done) return;
      size += chunk.length;
      if (size > limits.maxBytes) {
        done = true;
        req.pause();
        return refuse(req, res, 413, 'BODY_TOO_LARGE', `the request body is larger than ${limits.maxBytes} bytes`);
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      const body = Buffer.concat(chunks, size);
      const depth = json ? jsonDepth(body, limits.maxDepth) : formDepth(body);
      if (depth > limits.maxDepth)
        return refuse(req, res, 400, 'BODY_TOO_DEEP', `the request body nests deeper than ${limits.maxDepth} levels`);
      const text = body.toString('utf8');
      try {
        if (json) {
          // As Node-RED's JSON parser (strict): an empty body is {}, anything but an object or array is refused.
          if (text.trim() && !/^[\s]*[[{]/.test(text)) throw new Error('not an object or array');
          req.body = text.trim() ? JSON.parse(text) : {};
        } else req.body = parseForm(text);
      } catch (error) {
        return refuse(req, res, 400, 'BODY_INVALID', `the request body is not valid: ${error.message}`);
      }
      req._body = true;
      next();
    });
  };
}

/** Flow endpoints need a bearer token the gateway accepts (a console session or a service token). */
const accepted = new Map();
function flowEndpointAuth(req, res, next) {
  if (process.env.LOOPGATE_FLOW_ENDPOINT_AUTH === 'off') return next();
  const header = String(req.headers.authorization || '');
  if (!header.startsWith('Bearer '))
    return refuse(req, res, 401, 'UNAUTHENTICATED', 'flow endpoints need a console session or a service token');
  const until = accepted.get(header);
  if (until && until > Date.now()) return next();
  fetch(`${gatewayUrl}/api/v1/auth/me`, {
    headers: { authorization: header },
    signal: globalThis.AbortSignal.timeout(5000),
  })
    .then((answer) => {
      if (answer.ok) {
        if (accepted.size > 10_000) accepted.clear();
        accepted.set(header, Date.now() + TOKEN_CACHE_MS);
        return next();
      }
      refuse(req, res, 401, 'UNAUTHENTICATED', 'the gateway does not accept this token');
    })
    .catch(() => refuse(req, res, 503, 'GATEWAY_UNAVAILABLE', 'the gateway could not check the token'));
}

// Roles that may change flows (the gateway's flows:deploy permission); everyone else reads.
const DEPLOY_ROLES = new Set(['engineer', 'admin']);
const editorUsers = new Map();

/**
 * The editor's sign-in is the gateway's: the same people, passwords, password policy and login
 * throttle (failures counted per account in the gateway's database, audited there), so this
 * runtime holds no password of its own. Engineers and admins may deploy; other roles read.
 */
const gatewayEditorAuth = {
  type: 'credentials',
  users: (username) => Promise.resolve(editorUsers.get(username) || null),
  authenticate: async (username, password) => {
    let answer;
    try {
      answer = await fetch(`${gatewayUrl}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
        signal: globalThis.AbortSignal.timeout(5000),
      });
    } catch {
      return null;
    }
    if (!answer.ok) return null;
    const session = await answer.json().catch(() => ({}));
    const roles = (session.user && session.user.roles) || [];
    const user = { username, permissions: roles.some((r) => DEPLOY_ROLES.has(r)) ? '*' : 'read' };
    if (editorUsers.size > 1000) editorUsers.clear();
    editorUsers.set(username, user);
    // Node-RED keeps its own editor session; the gateway session made to check the password ends here.
    if (session.token) {
      fetch(`${gatewayUrl}/api/v1/auth/logout`, {
        method: 'POST',
        headers: { authorization: `Bearer ${session.token}` },
      }).catch(() => undefined);
    }
    return user;
  },
};

const adminGuard = bodyGuard((req) => (req.path === '/auth/token' ? LIMITS.auth : LIMITS.admin));
const flowsGuard = bodyGuard(() => LIMITS.flowsHttp);

module.exports = {
  uiPort: Number(process.env.PORT || 1880),
  userDir: process.env.NODE_RED_USER_DIR || '/data',
  flowFile: 'flows.json',
  flowFilePretty: true,
  credentialSecret: process.env.NODE_RED_CREDENTIAL_SECRET || false,
  // The editor needs a login in production: bcrypt hash of the admin password (node-red admin hash-pw).
  // The gateway's sign-in, unless a site sets a local admin password hash (a fallback for a
  // Node-RED run without a gateway); never an editor without sign-in.
  adminAuth: adminHash
    ? {
        type: 'credentials',
        users: [{ username: process.env.NODE_RED_ADMIN_USER || 'admin', password: adminHash, permissions: '*' }],
      }
    : gatewayEditorAuth,
  disableEditor: process.env.NODE_RED_DISABLE_EDITOR === 'true',
  // exec runs operating-system commands: excluded unless the site enables it.
  nodesExcludes: process.env.NODE_RED_ENABLE_EXEC === 'true' ? [] : ['90-exec.js'],
  apiMaxLength: '5mb',
  httpNodeRoot: HTTP_NODE_ROOT,
  // The editor is served at /, so its middleware and body parsers see flow endpoint requests first:
  // those are authenticated and get the flow limits here, before Node-RED's admin parsers read them.
  httpAdminMiddleware: (req, res, next) =>
    (req.originalUrl || '').startsWith(`${HTTP_NODE_ROOT}/`)
      ? flowEndpointAuth(req, res, () => flowsGuard(req, res, next))
      : adminGuard(req, res, next),
  // Authentication first, so an anonymous body is refused unread.
  httpNodeAuth: flowEndpointAuth,
  httpNodeMiddleware: flowsGuard,
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
  logging: { console: { level: process.env.NODE_RED_LOG_LEVEL || 'info', metrics: false, audit: false } },
  editorTheme: { projects: { enabled: false }, palette: { editable: false }, tours: false },
};
