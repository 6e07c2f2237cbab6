import { Body, Controller, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { UserList } from '@loopgate/contracts';
import { UsersService, type UserView } from '../identity/users.service';
import { RequirePermission } from '../permissions';
import { CurrentPrincipal, type Principal } from '../principal';
import { CreateUserDto, UpdateUserDto, UsernameParam } from './auth.dto';

/** Local users and their roles (admins only). */
@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @RequirePermission('users:admin')
  async list(): Promise<UserList> {
    return { users: await this.users.list() };
  }

  @Post()
  @RequirePermission('users:admin')
  create(@Body() body: CreateUserDto, @CurrentPrincipal() actor: Principal): Promise<UserView> {
    return this.users.create(body, actor);
  }

  @Get(':username')
  @RequirePermission('users:admin')
  get(@Param() params: UsernameParam): Promise<UserView> {
    return this.users.get(params.username);
  }

  /** Role changes, disabling and password resets end the user's sessions at once. */
  @Patch(':username')
  @RequirePermission('users:admin')
  update(
    @Param() params: UsernameParam,
    @Body() body: UpdateUserDto,
    @CurrentPrincipal() actor: Principal,
  ): Promise<UserView> {
    return this.users.update(params.username, body, actor);
  }

  @Post(':username/unlock')
  @HttpCode(200)
  @RequirePermission('users:admin')
  unlock(@Param() params: UsernameParam, @CurrentPrincipal() actor: Principal): Promise<UserView> {
    return this.users.unlock(params.username, actor);
  }
}
