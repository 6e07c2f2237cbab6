import { gatewayFor } from '../loopgate-gateway/loopgate-gateway';
import { GatewayError } from '../lib/gateway-client';
import type { HttpResponse, NodeAPI } from '../lib/node-red';

const registered = new WeakSet<object>();

function sendError(res: HttpResponse, err: unknown): void {
  if (err instanceof GatewayError) {
    res.status(502).json({ code: err.code, message: err.message });
    return;
  }
  res.status(500).json({ code: 'INTERNAL', message: (err as Error).message });
}

/**
 * Editor endpoints that fill the rule node's dropdowns. They proxy the gateway's rule set list
 * with the deployed gateway config node's token, so the token never reaches the browser:
 * `GET <admin>/loopgate/gateways/:gateway/rulesets` and `.../rulesets/:ruleSet/versions`.
 */
export function registerRuleAdminRoutes(RED: NodeAPI): void {
  if (registered.has(RED.httpAdmin)) return;
  registered.add(RED.httpAdmin);
  const permission = RED.auth.needsPermission('loopgate-rule.read');

  RED.httpAdmin.get('/loopgate/gateways/:gateway/rulesets', permission, (req, res) => {
    const gateway = gatewayFor(RED, req.params.gateway);
    if ('problem' in gateway) {
      res
        .status(409)
        .json({ code: 'GATEWAY_NOT_READY', message: `${gateway.problem} (deploy the gateway configuration first)` });
      return;
    }
    gateway.client.listRuleSets().then(
      (list) => res.json(list),
      (err: unknown) => sendError(res, err),
    );
  });

  RED.httpAdmin.get('/loopgate/gateways/:gateway/rulesets/:ruleSet/versions', permission, (req, res) => {
    const gateway = gatewayFor(RED, req.params.gateway);
    if ('problem' in gateway) {
      res
        .status(409)
        .json({ code: 'GATEWAY_NOT_READY', message: `${gateway.problem} (deploy the gateway configuration first)` });
      return;
    }
    gateway.client.listRuleSetVersions(req.params.ruleSet).then(
      (list) => res.json(list),
      (err: unknown) => sendError(res, err),
    );
  });
}
