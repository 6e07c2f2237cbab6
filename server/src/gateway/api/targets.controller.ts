import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { ControlState, TargetList, TargetStatus } from '@loopgate/contracts';
import { RequirePermission } from '../../auth/permissions';
import { CurrentPrincipal, type Principal } from '../../auth/principal';
import { TargetsService } from '../services/targets.service';
import { ShadowModeRequestDto, StopRequestDto } from './dto/control.dto';

@ApiTags('targets')
@ApiBearerAuth()
@Controller('targets')
export class TargetsController {
  constructor(private readonly targets: TargetsService) {}

  @Get()
  @RequirePermission('read')
  async list(): Promise<TargetList> {
    return { targets: await this.targets.list() };
  }

  @Post(':instance/pause')
  @HttpCode(200)
  @RequirePermission('target:control')
  pause(
    @Param('instance') instance: string,
    @Body() body: StopRequestDto,
    @CurrentPrincipal() principal: Principal | undefined,
  ): Promise<TargetStatus> {
    return this.targets.pause(instance, true, principal, body.reason);
  }

  @Post(':instance/resume')
  @HttpCode(200)
  @RequirePermission('target:control')
  resume(
    @Param('instance') instance: string,
    @Body() body: StopRequestDto,
    @CurrentPrincipal() principal: Principal | undefined,
  ): Promise<TargetStatus> {
    return this.targets.pause(instance, false, principal, body.reason);
  }

  @Post(':instance/shadow')
  @HttpCode(200)
  @RequirePermission('target:control')
  shadow(
    @Param('instance') instance: string,
    @Body() body: ShadowModeRequestDto,
    @CurrentPrincipal() principal: Principal | undefined,
  ): Promise<TargetStatus> {
    return this.targets.shadow(instance, body.enabled, principal, body.reason);
  }
}

@ApiTags('targets')
@ApiBearerAuth()
@Controller('control')
export class ControlController {
  constructor(private readonly targets: TargetsService) {}

  @Get()
  @RequirePermission('read')
  state(): ControlState {
    return this.targets.control();
  }

  /** The global kill switch: no write attempt starts until resumed. */
  @Post('stop')
  @HttpCode(200)
  @RequirePermission('target:control')
  stop(@Body() body: StopRequestDto, @CurrentPrincipal() principal: Principal | undefined): Promise<ControlState> {
    return this.targets.stopAll(principal, body.reason);
  }

  @Post('resume')
  @HttpCode(200)
  @RequirePermission('target:control')
  resume(@Body() _body: StopRequestDto, @CurrentPrincipal() principal: Principal | undefined): Promise<ControlState> {
    return this.targets.resumeAll(principal);
  }
}
