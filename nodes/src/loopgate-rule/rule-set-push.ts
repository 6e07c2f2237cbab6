import { ApiPaths, type OutcomeStreamMessage } from '@loopgate/contracts';
import { EventSource } from 'eventsource';
import type { GatewayClient } from '../lib/gateway-client';

const REFUSED_RETRY_MS = 2_000;
const REFUSED_RETRY_MAX_MS = 60_000;

export type Publication = Extract<OutcomeStreamMessage, { type: 'ruleset' }>['ruleSet'];

/**
 * Listens for rule set publications on the gateway's stream (`GET /outcomes/stream?types=ruleset`)
 * and calls `onPublished` for each: a rule node following the latest version loads a new one at
 * once instead of at its next periodic check (which stays, for a gateway without the stream).
 * Dropped connections are retried by eventsource; a refused stream is retried with backoff.
 * Returns a function that stops listening.
 */
export function listenForPublications(
  client: GatewayClient,
  onPublished: (publication: Publication) => void,
  onProblem: (message: string) => void = () => undefined,
): () => void {
  let source: EventSource | undefined;
  let retry: NodeJS.Timeout | undefined;
  let delay = REFUSED_RETRY_MS;
  let closed = false;

  const connect = () => {
    if (closed) return;
    const es = new EventSource(`${client.url(ApiPaths.outcomesStream)}?types=ruleset`, {
      fetch: (input, init) =>
        fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), ...client.authHeaders() } }),
    });
    source = es;
    es.onopen = () => {
      delay = REFUSED_RETRY_MS;
    };
    es.addEventListener('ruleset', (event: { data: string }) => {
      const publication = parsePublication(event.data);
      if (publication) onPublished(publication);
    });
    es.onerror = (event) => {
      if (closed || es.readyState === es.CONNECTING) return;
      es.close();
      onProblem(`rule set stream refused${event.code ? ` (${event.code})` : ''}; checking periodically`);
      retry = setTimeout(connect, delay);
      delay = Math.min(delay * 2, REFUSED_RETRY_MAX_MS);
    };
  };
  connect();
  return () => {
    closed = true;
    clearTimeout(retry);
    source?.close();
  };
}

function parsePublication(data: string): Publication | undefined {
  try {
    const message = JSON.parse(data) as Partial<Extract<OutcomeStreamMessage, { type: 'ruleset' }>>;
    const ruleSet = message.ruleSet;
    if (
      message.type === 'ruleset' &&
      ruleSet &&
      typeof ruleSet.ruleSetId === 'string' &&
      Number.isInteger(ruleSet.version)
    ) {
      return ruleSet;
    }
  } catch {
    // Not a publication: ignored.
  }
  return undefined;
}
