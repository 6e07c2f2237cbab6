import { answerFromGateway } from '../admin-proxy';
import type { NodeAPI } from '../node-red';

const registered = new WeakSet<object>();

/**
 * The editor endpoint that fills an output node's Target list: the gateway's configured instances
 * of one kind: `GET <admin>/loopgate/gateways/:gateway/targets?kind=opcenter`.
 */
export function registerTargetAdminRoutes(RED: NodeAPI): void {
  if (registered.has(RED.httpAdmin)) return;
  registered.add(RED.httpAdmin);
  RED.httpAdmin.get(
    '/loopgate/gateways/:gateway/targets',
    RED.auth.needsPermission('loopgate-gateway.read'),
    (req, res) => {
      const kind = typeof req.query.kind === 'string' ? req.query.kind : undefined;
      answerFromGateway(RED, req.params.gateway, res, async (client) => {
        const list = await client.listTargets();
        return kind ? list.filter((t) => t.kind === kind) : list;
      });
    },
  );
}
