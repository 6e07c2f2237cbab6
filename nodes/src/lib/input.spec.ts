import helper from 'node-red-node-test-helper';
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeAPI, NodeDef, Node } from './node-red';
import { onInput } from './input';
import { Inbox } from '../testing/flow';

function failingNode(RED: NodeAPI): void {
  RED.nodes.registerType('failing-node', function (this: Node, def: NodeDef) {
    RED.nodes.createNode(this, def);
    onInput(this, async () => {
      await Promise.resolve();
      throw new Error('a bug');
    });
  });
}

describe('onInput', () => {
  afterEach(() => helper.unload());

  it('turns an unexpected failure into a catchable error instead of an unhandled rejection', async () => {
    await helper.load(failingNode, [
      { id: 'f', type: 'failing-node' },
      { id: 'c', type: 'catch', scope: null, wires: [['errors']] },
      { id: 'errors', type: 'helper' },
    ]);
    helper.getNode('f').receive({ payload: 1 });
    const caught = await new Inbox(helper.getNode('errors')).next();
    expect((caught.error as { message: string }).message).toContain('a bug');
  });
});
