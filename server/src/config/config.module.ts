import { Global, Module, type DynamicModule } from '@nestjs/common';
import { LOOPGATE_CONFIG, type LoopgateConfig } from './config';

/** Makes the validated configuration injectable as `@Inject(LOOPGATE_CONFIG)`. */
@Global()
@Module({})
export class ConfigModule {
  static forConfig(config: LoopgateConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: LOOPGATE_CONFIG, useValue: config }],
      exports: [LOOPGATE_CONFIG],
    };
  }
}
