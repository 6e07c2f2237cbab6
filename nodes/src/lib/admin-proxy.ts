import { gatewayFor } from '../loopgate-gateway/loopgate-gateway';
import { GatewayError, type GatewayClient } from './gateway-client';
import type { HttpResponse, NodeAPI } from './node-red';

/**
 * Answers an editor request with what the deployed gateway config node `gatewayId` asks the gateway
 * (its token never reaches the browser): 409 GATEWAY_NOT_READY before that node is deployed, 502
 * with the gateway's code when the gateway refuses or cannot be reached.
 */
export function answerFromGateway<T>(
  RED: NodeAPI,
  gatewayId: string,
  res: HttpResponse,
  ask: (client: GatewayClient) => Promise<T>,
): void {
  const gateway = gatewayFor(RED, gatewayId);
  if ('problem' in gateway) {
    res
      .status(409)
      .json({ code: 'GATEWAY_NOT_READY', message: `${gateway.problem} (deploy the gateway configuration first)` });
    return;
  }
  ask(gateway.client).then(
    (answer) => res.json(answer),
    (err: unknown) =>
      err instanceof GatewayError
        ? res.status(502).json({ code: err.code, message: err.message })
        : res.status(500).json({ code: 'INTERNAL', message: (err as Error).message }),
  );
}
