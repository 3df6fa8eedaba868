import { useEffect, useRef } from 'react';

/** Calls `callback` every `intervalMs` while the tab is visible, and once when it becomes visible again. */
export function usePolling(callback: () => void, intervalMs: number, enabled = true): void {
  const saved = useRef(callback);
  useEffect(() => {
    saved.current = callback;
  }, [callback]);
  useEffect(() => {
    if (!enabled) return undefined;
    const run = (): void => {
      if (document.visibilityState === 'visible') saved.current();
    };
    const id = window.setInterval(run, intervalMs);
    document.addEventListener('visibilitychange', run);
    return () => {
      window.clearInterval(id);
      document.removeEventListener('visibilitychange', run);
    };
  }, [intervalMs, enabled]);
}
