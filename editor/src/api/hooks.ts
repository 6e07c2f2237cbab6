import type { ControlState, DecisionRecord, TargetStatus, WriteBackOutcome } from '@loopgate/contracts';
import { API_PREFIX, ApiPaths } from '@loopgate/contracts';
import { useCallback, useEffect, useRef, useState } from 'react';
import { errorText } from './client';
import { mergeOutcome, parseStreamMessage } from './stream';

export interface Resource<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload: () => void;
}

/**
 * Loads something from the gateway and reloads it on demand or every `refreshMs`.
 * `load` must be stable (a module function or useCallback).
 */
export function useResource<T>(
  load: (signal: AbortSignal) => Promise<T>,
  options: { refreshMs?: number; enabled?: boolean } = {},
): Resource<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(false);
  const [tick, setTick] = useState(0);
  const enabled = options.enabled ?? true;
  useEffect(() => {
    if (!enabled) return;
    const controller = new AbortController();
    setLoading(true);
    load(controller.signal)
      .then((value) => {
        setData(value);
        setError(undefined);
      })
      .catch((e: unknown) => {
        if (!controller.signal.aborted) setError(errorText(e));
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
  }, [load, tick, enabled]);
  useEffect(() => {
    if (!options.refreshMs || !enabled) return;
    const timer = setInterval(() => setTick((t) => t + 1), options.refreshMs);
    return () => clearInterval(timer);
  }, [options.refreshMs, enabled]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

export type StreamStatus = 'connecting' | 'live' | 'reconnecting';

export interface OutcomeStream {
  status: StreamStatus;
  outcomes: WriteBackOutcome[];
  decisions: DecisionRecord[];
  control: ControlState | undefined;
  targets: Record<string, TargetStatus>;
  /** Puts an outcome the console already knows (a response to its own call) into the list at once. */
  upsert: (outcome: WriteBackOutcome) => void;
}

/**
 * The live stream of decisions and write-backs (`GET /outcomes/stream`, server-sent events,
 * authenticated by the session cookie). EventSource reconnects by itself; each reconnect
 * reloads the recent outcomes so nothing is missed while the connection was down.
 */
export function useOutcomeStream(initial: () => Promise<WriteBackOutcome[]>): OutcomeStream {
  const [status, setStatus] = useState<StreamStatus>('connecting');
  const [outcomes, setOutcomes] = useState<WriteBackOutcome[]>([]);
  const [decisions, setDecisions] = useState<DecisionRecord[]>([]);
  const [control, setControl] = useState<ControlState>();
  const [targets, setTargets] = useState<Record<string, TargetStatus>>({});
  const initialRef = useRef(initial);
  initialRef.current = initial;

  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let closed = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const source = new EventSource(`${API_PREFIX}${ApiPaths.outcomesStream}`, { withCredentials: true });
    const backfill = () => {
      initialRef
        .current()
        .then((list) => {
          if (!closed) setOutcomes((current) => list.reduce((acc, o) => mergeOutcome(acc, o), current));
        })
        .catch((e: unknown) => console.warn('could not load recent outcomes', errorText(e)));
    };
    const onMessage = (event: MessageEvent<string>) => {
      const message = parseStreamMessage(event.data);
      if (!message) return;
      if (message.type === 'outcome') setOutcomes((list) => mergeOutcome(list, message.outcome));
      else if (message.type === 'decision') setDecisions((list) => [message.decision, ...list].slice(0, 200));
      else if (message.type === 'control') setControl(message.control);
      else if (message.type === 'target') setTargets((all) => ({ ...all, [message.target.instance]: message.target }));
      // A version was published (here or by another engineer): pages that list rule sets read them again.
      else if (message.type === 'ruleset') window.dispatchEvent(new Event('loopgate:rulesets-changed'));
    };
    source.onopen = () => {
      setStatus('live');
      backfill();
    };
    source.onerror = () => {
      setStatus('reconnecting');
      // EventSource gives up after an HTTP error (e.g. the gateway restarting): start again later.
      if (source.readyState === EventSource.CLOSED && !closed) retry = setTimeout(() => setAttempt((a) => a + 1), 3000);
    };
    source.onmessage = onMessage;
    for (const name of ['outcome', 'decision', 'control', 'target', 'ruleset'])
      source.addEventListener(name, onMessage);
    backfill();
    return () => {
      closed = true;
      clearTimeout(retry);
      source.close();
    };
  }, [attempt]);

  const upsert = useCallback((outcome: WriteBackOutcome) => setOutcomes((list) => mergeOutcome(list, outcome)), []);
  return { status, outcomes, decisions, control, targets, upsert };
}
