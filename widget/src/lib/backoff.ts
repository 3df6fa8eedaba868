/**
 * Reconnect delays: exponential growth with "equal jitter" — half the delay is
 * fixed, half random — so a server restart is not met by every widget at once,
 * yet no retry comes sooner than half the nominal delay.
 */

export interface BackoffOptions {
  /** Delay before the first retry. @default 1000 */
  readonly baseMs?: number;
  /** Largest delay. @default 30000 */
  readonly capMs?: number;
}

/** The nominal (jitter-free) delay before retry number `attempt` (0-based). */
export function nominalDelay(attempt: number, { baseMs = 1000, capMs = 30000 }: BackoffOptions = {}): number {
  const n = Math.max(0, Math.floor(attempt));
  // 2 ** n overflows to Infinity for huge n; min() keeps it at the cap.
  return Math.min(capMs, baseMs * 2 ** Math.min(n, 52));
}

/** A delay in [nominal/2, nominal] for retry number `attempt`; `random` returns [0, 1). */
export function backoffDelay(attempt: number, random: () => number = Math.random, options: BackoffOptions = {}): number {
  const d = nominalDelay(attempt, options);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(d / 2 + (d / 2) * r);
}
