import { answerFromGateway } from '../lib/admin-proxy';
import type { NodeAPI } from '../lib/node-red';

const registered = new WeakSet<object>();

/**
 * Editor endpoints that fill the rule node's dropdowns. They proxy the gateway's rule set list
 * with the deployed gateway config node's token, so the token never reaches the browser:
 * `GET <admin>/loopgate/gateways/:gateway/rulesets` and `.../rulesets/:ruleSet/versions`.
 */
export function registerRuleAdminRoutes(RED: NodeAPI): void {
  if (registered.has(RED.httpAdmin)) return;
  registered.add(RED.httpAdmin);
  const permission = RED.auth.needsPermission('loopgate-rule.read');
  RED.httpAdmin.get('/loopgate/gateways/:gateway/rulesets', permission, (req, res) =>
    answerFromGateway(RED, req.params.gateway, res, (client) => client.listRuleSets()),
  );
  RED.httpAdmin.get('/loopgate/gateways/:gateway/rulesets/:ruleSet/versions', permission, (req, res) =>
    answerFromGateway(RED, req.params.gateway, res, (client) => client.listRuleSetVersions(req.params.ruleSet)),
  );
}
