import { Body, Controller, Get, Headers, HttpCode, Inject, Ip, Post, Query, Res } from '@nestjs/common';
import { ApiFoundResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { API_PREFIX, type AuthProviders, type CurrentUser, type LoginResponse } from '@loopgate/contracts';
import { LOOPGATE_CONFIG, type LoopgateConfig } from '../../config/config';
import type { Authentication } from '../authenticator';
import { LoginService } from '../identity/login.service';
import { OidcService } from '../oidc/oidc.service';
import { permissionsOf, RequirePermission } from '../permissions';
import { CurrentPrincipal, type Principal } from '../principal';
import { ChangePasswordDto, LoginDto, OidcCallbackQuery, OidcLoginQuery } from './auth.dto';
import { CurrentAuthentication } from './current-authentication';
import { clearedSessionCookie, readCookie, sessionCookie } from './session-cookie';

const OIDC_STATE_COOKIE = 'loopgate_oidc_state';
const OIDC_COOKIE_PATH = `${API_PREFIX}/auth/oidc`;

/** Signing in (password or OpenID Connect), out, and who is signed in. */
@ApiTags('auth')
@Controller('auth')
export class AuthController {
  private readonly secureCookies: boolean;

  constructor(
    private readonly logins: LoginService,
    private readonly oidc: OidcService,
    @Inject(LOOPGATE_CONFIG) config: Pick<LoopgateConfig, 'secureCookies' | 'tlsCert'>,
  ) {
    this.secureCookies = config.secureCookies ?? Boolean(config.tlsCert);
  }

  /** Returns the session token and sets it as an HttpOnly cookie, so EventSource works too. */
  @Post('login')
  @HttpCode(200)
  @RequirePermission('public')
  async login(
    @Body() body: LoginDto,
    @Ip() address: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<LoginResponse> {
    const login = await this.logins.login(body.username, body.password, address);
    res.setHeader('Set-Cookie', sessionCookie(login.token, login.expiresAt, this.secureCookies));
    res.setHeader('Cache-Control', 'no-store');
    return login;
  }

  @Post('logout')
  @HttpCode(204)
  @RequirePermission('read')
  async logout(
    @CurrentAuthentication() authentication: Authentication,
    @Res({ passthrough: true }) res: Response,
  ): Promise<void> {
    await this.logins.logout(authentication);
    res.setHeader('Set-Cookie', clearedSessionCookie(this.secureCookies));
  }

  @Get('me')
  @RequirePermission('read')
  me(@CurrentPrincipal() principal: Principal): CurrentUser {
    return {
      kind: principal.kind,
      username: principal.id,
      displayName: principal.displayName,
      roles: principal.roles,
      permissions: [...permissionsOf(principal)],
    };
  }

  /** Ends every session of the user, this one included. */
  @Post('password')
  @HttpCode(204)
  @RequirePermission('read')
  async changePassword(
    @Body() body: ChangePasswordDto,
    @CurrentAuthentication() authentication: Authentication,
    @Res({ passthrough: true }) res: Response,
  ): Promise<void> {
    await this.logins.changePassword(authentication, body.currentPassword, body.newPassword);
    res.setHeader('Set-Cookie', clearedSessionCookie(this.secureCookies));
  }

  /** How one may sign in here, for the console's login page. */
  @Get('providers')
  @RequirePermission('public')
  providers(): AuthProviders {
    return { password: true, ...(this.oidc.enabled ? { oidc: { loginUrl: `${OIDC_COOKIE_PATH}/login` } } : {}) };
  }

  /** Sends the browser to the identity provider. */
  @ApiFoundResponse({ description: "To the identity provider's sign-in page" })
  @Get('oidc/login')
  @RequirePermission('public')
  async oidcLogin(@Query() query: OidcLoginQuery, @Res() res: Response): Promise<void> {
    const { url, state } = await this.oidc.begin(query.returnTo);
    // Lax, not Strict: the IdP's redirect back is a cross-site navigation that must carry it.
    res.cookie(OIDC_STATE_COOKIE, state, {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.secureCookies,
      path: OIDC_COOKIE_PATH,
      maxAge: 10 * 60 * 1000,
    });
    res.redirect(302, url);
  }

  /** The identity provider's redirect back: starts a session and returns to the console. */
  @ApiFoundResponse({ description: 'Signed in (a session cookie is set): back to the console' })
  @Get('oidc/callback')
  @RequirePermission('public')
  async oidcCallback(
    @Query() query: OidcCallbackQuery,
    @Headers('cookie') cookies: string | undefined,
    @Ip() address: string,
    @Res() res: Response,
  ): Promise<void> {
    res.clearCookie(OIDC_STATE_COOKIE, { path: OIDC_COOKIE_PATH });
    const { user, returnTo } = await this.oidc.complete({ ...query }, readCookie(cookies, OIDC_STATE_COOKIE));
    const login = await this.logins.startSession(user, 'oidc', address);
    res.append('Set-Cookie', sessionCookie(login.token, login.expiresAt, this.secureCookies));
    res.redirect(302, returnTo);
  }
}
