import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { LOOPGATE_CONFIG, type LoopgateConfig } from '../config/config';
import { UsersService } from './identity/users.service';
import { ServiceTokensService } from './tokens/service-tokens.service';

/** At start: the first admin from `LOOPGATE_ADMIN_PASSWORD`, a service token from `LOOPGATE_BOOTSTRAP_TOKEN`. */
@Injectable()
export class AuthBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger('AuthBootstrap');

  constructor(
    private readonly users: UsersService,
    private readonly tokens: ServiceTokensService,
    @Inject(LOOPGATE_CONFIG) private readonly config: Pick<LoopgateConfig, 'adminPassword' | 'bootstrapToken'>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const admin = await this.users.ensureBootstrapAdmin(this.config.adminPassword);
    if (admin === 'created' || admin === 'updated') this.logger.log(`user admin ${admin} from LOOPGATE_ADMIN_PASSWORD`);
    const token = await this.tokens.ensureBootstrapToken(this.config.bootstrapToken);
    if (token === 'created') this.logger.log('service token bootstrap registered from LOOPGATE_BOOTSTRAP_TOKEN');
  }
}
