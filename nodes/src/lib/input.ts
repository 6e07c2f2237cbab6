import type { Node, NodeDone, NodeMessage, NodeSend } from './node-red';

/**
 * Registers an async input handler whose unexpected failures end the message with `done(err)`
 * (a Catch node sees it) instead of becoming an unhandled rejection that stops Node-RED.
 *
 * @example
 * onInput(node, async (msg, send, done) => { send(await enrich(msg)); done(); });
 */
export function onInput(
  node: Node,
  handler: (msg: NodeMessage, send: NodeSend, done: NodeDone) => Promise<void>,
): void {
  node.on('input', (msg, send, done) => {
    handler(msg, send, done).catch((err: unknown) => {
      node.status({ fill: 'red', shape: 'dot', text: 'error' });
      done(err instanceof Error ? err : new Error(String(err)));
    });
  });
}
