import { actionOf, type ParameterValue, type TargetDescription } from '@loopgate/contracts';
import { TargetError, type TargetCapabilities, type TargetDefinition, type TargetWrite } from './adapter';

/*
 * What a target's description decides on the gateway's side: its adapter's capabilities, which
 * commands it takes at all (judged at intake and again by the adapter before anything is sent),
 * and its registry entry.
 */

/** The adapter capabilities a description declares. */
export function capabilitiesOf(description: TargetDescription): TargetCapabilities {
  const { readBack, locks, lockScope, idempotentCreate } = description.capabilities;
  return {
    actions: description.actions.map((a) => a.action),
    readBack,
    locks,
    ...(lockScope ? { lockScope } : {}),
    idempotentCreate,
  };
}

/** A registry entry whose kind and actions come from the target's description. */
export function defineTarget<C>(
  definition: Omit<TargetDefinition<C>, 'kind' | 'actions'> & { description: TargetDescription },
): TargetDefinition<C> {
  return {
    ...definition,
    kind: definition.description.kind,
    actions: definition.description.actions.map((a) => a.action),
  };
}

/** The parts of a command the description judges. */
export type DescribedCommand = Pick<TargetWrite, 'action' | 'object' | 'parameter' | 'value' | 'details'>;

const present = (value: ParameterValue | null | undefined): boolean =>
  value !== undefined && value !== null && value !== '';
const isNumber = (value: ParameterValue): boolean =>
  typeof value === 'number'
    ? Number.isFinite(value)
    : typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value));

/**
 * Why `description`'s target does not take `command`, or undefined when it does: an action it does
 * not offer (`UNSUPPORTED_ACTION`), an object type the action does not act on
 * (`UNSUPPORTED_OBJECT`), a missing parameter, value or required detail, or text in a number
 * detail (`INVALID_COMMAND`). Details the description does not name are refused too: nothing is
 * sent that the target would silently drop.
 *
 * @example
 * commandMismatch(opcuaDescription, { action: 'hold-lot', object: { type: 'material-lot', id: 'L1' } })
 * // { code: 'UNSUPPORTED_ACTION', message: 'OPC UA setpoint does not offer hold-lot (it offers set-parameter)' }
 */
export function commandMismatch(
  description: TargetDescription,
  command: DescribedCommand,
): { code: 'UNSUPPORTED_ACTION' | 'UNSUPPORTED_OBJECT' | 'INVALID_COMMAND'; message: string } | undefined {
  const action = actionOf(description, command.action);
  if (!action) {
    const offered = description.actions.map((a) => a.action).join(', ');
    return {
      code: 'UNSUPPORTED_ACTION',
      message: `${description.label} does not offer ${String(command.action)} (it offers ${offered})`,
    };
  }
  if (!action.objectTypes.includes(command.object.type))
    return {
      code: 'UNSUPPORTED_OBJECT',
      message: `${action.action} at ${description.label} acts on ${action.objectTypes.join(' or ')}, not ${command.object.type}`,
    };
  const invalid = (message: string) => ({ code: 'INVALID_COMMAND' as const, message: `${action.action}: ${message}` });
  if (action.needsParameter && !command.parameter)
    return invalid(`names the ${description.parameterLabel.toLowerCase()}`);
  if (action.needsValue && command.value === undefined) return invalid('needs a value');
  // Read by property descriptor, not by get: a test that records which details an adapter reads
  // (descriptions.spec.ts) must not count this check's reads as the adapter's.
  const details: Record<string, ParameterValue> = Object.fromEntries(
    Object.entries(Object.getOwnPropertyDescriptors(command.details ?? {})).map(([name, d]) => [
      name,
      d.value as ParameterValue,
    ]),
  );
  for (const name of Object.keys(details)) {
    if (!action.details.some((d) => d.name === name))
      return invalid(
        action.details.length > 0
          ? `details.${name} is not a field of this action (${action.details.map((d) => d.name).join(', ')})`
          : `details.${name} is not a field of this action (it takes none)`,
      );
  }
  for (const field of action.details) {
    const value = details[field.name];
    if (!present(value)) {
      if (field.required && !(field.orValue && present(command.value)))
        return invalid(`needs details.${field.name} (${field.label.toLowerCase()})`);
      continue;
    }
    if (field.kind === 'number' && !isNumber(value)) return invalid(`details.${field.name} must be a number`);
  }
  return undefined;
}

/** Throws the adapter's `rejected` failure for a command its target's description does not take. */
export function checkDescribed(description: TargetDescription, command: DescribedCommand): void {
  const mismatch = commandMismatch(description, command);
  if (mismatch) throw new TargetError('rejected', mismatch.code, mismatch.message);
}

/** A command's text field (a status, a work center) or `rejected` / `INVALID_COMMAND` naming `what`. */
export function requiredText(value: ParameterValue | null | undefined, what: string): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new TargetError('rejected', 'INVALID_COMMAND', `${what} must be a non-empty string`);
  return value;
}

/** The reason sent to the MES with a lot hold or release: the request's reason and the QA comment, if any. */
export function reasonWithComment(command: Pick<TargetWrite, 'reason' | 'details'>): string {
  const comment = command.details?.comment;
  return typeof comment === 'string' && comment.trim() !== ''
    ? `${command.reason} (comment: ${comment.trim()})`
    : command.reason;
}
