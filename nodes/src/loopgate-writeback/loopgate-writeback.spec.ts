import helper from 'node-red-node-test-helper';
import {
  TARGET_CATALOGUE,
  type TargetActionDescription,
  type TargetDescription,
  type WriteBackOutcome,
  type WriteBackRequest,
} from '@loopgate/contracts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import gatewayNode from '../loopgate-gateway/loopgate-gateway';
import { FakeGateway } from '../testing/fake-gateway';
import { Inbox, tab } from '../testing/flow';
import { INFERENCE, RULE } from '../testing/output-node-cases';
import writeBackOutputs from './loopgate-writeback';

/*
 * Every action every described target offers, through its output node as a person fills in the
 * dialog: the node builds the request the gateway takes (action, object, parameter, value and each
 * detail field, typed as the description says). What the gateway and the adapter accept of the
 * same description is server/src/targets/descriptions.spec.ts.
 */

const OBJECT_ID = 'OBJ-1';

/** The dialog's values for `action`, every field filled with a literal of its kind. */
function dialogFor(action: TargetActionDescription): Record<string, unknown> {
  return {
    action: action.action,
    objectType: action.objectTypes[0],
    objectId: OBJECT_ID,
    objectIdType: 'str',
    ...(action.needsParameter ? { parameter: 'Described', parameterType: 'str' } : {}),
    ...(action.needsValue ? { value: '7', valueType: 'num' } : {}),
    details: Object.fromEntries(
      action.details.map((d) => [
        d.name,
        d.kind === 'number' ? { value: '2', valueType: 'num' } : { value: `${d.name} text`, valueType: 'str' },
      ]),
    ),
  };
}

/** The request the gateway must receive for that dialog. */
function requestFor(action: TargetActionDescription): Partial<WriteBackRequest> {
  return {
    action: action.action,
    object: { type: action.objectTypes[0], id: OBJECT_ID },
    ...(action.needsParameter ? { parameter: 'Described' } : {}),
    ...(action.needsValue ? { value: 7 } : {}),
    ...(action.details.length > 0
      ? {
          details: Object.fromEntries(action.details.map((d) => [d.name, d.kind === 'number' ? 2 : `${d.name} text`])),
        }
      : {}),
  };
}

const cases = Object.values(TARGET_CATALOGUE).flatMap((target: TargetDescription) =>
  target.actions.map((action) => [target.nodeType, action.action, target, action] as const),
);

describe('loopgate-writeback: one output node per described target', () => {
  const gateway = new FakeGateway();
  beforeAll(() => gateway.start());
  afterAll(() => gateway.stop());
  beforeEach(() => {
    gateway.behaviour = { initialState: 'queued', finalState: 'applied', pollsUntilFinal: 1, failNextPosts: 0 };
    gateway.requests.length = 0;
  });
  afterEach(() => helper.unload());

  it('registers every described target’s node type', async () => {
    const targets = Object.values(TARGET_CATALOGUE);
    const nodes = targets.map((t) => ({
      ...dialogFor(t.actions[0]),
      id: `node-${t.kind}`,
      type: t.nodeType,
      z: 'tab1',
      wires: [],
    }));
    await helper.load([gatewayNode, writeBackOutputs], [tab(), ...nodes]);
    for (const target of targets)
      expect(helper.getNode(`node-${target.kind}`)?.type, target.nodeType).toBe(target.nodeType);
  });

  it.each(cases)(
    '%s: %s as the dialog fills it becomes the request the gateway takes',
    async (_, __, target, action) => {
      const flow = [
        tab(),
        { id: 'gw', type: 'loopgate-gateway', url: gateway.url, timeout: '2' },
        {
          id: 'out',
          type: target.nodeType,
          z: 'tab1',
          gateway: 'gw',
          instance: target.exampleInstance,
          ttl: 2,
          ...dialogFor(action),
          wires: [['result']],
        },
        { id: 'result', type: 'helper', z: 'tab1' },
      ];
      await helper.load([gatewayNode, writeBackOutputs], flow, { gw: { token: gateway.token } });
      const results = new Inbox(helper.getNode('result'));
      // Each case its own inference: the request id is made from it, and the gateway answers a taken one with its command.
      const inference = { ...INFERENCE, inferenceId: `inf-${target.nodeType}-${action.action}` };
      helper.getNode('out').receive({ payload: {}, inference, rule: RULE });
      expect(((await results.next()).payload as WriteBackOutcome).state).toBe('applied');
      expect(gateway.requests).toHaveLength(1);
      expect(gateway.requests[0]).toMatchObject({
        target: { kind: target.kind, instance: target.exampleInstance },
        ...requestFor(action),
      });
      expect(Object.keys(gateway.requests[0].details ?? {}).sort()).toEqual(action.details.map((d) => d.name).sort());
    },
  );
});
