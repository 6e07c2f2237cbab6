import {
  ISA95_OBJECT_TYPES,
  TARGET_CATALOGUE,
  WRITE_BACK_ACTIONS,
  type ParameterValue,
  type TargetActionDescription,
  type TargetDescription,
} from '@loopgate/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TargetWrite } from './adapter';
import { capabilitiesOf, commandMismatch } from './describe';
import { failureOf, harnessFromDefinition, type ContractHarness } from './contract-suite';
import { TARGET_DEFINITIONS } from './registry';

/*
 * What the palette offers is exactly what the adapter accepts. The palette's output nodes, the
 * console's pickers and the rules' event check read `TARGET_CATALOGUE` (generated from each
 * target's `description.ts`); here every registered adapter is held to the same description
 * against its simulator: each action offered is taken, each one not offered is refused before
 * anything is sent, and the adapter reads exactly the detail fields the palette lets a person fill.
 */

/** Failure codes that mean "the target does not take this command": never for a described command. */
const NOT_TAKEN = new Set(['UNSUPPORTED_ACTION', 'UNSUPPORTED_OBJECT', 'INVALID_COMMAND', 'INVALID_ADDRESS']);

/** A value of the field's kind, as a person would type it. */
const sampleDetail = (kind: 'text' | 'number'): ParameterValue => (kind === 'number' ? 2 : 'Described');

/** A complete command for `action` on an object that does not exist at the target. */
function describedWrite(action: TargetActionDescription, ref: string): TargetWrite {
  return {
    action: action.action,
    object: { type: action.objectTypes[0], id: `DESCRIBED-${ref}` },
    ...(action.needsParameter ? { parameter: 'DescribedParameter' } : {}),
    ...(action.needsValue ? { value: 1 } : {}),
    details: Object.fromEntries(action.details.map((d) => [d.name, sampleDetail(d.kind)])),
    externalRef: `described-${ref}`,
    reason: 'description check',
  };
}

/** `details` that record which of their fields the adapter reads. */
function recordingDetails(details: Record<string, ParameterValue>): {
  details: Record<string, ParameterValue>;
  read: Set<string>;
} {
  const read = new Set<string>();
  const proxy = new Proxy(details, {
    get(target, key, receiver) {
      if (typeof key === 'string' && key !== 'toJSON') read.add(key);
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  return { details: proxy, read };
}

describe('the generated catalogue', () => {
  it('holds every registered target, as its description declares it', () => {
    expect(Object.keys(TARGET_CATALOGUE).sort()).toEqual(TARGET_DEFINITIONS.map((d) => d.kind).sort());
    for (const definition of TARGET_DEFINITIONS)
      expect(TARGET_CATALOGUE[definition.kind]).toEqual(definition.description);
  });

  it('names each palette node type, example instance and action once', () => {
    const descriptions: TargetDescription[] = Object.values(TARGET_CATALOGUE);
    expect(new Set(descriptions.map((d) => d.nodeType)).size).toBe(descriptions.length);
    for (const d of descriptions) expect(new Set(d.actions.map((a) => a.action)).size).toBe(d.actions.length);
  });
});

describe.each(TARGET_DEFINITIONS.map((d) => [d.kind, d] as const))(
  'target %s against its description',
  (_, definition) => {
    const description = definition.description;
    let h: ContractHarness;
    beforeAll(async () => {
      h = await harnessFromDefinition(definition, { requestTimeoutMs: 2_000 });
    });
    afterAll(async () => {
      await h?.close();
    });

    it('has the capabilities its description declares, and the methods they need', () => {
      expect(h.adapter.capabilities).toEqual(capabilitiesOf(description));
      expect(h.adapter.description).toBe(description);
      expect(typeof h.adapter.logEvent === 'function').toBe(description.capabilities.eventLog);
      expect(typeof h.adapter.acquireLock === 'function').toBe(description.capabilities.locks);
      expect(typeof h.adapter.releaseLock === 'function').toBe(description.capabilities.locks);
      expect(typeof h.adapter.findCreated === 'function').toBe(description.capabilities.idempotentCreate);
    });

    it('refuses every action it does not offer and every object type an action does not act on, sending nothing', async () => {
      const before = h.simulator.requestCount();
      let refused = 0;
      for (const action of WRITE_BACK_ACTIONS.filter((a) => !description.actions.some((d) => d.action === a))) {
        const failure = await failureOf(
          h.adapter.write({ action, object: { type: 'equipment', id: 'X' }, externalRef: `no-${action}`, reason: 'r' }),
        );
        expect(failure, action).toMatchObject({ kind: 'rejected', code: 'UNSUPPORTED_ACTION' });
        refused++;
      }
      for (const action of description.actions) {
        for (const type of ISA95_OBJECT_TYPES.filter((t) => !action.objectTypes.includes(t))) {
          const write = describedWrite(action, `${action.action}-${type}`);
          const failure = await failureOf(h.adapter.write({ ...write, object: { type, id: 'X' } }));
          expect(failure, `${action.action} on ${type}`).toMatchObject({
            kind: 'rejected',
            code: 'UNSUPPORTED_OBJECT',
          });
          refused++;
        }
      }
      expect(refused).toBeGreaterThan(0);
      expect(h.simulator.requestCount()).toBe(before);
    });

    it('refuses a command without a required field or with a detail it does not take, sending nothing', async () => {
      const before = h.simulator.requestCount();
      for (const action of description.actions) {
        const complete = describedWrite(action, `${action.action}-required`);
        const incomplete: TargetWrite[] = [
          ...(action.needsValue ? [{ ...complete, value: undefined }] : []),
          ...(action.needsParameter ? [{ ...complete, parameter: undefined }] : []),
          ...action.details
            .filter((d) => d.required)
            .map((d) => ({
              ...complete,
              details: Object.fromEntries(Object.entries(complete.details ?? {}).filter(([name]) => name !== d.name)),
            })),
          { ...complete, details: { ...complete.details, notAField: 'x' } },
        ];
        for (const write of incomplete) {
          const failure = await failureOf(h.adapter.write(write));
          expect(failure, `${action.action} ${JSON.stringify(write.details)}`).toMatchObject({
            kind: 'rejected',
            code: 'INVALID_COMMAND',
          });
        }
      }
      expect(h.simulator.requestCount()).toBe(before);
    });

    it('takes every action it offers and reads exactly the detail fields the palette offers', async () => {
      // The simulator applying the sample write is the contract suite's to show; here the objects do
      // not exist, so the MES answers each write, and no answer may be "not a command I take".
      for (const action of description.actions) {
        const write = describedWrite(action, action.action);
        const { details, read } = recordingDetails(write.details ?? {});
        const outcome = await h.adapter.write({ ...write, details }).then(
          () => 'applied',
          (error: { code?: string }) => error.code ?? 'error',
        );
        expect(NOT_TAKEN.has(outcome), `${action.action}: ${outcome}`).toBe(false);
        expect([...read].sort(), action.action).toEqual(action.details.map((d) => d.name).sort());
        expect(commandMismatch(description, write)).toBeUndefined();
      }
    });
  },
);
