/**
 * Runs the declared Lambda handlers in this process, the way the Lambda
 * runtime would call them: the same module (`entry` in the declaration), its
 * exported `handler`, an event and a Context.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { Context } from 'aws-lambda';
import { functions, type FunctionName } from '../lib/declaration';
import { isolatedInvocation } from '../lambdas/handlers/lib/correlation';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

export interface InvocationRecord {
  readonly fn: FunctionName;
  readonly ms: number;
  readonly error?: string;
}

export class LambdaRuntime {
  private readonly loaded = new Map<FunctionName, Promise<Handler>>();
  /** Every invocation, newest last (bounded), for tests and the start-up summary. */
  readonly invocations: InvocationRecord[] = [];

  constructor(private readonly rootDir: string) {}

  private load(fn: FunctionName): Promise<Handler> {
    let pending = this.loaded.get(fn);
    if (!pending) {
      const entry = resolve(this.rootDir, functions[fn].entry);
      pending = import(entry).then((mod: unknown) => {
        const handler: unknown = typeof mod === 'object' && mod !== null ? Reflect.get(mod, 'handler') : undefined;
        if (typeof handler !== 'function') throw new Error(`${functions[fn].entry} does not export a handler function`);
        return (event: unknown, context: Context) => Promise.resolve(Reflect.apply(handler, undefined, [event, context]) as unknown);
      });
      this.loaded.set(fn, pending);
    }
    return pending;
  }

  /** Loads every handler now, so a broken module fails the start rather than the first request. */
  async warm(): Promise<void> {
    await Promise.all((Object.keys(functions) as FunctionName[]).map((fn) => this.load(fn)));
  }

  private readonly running = new Set<Promise<unknown>>();

  /** Resolves once no invocation is running (those started meanwhile included), or after `timeoutMs` at the latest. */
  async idle(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const givenUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    const drained = (async () => {
      while (this.running.size > 0) await Promise.allSettled([...this.running]);
    })();
    await Promise.race([drained, givenUp]);
    clearTimeout(timer);
  }

  invoke(fn: FunctionName, event: unknown): Promise<unknown> {
    const invocation = this.run(fn, event);
    this.running.add(invocation);
    void invocation.then(
      () => this.running.delete(invocation),
      () => this.running.delete(invocation),
    );
    return invocation;
  }

  private async run(fn: FunctionName, event: unknown): Promise<unknown> {
    const handler = await this.load(fn);
    const timeoutMs = ('timeoutSeconds' in functions[fn] ? Number(Reflect.get(functions[fn], 'timeoutSeconds')) : 10) * 1000;
    const started = Date.now();
    const requestId = randomUUID();
    const context: Context = {
      callbackWaitsForEmptyEventLoop: false,
      functionName: fn,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${fn}`,
      memoryLimitInMB: String('memoryMb' in functions[fn] ? Reflect.get(functions[fn], 'memoryMb') : 512),
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${fn}`,
      logStreamName: 'local',
      getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (Date.now() - started)),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([
        // Each invocation in a scope of its own: its correlation id never leaks into the next (handlers/lib/correlation.ts).
        isolatedInvocation(() => handler(event, context)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`Task timed out after ${timeoutMs / 1000} seconds`)), timeoutMs);
        }),
      ]);
      this.record({ fn, ms: Date.now() - started });
      return result;
    } catch (error) {
      this.record({ fn, ms: Date.now() - started, error: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private record(entry: InvocationRecord): void {
    this.invocations.push(entry);
    if (this.invocations.length > 10_000) this.invocations.splice(0, this.invocations.length - 10_000);
  }
}
