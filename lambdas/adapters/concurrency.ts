/**
 * Runs `fn` over every item with at most `limit` calls in flight, for I/O an adapter fans out (DynamoDB queries
 * and updates, Bedrock calls); the results come back in the items' order. A rejection rejects the whole call.
 */
export async function mapConcurrently<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return out;
}
