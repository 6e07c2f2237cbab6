import { TARGET_KINDS, type TargetKind } from '@loopgate/contracts';
import { IsDefined, IsIn, IsString, Matches } from 'class-validator';
import type { TargetAdapter, TargetDefinition } from './adapter';
import { avevaTarget } from './aveva';
import { cmmsTarget } from './cmms';
import { factoryTalkTarget } from './factorytalk';
import { opcenterTarget } from './opcenter';
import { opcuaTarget } from './opcua';
import { sapDmTarget } from './sapdm';
import { parseConfigClass, TargetConfigError } from './target-config';

/**
 * Every target Loopgate can write to, in one explicit list. Adding a target is one folder plus
 * one line here; see docs/integrators.md.
 */
export const TARGET_DEFINITIONS: readonly TargetDefinition[] = [
  opcenterTarget,
  factoryTalkTarget,
  avevaTarget,
  cmmsTarget,
  opcuaTarget,
  sapDmTarget,
];

/** One configured target instance, as in the gateway's configuration file. */
export interface TargetInstanceConfig {
  /** Unique name of the instance, e.g. `opcenter-line1`. */
  instance: string;
  kind: TargetKind;
  /** Validated by the kind's `parseConfig`. */
  connection: unknown;
}

class TargetInstanceConfigSchema implements TargetInstanceConfig {
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { message: 'must be 1-64 letters, digits, dot, dash or underscore' })
  instance: string;

  @IsIn(TARGET_KINDS)
  kind: TargetKind;

  @IsDefined()
  connection: unknown;
}

/** The definition registered for `kind`; a `TargetConfigError` naming `$.kind` when there is none. */
export function targetDefinition(kind: TargetKind): TargetDefinition {
  const found = TARGET_DEFINITIONS.find((d) => d.kind === kind);
  if (!found) {
    throw new TargetConfigError([
      { code: 'UNKNOWN_TARGET', path: '$.kind', message: `no target definition is registered for ${kind}` },
    ]);
  }
  return found;
}

/**
 * Validates an instance configuration and builds its adapter. Errors are `TargetConfigError`s whose
 * issues name each bad field (`$.instance`, `$.kind`, `$.connection.<field>`), never its value.
 *
 * @example
 * const adapter = createTargetAdapter({
 *   instance: 'opcenter-line1', kind: 'opcenter',
 *   connection: { baseUrl: 'http://127.0.0.1:18201', app: 'OpcenterEXDS', clientId: 'loopgate',
 *                 clientSecretEnv: 'OPCENTER_CLIENT_SECRET' },
 * });
 */
export function createTargetAdapter(raw: unknown): TargetAdapter {
  const { instance, definition, connection } = parseTargetInstance(raw);
  return definition.create(instance, connection);
}

/**
 * Validates an instance configuration (secrets included) without building its adapter, so a start-up
 * check opens no connection. Throws `TargetConfigError` like `createTargetAdapter`.
 */
export function parseTargetInstance(raw: unknown): {
  instance: string;
  definition: TargetDefinition;
  connection: unknown;
} {
  const config = parseConfigClass(TargetInstanceConfigSchema, raw, '$');
  const definition = targetDefinition(config.kind);
  try {
    return { instance: config.instance, definition, connection: definition.parseConfig(config.connection) };
  } catch (error) {
    if (error instanceof TargetConfigError) {
      // Definitions validate `connection` on its own; put their issue paths under `$.connection`.
      throw new TargetConfigError(
        error.issues.map((issue) => ({ ...issue, path: issue.path.replace(/^\$/, '$.connection') })),
      );
    }
    throw error;
  }
}
