/**
 * One JSON warning line for an adapter that carries on degraded (an offline answer instead of the hosted model,
 * BM25 instead of hybrid search, passages stored without vectors): operators see what happened and why.
 */
export function warnDegraded(message: string): (error: unknown) => void {
  return (error) => console.warn(JSON.stringify({ level: 'WARN', message, error: error instanceof Error ? `${error.name}: ${error.message}` : 'unknown' }));
}
