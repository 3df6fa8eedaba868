import { useCallback, useEffect, useRef, useState } from 'react';
import { describeError, isAbortError, type ErrorView } from '../lib/api-error';

export interface Loaded<T> {
  readonly data?: T;
  readonly error?: ErrorView;
  /** True while a request is in flight (first load or refresh). */
  readonly loading: boolean;
  /** Loads again, keeping the current data on screen meanwhile. */
  readonly reload: () => void;
}

/**
 * Runs `load` (memoise it with useCallback) and again whenever it changes,
 * starting from empty; `refreshKey` changes reload quietly, keeping the data.
 */
export function useLoader<T>(load: (signal: AbortSignal) => Promise<T>, refreshKey: number = 0): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: ErrorView; loading: boolean }>({ loading: true });
  const [localKey, setLocalKey] = useState(0);
  const lastLoad = useRef<typeof load | undefined>(undefined);

  useEffect(() => {
    const controller = new AbortController();
    const fresh = lastLoad.current !== load;
    lastLoad.current = load;
    setState((s) => (fresh ? { loading: true } : { ...s, loading: true }));
    load(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setState({ data, loading: false });
      },
      (err: unknown) => {
        if (controller.signal.aborted || isAbortError(err)) return;
        setState((s) => ({ ...(fresh || s.data === undefined ? {} : { data: s.data }), error: describeError(err), loading: false }));
      },
    );
    return () => controller.abort();
  }, [load, refreshKey, localKey]);

  const reload = useCallback(() => setLocalKey((k) => k + 1), []);
  return { ...state, reload };
}
