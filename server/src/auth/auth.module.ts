import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Authenticator } from './authenticator';
import { AuthBootstrap } from './bootstrap.service';
import { InputShapeGuard } from './guards/input-shape.guard';
import { PermissionGuard } from './guards/permission.guard';
import { AuthController } from './http/auth.controller';
import { TokensController } from './http/tokens.controller';
import { UsersController } from './http/users.controller';
import { LoginThrottle } from './identity/login-throttle';
import { RequestLimit } from './limits/request-limit';
import { LoginService } from './identity/login.service';
import { PasswordCheck } from './identity/password-check';
import { SessionEntity } from './identity/session.entity';
import { SessionsRepository } from './identity/sessions.repository';
import { SessionsService } from './identity/sessions.service';
import { UserEntity } from './identity/user.entity';
import { UsersRepository } from './identity/users.repository';
import { UsersService } from './identity/users.service';
import { OidcService } from './oidc/oidc.service';
import { CREDENTIAL_CHECK, SIGNATURE_SERVICE, TOKEN_OWNERS } from './principal';
import { SecurityAudit } from './security-audit';
import { PasswordSignatureService } from './signature.service';
import { ServiceTokenEntity } from './tokens/service-token.entity';
import { ServiceTokensRepository } from './tokens/service-tokens.repository';
import { ServiceTokensService } from './tokens/service-tokens.service';

/**
 * Users, sessions, service tokens, electronic signatures and the global guards: every route is
 * refused unless it declares a permission the caller holds (`PermissionGuard`), and unknown input
 * is refused where no DTO covers it (`InputShapeGuard`).
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([UserEntity, SessionEntity, ServiceTokenEntity])],
  controllers: [AuthController, UsersController, TokensController],
  providers: [
    UsersRepository,
    SessionsRepository,
    ServiceTokensRepository,
    SecurityAudit,
    LoginThrottle,
    RequestLimit,
    PasswordCheck,
    SessionsService,
    UsersService,
    ServiceTokensService,
    LoginService,
    OidcService,
    Authenticator,
    AuthBootstrap,
    PasswordSignatureService,
    { provide: SIGNATURE_SERVICE, useExisting: PasswordSignatureService },
    { provide: TOKEN_OWNERS, useExisting: ServiceTokensService },
    { provide: CREDENTIAL_CHECK, useExisting: Authenticator },
    // Order matters: who is calling (401/403) is settled before what they sent (400).
    { provide: APP_GUARD, useClass: PermissionGuard },
    { provide: APP_GUARD, useClass: InputShapeGuard },
  ],
  exports: [
    SIGNATURE_SERVICE,
    TOKEN_OWNERS,
    CREDENTIAL_CHECK,
    Authenticator,
    UsersService,
    PasswordCheck,
    SecurityAudit,
  ],
})
export class AuthModule {}
