import type { ControlState } from '@loopgate/contracts';
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { gateway } from './api/endpoints';
import { useOutcomeStream, useResource, type OutcomeStream } from './api/hooks';
import { isOutcome } from './api/stream';

interface Live extends Omit<OutcomeStream, 'upsert'> {
  /** Shows a gateway answer at once when it is a command outcome. */
  upsert: (outcome: unknown) => void;
  /** Dispatch stopped globally? From the stream, a 5 s poll, or this console's own last call. */
  controlState: ControlState | undefined;
  setControlState: (state: ControlState) => void;
}

const LiveContext = createContext<Live | null>(null);
const loadRecent = () => gateway.writebacks({ limit: 200 });
const loadControl = () => gateway.control();

/** One outcome stream for the whole signed-in console, so switching pages loses nothing. */
export function LiveProvider({ children }: { children: ReactNode }) {
  const stream = useOutcomeStream(loadRecent);
  const polled = useResource(loadControl, { refreshMs: 5000 });
  const [controlState, setControl] = useState<ControlState>();
  useEffect(() => {
    if (polled.data) setControl(polled.data);
  }, [polled.data]);
  useEffect(() => {
    if (stream.control) setControl(stream.control);
  }, [stream.control]);
  const setControlState = useCallback((state: ControlState) => {
    if (state && typeof state.stopped === 'boolean') setControl(state);
  }, []);
  const upsert = useCallback(
    (outcome: unknown) => {
      if (isOutcome(outcome)) stream.upsert(outcome);
    },
    [stream.upsert],
  );
  return (
    <LiveContext.Provider value={{ ...stream, upsert, controlState, setControlState }}>{children}</LiveContext.Provider>
  );
}

export function useLive(): Live {
  const live = useContext(LiveContext);
  if (!live) throw new Error('useLive outside LiveProvider');
  return live;
}
