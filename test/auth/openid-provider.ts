/**
 * A real OpenID Provider for tests: the OpenID-certified `oidc-provider` package on 127.0.0.1,
 * with one confidential client, a user directory, and a login page of its own (the provider
 * leaves interactions to its host). By default it conforms strictly to OpenID Connect Core
 * 5.4: in the authorization code flow, scope claims (profile, groups) come from the UserInfo
 * endpoint, not the ID token.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';

export interface ProviderUser {
  password: string;
  claims: { sub: string; preferred_username: string; name?: string; email?: string; groups?: string[] };
}

export interface OpenIdProviderOptions {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  /** Sign-in name → user. */
  users: Record<string, ProviderUser>;
  /** False puts the scope claims into the ID token as well, as many providers do. */
  conformIdTokenClaims?: boolean;
}

/** What the login page tells the browser: which interaction is open and what it asks for. */
export interface InteractionPage {
  uid: string;
  prompt: string;
}

export class LocalOpenIdProvider {
  issuer = '';
  private server?: Server;
  private provider?: Provider;

  constructor(private readonly options: OpenIdProviderOptions) {}

  async start(): Promise<string> {
    // oidc-provider is an ES module; the tests are compiled to CommonJS.
    const { default: OidcProvider } = await import('oidc-provider');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const users = Object.values(this.options.users);
    const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
    const provider = new OidcProvider(this.issuer, {
      clients: [
        {
          client_id: this.options.clientId,
          client_secret: this.options.clientSecret,
          redirect_uris: [this.options.redirectUri],
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
      jwks: { keys: [{ ...signingKey, kid: randomBytes(4).toString('hex'), use: 'sig', alg: 'RS256' }] },
      cookies: { keys: [randomBytes(32).toString('hex')] },
      claims: {
        openid: ['sub'],
        profile: ['name', 'preferred_username'],
        email: ['email'],
        groups: ['groups'],
      },
      conformIdTokenClaims: this.options.conformIdTokenClaims ?? true,
      pkce: { required: () => true },
      ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 600, IdToken: 600, Interaction: 600, Session: 600 },
      features: { devInteractions: { enabled: false } },
      interactions: { url: (_ctx: KoaContextWithOIDC, interaction) => `/interaction/${interaction.uid}` },
      findAccount: (_ctx: KoaContextWithOIDC, sub: string) => {
        const user = users.find((u) => u.claims.sub === sub);
        return user ? { accountId: sub, claims: () => ({ ...user.claims }) } : undefined;
      },
      // The gateway is a first-party client of the plant's IdP: consent to its scopes is implied.
      loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
        const { session, client, params, provider: op } = ctx.oidc;
        if (!session?.accountId || !client) return undefined;
        const existing = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
        if (existing) return op.Grant.find(existing);
        const grant = new op.Grant({ accountId: session.accountId, clientId: client.clientId });
        grant.addOIDCScope(String(params?.scope ?? 'openid'));
        await grant.save();
        return grant;
      },
    });
    this.provider = provider;
    const handle = provider.callback();
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (req.url?.startsWith('/interaction/'))
        this.interaction(req, res).catch((error: Error) => {
          res.statusCode = 500;
          res.end(error.message);
        });
      else void handle(req, res);
    });
    return this.issuer;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The login page: GET shows the open interaction, POST …/login signs in, POST …/abort refuses. */
  private async interaction(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const provider = this.provider!;
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET') {
      const page: InteractionPage = { uid: details.uid, prompt: details.prompt.name };
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(page));
      return;
    }
    const form = new URLSearchParams(await readBody(req));
    if (req.url?.endsWith('/abort')) {
      await provider.interactionFinished(req, res, {
        error: 'access_denied',
        error_description: 'the user declined the sign-in',
      });
      return;
    }
    const user = this.options.users[form.get('username') ?? ''];
    if (!user || user.password !== form.get('password')) {
      res.statusCode = 401;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ uid: details.uid, prompt: 'login', error: 'wrong user name or password' }));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: user.claims.sub } });
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

/**
 * A browser without JavaScript: one cookie jar per origin (enough here, where each origin is a
 * port of 127.0.0.1), redirects followed one step at a time so a test sees each hop.
 */
export class Browser {
  private readonly jars = new Map<string, Map<string, string>>();

  async go(
    url: string | URL,
    form?: Record<string, string>,
  ): Promise<{ response: Response; url: URL; location?: URL }> {
    const target = new URL(url);
    const jar = this.jars.get(target.origin) ?? new Map<string, string>();
    this.jars.set(target.origin, jar);
    const headers: Record<string, string> = {};
    if (jar.size > 0) headers.cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(target, {
      method: form ? 'POST' : 'GET',
      headers,
      body: form ? new URLSearchParams(form).toString() : undefined,
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair, ...attributes] = cookie.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const expired = attributes.some((a) => /^\s*(max-age=0|expires=Thu, 01 Jan 1970)/i.test(a));
      if (expired) jar.delete(name);
      else jar.set(name, pair.slice(at + 1).trim());
    }
    const location = response.headers.get('location');
    return { response, url: target, location: location ? new URL(location, target) : undefined };
  }

  /** Follows redirects from `url` until the next one would leave for `origin`; returns that URL. */
  async followUntil(url: string | URL, origin: string): Promise<URL> {
    let next = new URL(url);
    for (let hop = 0; hop < 10; hop++) {
      const { response, location } = await this.go(next);
      if (!location) throw new Error(`${next.href} answered ${response.status}, no redirect: ${await response.text()}`);
      if (location.origin === origin) return location;
      next = location;
    }
    throw new Error(`more than 10 redirects from ${String(url)}`);
  }

  cookie(origin: string, name: string): string | undefined {
    return this.jars.get(origin)?.get(name);
  }
}
