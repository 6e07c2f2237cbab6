import { Body, Controller, Delete, Get, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { NewServiceToken, ServiceTokenList } from '@loopgate/contracts';
import { RequirePermission } from '../permissions';
import { CurrentPrincipal, type Principal } from '../principal';
import { ServiceTokensService, type ServiceTokenView } from '../tokens/service-tokens.service';
import { CreateTokenDto, TokenIdParam } from './auth.dto';

/** Service tokens for Node-RED runtimes (admins only). */
@ApiTags('tokens')
@Controller('tokens')
export class TokensController {
  constructor(private readonly tokens: ServiceTokensService) {}

  @Get()
  @RequirePermission('users:admin')
  async list(): Promise<ServiceTokenList> {
    return { tokens: await this.tokens.list() };
  }

  /** The response holds the token; it is not shown again. */
  @Post()
  @RequirePermission('users:admin')
  create(@Body() body: CreateTokenDto, @CurrentPrincipal() actor: Principal): Promise<NewServiceToken> {
    return this.tokens.create(body.name, actor);
  }

  @Delete(':id')
  @RequirePermission('users:admin')
  revoke(@Param() params: TokenIdParam, @CurrentPrincipal() actor: Principal): Promise<ServiceTokenView> {
    return this.tokens.revoke(params.id, actor);
  }
}
