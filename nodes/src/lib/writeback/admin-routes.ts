import { gatewayFor } from '../../loopgate-gateway/loopgate-gateway';
import { GatewayError } from '../gateway-client';
import type { NodeAPI } from '../node-red';

const registered = new WeakSet<object>();

/**
 * The editor endpoint that fills an output node's Target list: the gateway's configured instances
 * of one kind, asked with the deployed gateway config node's token (it never reaches the browser):
 * `GET <admin>/loopgate/gateways/:gateway/targets?kind=opcenter`.
 */
export function registerTargetAdminRoutes(RED: NodeAPI): void {
  if (registered.has(RED.httpAdmin)) return;
  registered.add(RED.httpAdmin);
  RED.httpAdmin.get(
    '/loopgate/gateways/:gateway/targets',
    RED.auth.needsPermission('loopgate-gateway.read'),
    (req, res) => {
      const gateway = gatewayFor(RED, req.params.gateway);
      if ('problem' in gateway) {
        res
          .status(409)
          .json({ code: 'GATEWAY_NOT_READY', message: `${gateway.problem} (deploy the gateway configuration first)` });
        return;
      }
      const kind = typeof req.query.kind === 'string' ? req.query.kind : undefined;
      gateway.client.listTargets().then(
        (list) => res.json(kind ? list.filter((t) => t.kind === kind) : list),
        (err: unknown) =>
          err instanceof GatewayError
            ? res.status(502).json({ code: err.code, message: err.message })
            : res.status(500).json({ code: 'INTERNAL', message: (err as Error).message }),
      );
    },
  );
}
