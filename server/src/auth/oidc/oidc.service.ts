import { Inject, Injectable, Logger } from '@nestjs/common';
import { ROLES, type Role } from '@loopgate/contracts';
import type * as OpenIdClient from 'openid-client' with { 'resolution-mode': 'import' };
import { UserError } from '../../common/errors';
import { LOOPGATE_CONFIG, type LoopgateConfig } from '../../config/config';
import type { UserEntity } from '../identity/user.entity';
import { USERNAME_PATTERN, UsersService } from '../identity/users.service';

type OidcSettings = Pick<
  LoopgateConfig,
  | 'oidcIssuer'
  | 'oidcClientId'
  | 'oidcClientSecret'
  | 'oidcRedirectUrl'
  | 'oidcScopes'
  | 'oidcUsernameClaim'
  | 'oidcRolesClaim'
  | 'oidcRoleMap'
  | 'oidcDefaultRole'
  | 'oidcAllowInsecure'
>;

/** A sign-in started at the IdP and not yet completed. */
interface PendingSignIn {
  codeVerifier: string;
  nonce: string;
  returnTo: string;
  expiresAt: number;
}

/** How long a user may take at the IdP before the sign-in must start again. */
const SIGN_IN_TTL_MS = 10 * 60 * 1000;
const MAX_PENDING = 10_000;

/** `group=role,group=role` → map; validated by the configuration already. */
export function parseRoleMap(raw: string | undefined): Map<string, Role[]> {
  const map = new Map<string, Role[]>();
  for (const pair of (raw ?? '').split(',')) {
    if (!pair.trim()) continue;
    const [group, role] = pair.split('=').map((part) => part.trim());
    if (!ROLES.includes(role as Role)) continue;
    map.set(group, [...(map.get(group) ?? []), role as Role]);
  }
  return map;
}

/** The roles an SSO user gets from the IdP's group claim, or the default role, or none. */
export function rolesFromClaims(
  claims: Record<string, unknown>,
  settings: Pick<OidcSettings, 'oidcRolesClaim' | 'oidcRoleMap' | 'oidcDefaultRole'>,
): Role[] {
  const raw = claims[settings.oidcRolesClaim];
  const groups = Array.isArray(raw)
    ? raw.filter((g): g is string => typeof g === 'string')
    : typeof raw === 'string'
      ? [raw]
      : [];
  const map = parseRoleMap(settings.oidcRoleMap);
  const roles = new Set(groups.flatMap((group) => map.get(group) ?? []));
  if (roles.size === 0 && settings.oidcDefaultRole) roles.add(settings.oidcDefaultRole);
  return ROLES.filter((role) => roles.has(role));
}

/** Only a path on this server, never another site: a sign-in must not become an open redirect. */
export function safeReturnPath(returnTo: string | undefined): string {
  return returnTo && /^\/(?![/\\])[\x21-\x7e]*$/.test(returnTo) ? returnTo : '/';
}

/**
 * Optional OpenID Connect sign-in (authorization code flow with PKCE, state and nonce) through
 * openid-client. The IdP's metadata is discovered on first use, so a gateway starts while the
 * IdP is down. Pending sign-ins live in this process: with several replicas, route
 * `/api/v1/auth/oidc/*` of one browser to the same replica.
 */
@Injectable()
export class OidcService {
  private readonly logger = new Logger('OIDC');
  private configuration?: Promise<OpenIdClient.Configuration>;
  private readonly pending = new Map<string, PendingSignIn>();

  constructor(
    @Inject(LOOPGATE_CONFIG) private readonly settings: OidcSettings,
    private readonly users: UsersService,
  ) {}

  get enabled(): boolean {
    return Boolean(this.settings.oidcIssuer && this.settings.oidcClientId && this.settings.oidcRedirectUrl);
  }

  /** Where to send the browser, and the state to bind to it in a cookie. */
  async begin(returnTo: string | undefined, now = Date.now()): Promise<{ url: string; state: string }> {
    const client = await this.client();
    const configuration = await this.discover();
    this.prune(now);
    if (this.pending.size >= MAX_PENDING)
      throw new UserError('RATE_LIMITED', 'too many sign-ins in progress; try again shortly', 429);
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    this.pending.set(state, {
      codeVerifier,
      nonce,
      returnTo: safeReturnPath(returnTo),
      expiresAt: now + SIGN_IN_TTL_MS,
    });
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.settings.oidcRedirectUrl as string,
      scope: this.settings.oidcScopes,
      response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url: url.href, state };
  }

  /**
   * Completes the sign-in from the IdP's redirect: checks state (against the browser's cookie),
   * exchanges the code, validates the ID token and maps its claims to a user and roles.
   */
  async complete(
    query: Record<string, string | undefined>,
    cookieState: string | undefined,
    now = Date.now(),
  ): Promise<{ user: UserEntity; returnTo: string }> {
    const client = await this.client();
    const configuration = await this.discover();
    const state = query.state;
    const pending = state ? this.pending.get(state) : undefined;
    if (!state || !pending || pending.expiresAt < now || cookieState !== state) {
      throw new UserError(
        'OIDC_STATE_MISMATCH',
        'the sign-in could not be matched to this browser: start it again',
        400,
      );
    }
    this.pending.delete(state);
    if (query.error)
      throw new UserError('OIDC_DENIED', `the identity provider refused the sign-in: ${query.error}`, 401);
    const callback = new URL(this.settings.oidcRedirectUrl as string);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) callback.searchParams.set(key, value);
    let claims: Record<string, unknown>;
    try {
      const tokens = await client.authorizationCodeGrant(configuration, callback, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      claims = await this.withUserInfo(client, configuration, tokens.access_token, tokens.claims() ?? {});
    } catch (error) {
      this.logger.warn(`code exchange failed: ${(error as Error).message}`);
      throw new UserError('OIDC_FAILED', 'the identity provider did not confirm the sign-in', 401);
    }
    const usernameClaim = claims[this.settings.oidcUsernameClaim];
    const username = typeof usernameClaim === 'string' ? usernameClaim.toLowerCase() : '';
    if (!USERNAME_PATTERN.test(username)) {
      throw new UserError(
        'OIDC_BAD_CLAIMS',
        `the ID token's ${this.settings.oidcUsernameClaim} claim is not a usable user name`,
        401,
      );
    }
    const roles = rolesFromClaims(claims, this.settings);
    if (!roles.length)
      throw new UserError('OIDC_NO_ROLE', `${username} has no Loopgate role at the identity provider`, 403);
    const user = await this.users.upsertFromIdentityProvider({
      externalSubject: `${String(claims.iss)} ${String(claims.sub)}`,
      username,
      displayName: typeof claims.name === 'string' && claims.name ? claims.name.slice(0, 128) : username,
      roles,
    });
    return { user, returnTo: pending.returnTo };
  }

  /**
   * The ID token's claims, completed from the UserInfo endpoint when the user name or roles claim
   * is missing: a provider that follows OpenID Connect Core 5.4 returns scope claims only there.
   */
  private async withUserInfo(
    client: typeof OpenIdClient,
    configuration: OpenIdClient.Configuration,
    accessToken: string,
    idToken: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    const wanted = [this.settings.oidcUsernameClaim, this.settings.oidcRolesClaim];
    if (wanted.every((claim) => idToken[claim] !== undefined)) return idToken;
    if (!configuration.serverMetadata().userinfo_endpoint || typeof idToken.sub !== 'string') return idToken;
    // fetchUserInfo refuses an answer about another subject than the ID token's.
    const userInfo = await client.fetchUserInfo(configuration, accessToken, idToken.sub);
    // The signed ID token wins where both say something.
    return { ...userInfo, ...idToken };
  }

  private client(): Promise<typeof OpenIdClient> {
    if (!this.enabled) throw new UserError('OIDC_NOT_CONFIGURED', 'OpenID Connect sign-in is not configured', 404);
    // openid-client is an ES module; the gateway is CommonJS.
    return import('openid-client');
  }

  private discover(): Promise<OpenIdClient.Configuration> {
    this.configuration ??= this.client()
      .then((client) =>
        client.discovery(
          new URL(this.settings.oidcIssuer as string),
          this.settings.oidcClientId as string,
          this.settings.oidcClientSecret,
          undefined,
          {
            timeout: 10,
            execute: this.settings.oidcAllowInsecure ? [client.allowInsecureRequests] : [],
          },
        ),
      )
      .catch((error: unknown) => {
        this.configuration = undefined;
        this.logger.warn(`discovery at ${this.settings.oidcIssuer} failed: ${(error as Error).message}`);
        throw new UserError('OIDC_UNAVAILABLE', 'the identity provider cannot be reached; try again later', 503);
      });
    return this.configuration;
  }

  private prune(now: number): void {
    for (const [state, pending] of this.pending) if (pending.expiresAt < now) this.pending.delete(state);
  }
}
