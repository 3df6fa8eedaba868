/** Stops the run's shared DynamoDB Local (test/support/global-setup.ts). */
export default async function globalTeardown(): Promise<void> {
  const dynamo: unknown = Reflect.get(globalThis, '__conciergeSharedDynamo');
  if (typeof dynamo === 'object' && dynamo !== null && 'stop' in dynamo && typeof dynamo.stop === 'function') await (dynamo.stop as () => Promise<void>)();
}
