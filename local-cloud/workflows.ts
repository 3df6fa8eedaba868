/**
 * The local Step Functions: the real `state-machines/*.asl.json` (after the declared
 * substitutions) run by aws-local-stepfunctions, with Task resources mapped to the local
 * handlers, a task-token registry for `.waitForTaskToken`, and the JSON 1.0 operations the
 * handlers call through `@aws-sdk/client-sfn` with an endpoint override.
 *
 * How `.waitForTaskToken` works here (aws-local-stepfunctions has no callback support):
 * - The library evaluates `$$.…` paths against the Context Object we pass to `run()`. It copies
 *   that object's top-level fields once per execution, but keeps nested objects by reference,
 *   so `Task` is an object whose `Token` is a getter: reading `$$.Task.Token` while the
 *   library builds the state's Parameters mints a token (repeated reads in the same
 *   Parameters get the same one).
 * - The library then calls our local handler for that state synchronously (no await between
 *   building Parameters and calling the handler), so the handler takes the token just minted,
 *   registers it, invokes the function with the payload and returns a promise settled by
 *   SendTaskSuccess / SendTaskFailure, or by TimeoutSeconds / HeartbeatSeconds expiring.
 *   A Retry re-evaluates Parameters, so every attempt gets a fresh token, as on AWS.
 * - Timeouts reject with the library's own States.Timeout error class, so `States.TaskFailed`
 *   retriers and catchers do not match a timeout (ASL semantics). The class is not exported;
 *   it is captured once from a 1 ms probe execution (see `statesTimeoutError`).
 */
import './polyfills';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
  type RunOptions,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { z } from 'zod';
import {
  functions,
  stateMachines as declaredStateMachines,
  type FunctionName,
  type StateMachineDecl,
} from '../lib/declaration';

export const LOCAL_REGION = 'local';
export const LOCAL_ACCOUNT = '000000000000';

export const localFunctionArn = (fn: FunctionName): string =>
  `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${fn}`;
export const localStateMachineArn = (name: string): string =>
  `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${name}`;
export const localExecutionArn = (stateMachine: string, name: string): string =>
  `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${stateMachine}:${name}`;

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionSummary {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly stateMachine: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly startDate: Date;
  readonly stopDate?: Date;
  /** JSON text, as DescribeExecution returns it. */
  readonly input: string;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

export interface PendingTaskSummary {
  readonly taskToken: string;
  readonly executionArn: string;
  readonly stateName: string;
  readonly functionName: FunctionName;
}

export interface WorkflowLogger {
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

export interface LocalWorkflowsOptions {
  /** Repository root: ASL files are read from `<rootDir>/<decl.file>`. */
  readonly rootDir: string;
  /** Runs a declared function with the payload; its result becomes the task result. */
  invokeFunction(fn: FunctionName, payload: unknown): Promise<unknown>;
  /** Multiplies every Wait state's duration (Seconds, SecondsPath, Timestamp, TimestampPath). @default 1 */
  readonly waitScale?: number;
  /**
   * Multiplies Retry intervals. When not 1, each retrier waits `IntervalSeconds × retryScale`
   * on every attempt (aws-local-stepfunctions' override has no backoff or jitter). @default 1
   */
  readonly retryScale?: number;
  /** Multiplies TimeoutSeconds and HeartbeatSeconds of `.waitForTaskToken` tasks. @default 1 */
  readonly callbackTimeoutScale?: number;
  /** The state machines to serve. @default the declared `stateMachines` */
  readonly stateMachines?: Readonly<Record<string, StateMachineDecl>>;
  readonly logger?: WorkflowLogger;
}

export interface AwsJsonResponse {
  readonly status: number;
  readonly body: unknown;
}

/** An AWS-shaped Step Functions error (`__type` is `type`). */
export class SfnError extends Error {
  override readonly name = 'SfnError';
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** A state machine file that cannot be run locally (missing, invalid, unsupported resource…). */
export class StateMachineDefinitionError extends Error {
  override readonly name = 'StateMachineDefinitionError';
}

// ---------------------------------------------------------------------------------------------
// Constants and small helpers

/** setTimeout's ceiling (~24.8 days): a callback task without TimeoutSeconds waits this long at most. */
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
const MAX_PAYLOAD_BYTES = 256 * 1024;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{128}$/;
const CLOSED_TOKENS_KEPT = 10_000;
const LAMBDA_ARN = /^(?:arn:aws[a-z-]*:lambda:[^:]*:\d{12}:function:|\d{12}:function:)?([A-Za-z0-9_-]{1,64})(?::(\$LATEST|[A-Za-z0-9_-]+))?$/;
const INVALID_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;
const WAIT_TASK_RESOURCE = `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:local-scaled-wait`;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isFunctionName = (name: string): name is FunctionName => Object.prototype.hasOwnProperty.call(functions, name);

/** JSON round trip: what a Lambda result looks like after serialization (undefined → null). */
function toJson(value: unknown): JsonValue {
  if (value === undefined) return null;
  const text = JSON.stringify(value);
  return text === undefined ? null : (JSON.parse(text) as JsonValue);
}

function errorWithName(name: string, message: string): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

/** A function error the way Step Functions reports a Lambda failure: Error = errorType, Cause = JSON. */
function lambdaError(err: unknown): Error {
  const errorType = err instanceof Error ? err.name || 'Error' : 'Error';
  const errorMessage = err instanceof Error ? err.message : String(err);
  const trace = err instanceof Error && err.stack ? err.stack.split('\n').slice(1).map((l) => l.trim()) : [];
  return errorWithName(errorType, JSON.stringify({ errorType, errorMessage, trace }));
}

function functionFromArn(value: unknown, where: string): FunctionName {
  if (typeof value !== 'string') throw errorWithName('States.Runtime', `${where}: FunctionName must be a string`);
  const match = LAMBDA_ARN.exec(value);
  const name = match?.[1];
  if (!name || !isFunctionName(name)) {
    throw errorWithName(
      'Lambda.ResourceNotFoundException',
      `${where}: ${value} is not a declared function (${Object.keys(functions).join(', ')})`,
    );
  }
  return name;
}

/** The JSONPath subset Wait states use: `$`, `$$`, `.field`, `['field']`, `[index]`. */
function queryPath(expression: string, input: unknown, context: unknown): unknown {
  let target: unknown;
  let rest: string;
  if (expression.startsWith('$$')) {
    target = context;
    rest = expression.slice(2);
  } else if (expression.startsWith('$')) {
    target = input;
    rest = expression.slice(1);
  } else {
    throw errorWithName('States.Runtime', `Invalid path ${expression}`);
  }
  const step = /^(?:\.([^.[\]]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\])/;
  while (rest.length > 0) {
    const m = step.exec(rest);
    if (!m) throw errorWithName('States.Runtime', `Unsupported path ${expression} in a scaled Wait state`);
    const key = m[1] ?? m[3] ?? m[4];
    if (key !== undefined) target = isRecord(target) ? target[key] : undefined;
    else target = Array.isArray(target) ? (target as unknown[])[Number(m[2])] : undefined;
    rest = rest.slice(m[0].length);
  }
  if (target === undefined) throw errorWithName('States.Runtime', `Path ${expression} does not point to a value`);
  return target;
}

/** Resolves after `ms`, or at once when `signal` aborts (the runner is stopping). */
const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** The rejection that settles a callback task nobody will answer any more (its execution stopped, or the runner). */
class TaskClosedError extends Error {
  override readonly name = 'States.Runtime';
}

// ---------------------------------------------------------------------------------------------
// The library's States.Timeout error class (not exported), captured once.

let statesTimeoutErrorFactory: Promise<() => Error> | undefined;

function statesTimeoutError(): Promise<() => Error> {
  statesTimeoutErrorFactory ??= (async () => {
    const probe = new StateMachine(
      {
        StartAt: 'Probe',
        States: { Probe: { Type: 'Task', Resource: WAIT_TASK_RESOURCE, TimeoutSeconds: 0.001, End: true } },
      },
      { validationOptions: { noValidate: true } },
    );
    try {
      await probe.run(null, { overrides: { taskResourceLocalHandlers: { Probe: () => new Promise<JsonValue>(() => undefined) } } })
        .result;
    } catch (err) {
      const cause = err instanceof ExecutionError ? err.cause : undefined;
      if (cause instanceof Error && cause.name === 'States.Timeout') {
        const Ctor = cause.constructor as new () => Error;
        return () => new Ctor();
      }
    }
    // Fallback (library changed): same name, but a States.TaskFailed matcher would also catch it.
    return () => errorWithName('States.Timeout', 'States.Timeout');
  })();
  return statesTimeoutErrorFactory;
}

// ---------------------------------------------------------------------------------------------
// Preparing a state machine

type TaskPlan =
  | { kind: 'lambda'; fn: FunctionName }
  | { kind: 'lambda-invoke' }
  | { kind: 'callback'; timeoutSeconds: number | undefined; heartbeatSeconds: number | undefined }
  | { kind: 'scaled-wait'; wait: Record<string, unknown> };

interface PreparedMachine {
  readonly name: string;
  readonly arn: string;
  readonly file: string;
  readonly machine: StateMachine;
  readonly definition: StateMachineDefinition;
  readonly tasks: ReadonlyMap<string, TaskPlan>;
  readonly waitOverrides: Readonly<Record<string, number>>;
  readonly retryOverrides: Readonly<Record<string, number[]>>;
}

/**
 * Built machines by prepared definition. Building one runs asl-validator, which costs ~1 s of
 * CPU per definition; a StateMachine holds no per-run state, so one instance serves every runner.
 */
const validatedMachines = new Map<string, StateMachine>();

/**
 * Definitions asl-validator has passed, remembered on disk across processes (a test file is a fresh module
 * registry, the local cloud a fresh process): one empty file per definition and library version, so only a
 * definition that changed is validated again. Best effort: an unwritable cache means validating every time.
 */
function validatedBefore(rootDir: string, key: string): { readonly known: boolean; remember(): void } {
  let marker: string | undefined;
  try {
    const pkg = path.join(rootDir, 'node_modules', 'aws-local-stepfunctions', 'package.json');
    const version = z.object({ version: z.string() }).parse(JSON.parse(fs.readFileSync(pkg, 'utf8'))).version;
    const digest = createHash('sha256').update(`${version}\n${key}`).digest('hex');
    marker = path.join(rootDir, 'node_modules', '.cache', 'concierge', 'asl-validated', digest);
  } catch {
    // no package file to version the cache by: validate every time
  }
  return {
    known: marker !== undefined && fs.existsSync(marker),
    remember: () => {
      if (!marker) return;
      try {
        fs.mkdirSync(path.dirname(marker), { recursive: true });
        fs.writeFileSync(marker, '');
      } catch {
        // best effort
      }
    },
  };
}

const definitionShape = z
  .object({ StartAt: z.string(), States: z.record(z.string(), z.record(z.string(), z.unknown())) })
  .loose();

function substitute(text: string, decl: StateMachineDecl, file: string): string {
  let out = text;
  for (const [key, fn] of Object.entries(decl.functionSubstitutions)) {
    out = out.replaceAll(`\${${key}}`, localFunctionArn(fn));
  }
  for (const [key, value] of Object.entries(decl.valueSubstitutions)) {
    // Placeholders sit inside JSON strings: insert the value JSON-escaped.
    out = out.replaceAll(`\${${key}}`, JSON.stringify(value).slice(1, -1));
  }
  const unresolved = [...new Set([...out.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]))];
  if (unresolved.length > 0) {
    throw new StateMachineDefinitionError(
      `${file}: no substitution declared for ${unresolved.map((u) => `\${${u}}`).join(', ')} (lib/declaration.ts stateMachines)`,
    );
  }
  return out;
}

interface PrepareOptions {
  readonly waitScale: number;
  readonly retryScale: number;
}

function prepareMachine(name: string, decl: StateMachineDecl, rootDir: string, opts: PrepareOptions): PreparedMachine {
  const file = path.join(rootDir, decl.file);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new StateMachineDefinitionError(`State machine ${name}: cannot read ${decl.file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(substitute(text, decl, decl.file));
  } catch (err) {
    if (err instanceof StateMachineDefinitionError) throw err;
    throw new StateMachineDefinitionError(`State machine ${name}: ${decl.file} is not valid JSON: ${(err as Error).message}`);
  }
  const shape = definitionShape.safeParse(raw);
  if (!shape.success) {
    throw new StateMachineDefinitionError(`State machine ${name}: ${decl.file} is not an ASL definition: ${z.prettifyError(shape.error)}`);
  }
  // A JSON round trip, not structuredClone: the library recognises objects by
  // `Object.getPrototypeOf(v) === Object.prototype`, and structuredClone may build them in
  // another realm (it does under Jest), which silently disables Parameters templating.
  const definition = JSON.parse(JSON.stringify(shape.data)) as typeof shape.data;
  const tasks = new Map<string, TaskPlan>();
  const waitOverrides: Record<string, number> = {};
  const retryOverrides: Record<string, number[]> = {};
  const where = (state: string): string => `State machine ${name} (${decl.file}), state ${state}`;
  const seen = new Set<string>();

  const visit = (states: Record<string, Record<string, unknown>>): void => {
    for (const [stateName, state] of Object.entries(states)) {
      // Local handlers and overrides are keyed by state name, across Parallel branches and Map processors.
      if (seen.has(stateName)) {
        throw new StateMachineDefinitionError(`${where(stateName)}: state names must be unique across the whole machine`);
      }
      seen.add(stateName);
      const retry = state['Retry'];
      if (opts.retryScale !== 1 && Array.isArray(retry)) {
        retryOverrides[stateName] = retry.map((r: unknown) => {
          const interval = isRecord(r) && typeof r['IntervalSeconds'] === 'number' ? r['IntervalSeconds'] : 1;
          return interval * 1000 * opts.retryScale;
        });
      }
      switch (state['Type']) {
        case 'Task':
          tasks.set(stateName, planTask(stateName, state));
          break;
        case 'Wait':
          if (opts.waitScale !== 1) planWait(stateName, state, states);
          break;
        case 'Parallel':
          for (const branch of Array.isArray(state['Branches']) ? state['Branches'] : []) {
            if (isRecord(branch) && isRecord(branch['States'])) visit(branch['States'] as Record<string, Record<string, unknown>>);
          }
          break;
        case 'Map': {
          const processor = state['ItemProcessor'] ?? state['Iterator'];
          if (isRecord(processor) && isRecord(processor['States'])) visit(processor['States'] as Record<string, Record<string, unknown>>);
          break;
        }
        default:
      }
    }
  };

  const planTask = (stateName: string, state: Record<string, unknown>): TaskPlan => {
    const resource = state['Resource'];
    if (typeof resource !== 'string') throw new StateMachineDefinitionError(`${where(stateName)}: Resource must be a string`);
    const params = state['Parameters'];
    if (resource.startsWith('arn:aws:states:::lambda:invoke')) {
      const fnName = isRecord(params) ? params['FunctionName'] : undefined;
      if (!isRecord(params) || (fnName === undefined && params['FunctionName.$'] === undefined)) {
        throw new StateMachineDefinitionError(`${where(stateName)}: ${resource} needs Parameters.FunctionName`);
      }
      if (fnName !== undefined) {
        try {
          functionFromArn(fnName, where(stateName));
        } catch (err) {
          throw new StateMachineDefinitionError((err as Error).message);
        }
      }
      if (resource === 'arn:aws:states:::lambda:invoke') return { kind: 'lambda-invoke' };
      if (resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken') {
        if (!JSON.stringify(params).includes('$$.Task.Token')) {
          throw new StateMachineDefinitionError(`${where(stateName)}: a .waitForTaskToken task must pass $$.Task.Token in its Parameters`);
        }
        if (state['TimeoutSecondsPath'] !== undefined || state['HeartbeatSecondsPath'] !== undefined) {
          throw new StateMachineDefinitionError(
            `${where(stateName)}: TimeoutSecondsPath/HeartbeatSecondsPath are not supported locally on callback tasks; use TimeoutSeconds/HeartbeatSeconds`,
          );
        }
        const timeoutSeconds = typeof state['TimeoutSeconds'] === 'number' ? state['TimeoutSeconds'] : undefined;
        const heartbeatSeconds = typeof state['HeartbeatSeconds'] === 'number' ? state['HeartbeatSeconds'] : undefined;
        // We enforce both timers ourselves; the library's own Task timer (60 s default) must not fire first.
        state['TimeoutSeconds'] = MAX_TIMER_SECONDS;
        delete state['HeartbeatSeconds'];
        return { kind: 'callback', timeoutSeconds, heartbeatSeconds };
      }
      throw new StateMachineDefinitionError(`${where(stateName)}: unsupported integration ${resource} (local: lambda:invoke[.waitForTaskToken])`);
    }
    const lambda = /^arn:aws[a-z-]*:lambda:[^:]*:\d{12}:function:([A-Za-z0-9_-]+)(?::[A-Za-z0-9_$-]+)?$/.exec(resource);
    if (lambda?.[1]) {
      if (!isFunctionName(lambda[1])) {
        throw new StateMachineDefinitionError(
          `${where(stateName)}: ${resource} is not a declared function (${Object.keys(functions).join(', ')})`,
        );
      }
      return { kind: 'lambda', fn: lambda[1] };
    }
    throw new StateMachineDefinitionError(
      `${where(stateName)}: unsupported Resource ${resource} (local: Lambda ARNs, arn:aws:states:::lambda:invoke[.waitForTaskToken])`,
    );
  };

  const planWait = (stateName: string, state: Record<string, unknown>, parent: Record<string, Record<string, unknown>>): void => {
    if (typeof state['Seconds'] === 'number') {
      waitOverrides[stateName] = state['Seconds'] * 1000 * opts.waitScale;
      return;
    }
    // Timestamp / SecondsPath / TimestampPath are only known when the state runs; the library's
    // override is a fixed number, so the state becomes a Task whose local handler waits the scaled time.
    const replacement: Record<string, unknown> = { Type: 'Task', Resource: WAIT_TASK_RESOURCE, TimeoutSeconds: MAX_TIMER_SECONDS };
    for (const key of ['Comment', 'InputPath', 'OutputPath', 'Next', 'End']) {
      if (key in state) replacement[key] = state[key];
    }
    parent[stateName] = replacement;
    tasks.set(stateName, { kind: 'scaled-wait', wait: state });
  };

  visit(definition.States);

  const key = JSON.stringify(definition);
  let machine = validatedMachines.get(key);
  if (!machine) {
    const validated = validatedBefore(rootDir, key);
    try {
      machine = new StateMachine(definition as unknown as StateMachineDefinition, validated.known ? { validationOptions: { noValidate: true } } : {});
    } catch (err) {
      throw new StateMachineDefinitionError(`State machine ${name} (${decl.file}) is invalid: ${(err as Error).message}`);
    }
    if (!validated.known) validated.remember();
    validatedMachines.set(key, machine);
  }
  return {
    name,
    arn: localStateMachineArn(name),
    file: decl.file,
    machine,
    definition: definition as unknown as StateMachineDefinition,
    tasks,
    waitOverrides,
    retryOverrides,
  };
}

// ---------------------------------------------------------------------------------------------
// Executions and task tokens

interface ExecutionState {
  summary: ExecutionSummary;
  /** Stops the library's run (and its Wait states). */
  abort: () => void;
  /** Aborted by stop(): ends scaled waits. */
  readonly stopping: AbortController;
  /** Minted by the `$$.Task.Token` getter, taken by the next callback handler. */
  mintedToken: string | undefined;
  readonly tokens: Set<string>;
  done: Promise<void>;
}

interface PendingTask {
  readonly summary: PendingTaskSummary;
  readonly execution: ExecutionState;
  readonly resolve: (value: JsonValue) => void;
  readonly reject: (error: Error) => void;
  heartbeatMs: number | undefined;
  timeoutTimer: NodeJS.Timeout | undefined;
  heartbeatTimer: NodeJS.Timeout | undefined;
}

const startExecutionRequest = z.object({
  stateMachineArn: z.string().min(1).max(256),
  name: z.string().optional(),
  input: z.string().optional(),
  traceHeader: z.string().optional(),
});
const describeExecutionRequest = z.object({ executionArn: z.string().min(1).max(256) });
const sendTaskSuccessRequest = z.object({ taskToken: z.string().min(1).max(2048), output: z.string() });
const sendTaskFailureRequest = z.object({
  taskToken: z.string().min(1).max(2048),
  error: z.string().max(256).optional(),
  cause: z.string().max(32768).optional(),
});
const sendTaskHeartbeatRequest = z.object({ taskToken: z.string().min(1).max(2048) });

const consoleLogger: WorkflowLogger = {
  warn: (message, data) => console.warn(`[workflows] ${message}`, data ?? ''),
  error: (message, data) => console.error(`[workflows] ${message}`, data ?? ''),
};

const epochSeconds = (d: Date): number => d.getTime() / 1000;

export class LocalWorkflows {
  private readonly machines = new Map<string, PreparedMachine>();
  private readonly executions = new Map<string, ExecutionState>();
  private readonly running = new Set<Promise<void>>();
  private readonly pending = new Map<string, PendingTask>();
  /** Tokens no longer waiting (answered, timed out, execution over) → TaskTimedOut, as AWS answers. */
  private readonly closedTokens = new Set<string>();
  private readonly invokeFunction: (fn: FunctionName, payload: unknown) => Promise<unknown>;
  private readonly waitScale: number;
  private readonly callbackTimeoutScale: number;
  private readonly logger: WorkflowLogger;
  /** Task functions running now, and started so far (for quiesce()). */
  private busy = 0;
  private invocationCount = 0;

  constructor(options: LocalWorkflowsOptions) {
    this.invokeFunction = options.invokeFunction;
    const scale = (label: string, value: number | undefined): number => {
      const v = value ?? 1;
      if (!Number.isFinite(v) || v < 0) throw new RangeError(`LocalWorkflows: ${label} must be a number >= 0, got ${String(value)}`);
      return v;
    };
    this.waitScale = scale('waitScale', options.waitScale);
    this.callbackTimeoutScale = scale('callbackTimeoutScale', options.callbackTimeoutScale);
    const prepareOpts: PrepareOptions = {
      waitScale: this.waitScale,
      retryScale: scale('retryScale', options.retryScale),
    };
    this.logger = options.logger ?? consoleLogger;
    const decls = options.stateMachines ?? declaredStateMachines;
    for (const [name, decl] of Object.entries(decls)) {
      this.machines.set(name, prepareMachine(name, decl, options.rootDir, prepareOpts));
    }
    // Warm the States.Timeout capture so the first callback timeout does not wait for it.
    void statesTimeoutError();
  }

  /** The ASL definitions as they run (substituted, with local adjustments), by state machine name. */
  definitions(): Readonly<Record<string, StateMachineDefinition>> {
    return Object.fromEntries([...this.machines].map(([name, m]) => [name, m.definition]));
  }

  listExecutions(): readonly ExecutionSummary[] {
    return [...this.executions.values()].map((e) => ({ ...e.summary }));
  }

  describeExecution(executionArn: string): ExecutionSummary {
    const execution = this.executions.get(executionArn);
    if (!execution) {
      if (!/^arn:aws:states:[^:]+:\d{12}:execution:[^:]+:[^:]+$/.test(executionArn)) {
        throw new SfnError('InvalidArn', `Invalid Arn: '${executionArn}'`);
      }
      throw new SfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    }
    return { ...execution.summary };
  }

  /** Resolves with the final summary once the execution has stopped. */
  async waitForExecution(executionArn: string): Promise<ExecutionSummary> {
    const execution = this.executions.get(executionArn);
    if (!execution) throw new SfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    await execution.done;
    return { ...execution.summary };
  }

  /** Callback tasks currently waiting for SendTaskSuccess/Failure. */
  listPendingTasks(): readonly PendingTaskSummary[] {
    return [...this.pending.values()].map((p) => p.summary);
  }

  /** Resolves when no execution is running (including ones waiting for a task token). */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /**
   * Resolves when no task function is running and none started for `quietMs`: every execution has
   * finished or waits (for a task token, a Wait state or a retry interval). Unlike `drain()`, this
   * returns while long-lived executions (a handoff waiting for its close) are parked.
   */
  async quiesce(quietMs = 50): Promise<void> {
    for (;;) {
      const before = this.invocationCount;
      await sleep(quietMs);
      if (this.busy === 0 && this.invocationCount === before) return;
    }
  }

  /** Stops every execution and settles every pending task (no timer is left behind). */
  stop(): void {
    for (const execution of this.executions.values()) {
      if (execution.summary.status !== 'RUNNING') continue;
      execution.stopping.abort();
      execution.abort();
    }
    for (const token of [...this.pending.keys()]) this.closeToken(token);
  }

  /**
   * Starts an execution (`input` is any JSON-serializable value, e.g. the EventBridge event).
   * Same `name` + same input while running returns the running execution (AWS idempotency);
   * otherwise a reused name fails with ExecutionAlreadyExists.
   */
  startExecution(stateMachine: string, input: unknown = {}, name?: string): { executionArn: string; startDate: Date } {
    const machine = this.machines.get(stateMachine);
    if (!machine) {
      throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${localStateMachineArn(stateMachine)}'`);
    }
    const inputText = input === undefined ? '{}' : JSON.stringify(input);
    if (inputText === undefined) throw new SfnError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not JSON');
    return this.start(machine, inputText, name);
  }

  private start(machine: PreparedMachine, inputText: string, requestedName: string | undefined): { executionArn: string; startDate: Date } {
    const name = requestedName ?? randomUUID();
    if (name.length < 1 || name.length > 80 || INVALID_NAME.test(name)) {
      throw new SfnError('InvalidName', `Invalid Name: '${name}'`);
    }
    if (Buffer.byteLength(inputText, 'utf8') > MAX_PAYLOAD_BYTES) {
      throw new SfnError('InvalidExecutionInput', 'Invalid State Machine Execution Input: larger than 256 KiB');
    }
    let input: JsonValue;
    try {
      input = JSON.parse(inputText) as JsonValue;
    } catch {
      throw new SfnError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${inputText.slice(0, 100)}'`);
    }
    const executionArn = localExecutionArn(machine.name, name);
    const existing = this.executions.get(executionArn);
    if (existing) {
      if (existing.summary.status === 'RUNNING' && existing.summary.input === inputText) {
        return { executionArn, startDate: existing.summary.startDate };
      }
      throw new SfnError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }

    const startDate = new Date();
    const execution: ExecutionState = {
      summary: {
        executionArn,
        stateMachineArn: machine.arn,
        stateMachine: machine.name,
        name,
        status: 'RUNNING',
        startDate,
        input: inputText,
      },
      abort: () => undefined,
      stopping: new AbortController(),
      mintedToken: undefined,
      tokens: new Set(),
      done: Promise.resolve(),
    };
    this.executions.set(executionArn, execution);

    const task: Record<string, unknown> = {};
    Object.defineProperty(task, 'Token', {
      enumerable: true,
      get: (): string => (execution.mintedToken ??= randomBytes(96).toString('base64url')),
    });
    const runOptions: RunOptions = {
      overrides: {
        taskResourceLocalHandlers: this.handlersFor(machine, execution),
        waitTimeOverrides: { ...machine.waitOverrides },
        retryIntervalOverrides: { ...machine.retryOverrides },
      },
      context: {
        Execution: { Id: executionArn, Name: name, RoleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/local-workflows` },
        StateMachine: { Id: machine.arn, Name: machine.name },
        Task: task,
      },
    };

    let result: Promise<JsonValue>;
    try {
      const run = machine.machine.run(input, runOptions);
      execution.abort = run.abort;
      result = run.result;
    } catch (err) {
      result = Promise.reject(err);
    }
    const done = result.then(
      (output) => this.finish(execution, { status: 'SUCCEEDED', output: JSON.stringify(output ?? null) }),
      (err: unknown) => this.finish(execution, this.failure(err)),
    );
    execution.done = done;
    const tracked = done.finally(() => this.running.delete(tracked));
    this.running.add(tracked);
    return { executionArn, startDate };
  }

  private failure(err: unknown): Pick<ExecutionSummary, 'status' | 'error' | 'cause'> {
    if (err instanceof ExecutionTimeoutError) {
      return { status: 'TIMED_OUT', error: 'States.Timeout', cause: 'The execution exceeded its TimeoutSeconds' };
    }
    if (err instanceof ExecutionAbortedError) return { status: 'ABORTED' };
    if (err instanceof ExecutionError && err.cause instanceof Error) {
      return { status: 'FAILED', error: err.cause.name, cause: err.cause.message };
    }
    const e = err instanceof Error ? err : new Error(String(err));
    this.logger.error('execution failed outside the state machine', { error: `${e.name}: ${e.message}` });
    return { status: 'FAILED', error: 'States.Runtime', cause: e.message };
  }

  private finish(execution: ExecutionState, result: Pick<ExecutionSummary, 'status' | 'output' | 'error' | 'cause'>): void {
    execution.summary = { ...execution.summary, ...result, stopDate: new Date() };
    // A scaled Wait left running in a Parallel branch that was stopped (the other branch won) ends too.
    execution.stopping.abort();
    // Tokens of a stopped execution can no longer be answered.
    for (const token of execution.tokens) this.closeToken(token);
    execution.tokens.clear();
  }

  private handlersFor(machine: PreparedMachine, execution: ExecutionState): Record<string, (input: JsonValue) => Promise<JsonValue>> {
    const handlers: Record<string, (input: JsonValue) => Promise<JsonValue>> = {};
    for (const [stateName, plan] of machine.tasks) {
      switch (plan.kind) {
        case 'lambda':
          handlers[stateName] = async (input) => this.invoke(plan.fn, input);
          break;
        case 'lambda-invoke':
          handlers[stateName] = async (input) => {
            const params = isRecord(input) ? input : {};
            const fn = functionFromArn(params['FunctionName'], `state ${stateName}`);
            const payload = await this.invoke(fn, params['Payload'] ?? {});
            return { ExecutedVersion: '$LATEST', Payload: payload, StatusCode: 200 };
          };
          break;
        case 'callback':
          // Not async: the minted token must be taken before anything else runs (see file header).
          handlers[stateName] = (input) => this.startCallbackTask(execution, stateName, plan, input);
          break;
        case 'scaled-wait':
          handlers[stateName] = async (input) => {
            await sleep(this.scaledWaitMs(plan.wait, input, execution), execution.stopping.signal);
            return input;
          };
          break;
        default:
      }
    }
    return handlers;
  }

  private async invoke(fn: FunctionName, payload: unknown): Promise<JsonValue> {
    let result: unknown;
    this.busy += 1;
    this.invocationCount += 1;
    try {
      result = await this.invokeFunction(fn, payload);
    } catch (err) {
      throw lambdaError(err);
    } finally {
      this.busy -= 1;
    }
    return toJson(result);
  }

  private scaledWaitMs(wait: Record<string, unknown>, input: JsonValue, execution: ExecutionState): number {
    const context = { Execution: { Id: execution.summary.executionArn, Name: execution.summary.name, Input: execution.summary.input } };
    const untilTimestamp = (value: unknown): number => {
      const at = typeof value === 'string' ? Date.parse(value) : NaN;
      if (!Number.isFinite(at)) throw errorWithName('States.Runtime', `Wait: ${String(value)} is not an RFC 3339 timestamp`);
      return (at - Date.now()) * this.waitScale;
    };
    if (typeof wait['Timestamp'] === 'string') return untilTimestamp(wait['Timestamp']);
    if (typeof wait['TimestampPath'] === 'string') return untilTimestamp(queryPath(wait['TimestampPath'], input, context));
    if (typeof wait['SecondsPath'] === 'string') {
      const seconds = queryPath(wait['SecondsPath'], input, context);
      if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
        throw errorWithName('States.Runtime', `Wait: SecondsPath ${wait['SecondsPath']} must point to a non-negative integer`);
      }
      return seconds * 1000 * this.waitScale;
    }
    return 0;
  }

  private startCallbackTask(
    execution: ExecutionState,
    stateName: string,
    plan: Extract<TaskPlan, { kind: 'callback' }>,
    input: JsonValue,
  ): Promise<JsonValue> {
    const token = execution.mintedToken;
    execution.mintedToken = undefined;
    if (!token) {
      return Promise.reject(errorWithName('States.Runtime', `state ${stateName}: $$.Task.Token was not evaluated for this task`));
    }
    const params = isRecord(input) ? input : {};
    let fn: FunctionName;
    try {
      fn = functionFromArn(params['FunctionName'], `state ${stateName}`);
    } catch (err) {
      return Promise.reject(err);
    }

    let resolve!: (value: JsonValue) => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<JsonValue>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const scale = this.callbackTimeoutScale;
    const pending: PendingTask = {
      summary: { taskToken: token, executionArn: execution.summary.executionArn, stateName, functionName: fn },
      execution,
      resolve,
      reject,
      heartbeatMs: plan.heartbeatSeconds !== undefined ? plan.heartbeatSeconds * 1000 * scale : undefined,
      timeoutTimer: undefined,
      heartbeatTimer: undefined,
    };
    this.pending.set(token, pending);
    execution.tokens.add(token);
    if (plan.timeoutSeconds !== undefined) {
      const seconds = plan.timeoutSeconds;
      pending.timeoutTimer = setTimeout(
        () => void this.timeOut(token, `The task ran longer than its TimeoutSeconds (${seconds} s)`),
        seconds * 1000 * scale,
      );
    }
    this.armHeartbeat(pending);

    // Registered before invoking: the function may answer the token before it returns.
    this.busy += 1;
    this.invocationCount += 1;
    this.invokeFunction(fn, params['Payload'] ?? {})
      .then(
        () => undefined,
        (err: unknown) => {
          const task = this.takePending(token);
          task?.reject(lambdaError(err));
        },
      )
      .finally(() => {
        this.busy -= 1;
      });
    return promise;
  }

  private armHeartbeat(task: PendingTask): void {
    if (task.heartbeatMs === undefined) return;
    if (task.heartbeatTimer) clearTimeout(task.heartbeatTimer);
    const seconds = Math.round(task.heartbeatMs / this.callbackTimeoutScale) / 1000;
    task.heartbeatTimer = setTimeout(
      () => void this.timeOut(task.summary.taskToken, `No heartbeat within the task's HeartbeatSeconds (${seconds} s)`),
      task.heartbeatMs,
    );
  }

  /** Fails a callback task with States.Timeout; `cause` says which limit ran out, as in AWS. */
  private async timeOut(token: string, cause: string): Promise<void> {
    const makeError = await statesTimeoutError();
    const error = makeError();
    error.message = cause;
    this.takePending(token)?.reject(error);
  }

  /** Removes a pending task (clearing its timers) and marks its token closed. */
  private takePending(token: string): PendingTask | undefined {
    const task = this.pending.get(token);
    if (!task) return undefined;
    this.pending.delete(token);
    if (task.timeoutTimer) clearTimeout(task.timeoutTimer);
    if (task.heartbeatTimer) clearTimeout(task.heartbeatTimer);
    task.execution.tokens.delete(token);
    this.markClosed(token);
    return task;
  }

  private closeToken(token: string): void {
    const task = this.pending.get(token);
    if (task) {
      // The execution is over (or a Parallel branch holding it was stopped). Settle the task so the
      // library's own task timer is cleared; nothing observes the outcome any more.
      this.pending.delete(token);
      if (task.timeoutTimer) clearTimeout(task.timeoutTimer);
      if (task.heartbeatTimer) clearTimeout(task.heartbeatTimer);
      task.reject(new TaskClosedError('the execution holding this task token stopped'));
    }
    this.markClosed(token);
  }

  private markClosed(token: string): void {
    this.closedTokens.add(token);
    if (this.closedTokens.size > CLOSED_TOKENS_KEPT) {
      const oldest = this.closedTokens.values().next().value;
      if (oldest !== undefined) this.closedTokens.delete(oldest);
    }
  }

  private requirePending(token: string): PendingTask {
    const task = this.pending.get(token);
    if (task) return task;
    if (this.closedTokens.has(token)) throw new SfnError('TaskTimedOut', 'Task Timed Out: Provided task does not exist anymore');
    if (!TOKEN_PATTERN.test(token)) throw new SfnError('InvalidToken', 'Invalid token');
    throw new SfnError('TaskDoesNotExist', 'Task does not exist');
  }

  sendTaskSuccess(taskToken: string, output: unknown): void {
    this.requirePending(taskToken);
    const text = JSON.stringify(output ?? null);
    if (Buffer.byteLength(text, 'utf8') > MAX_PAYLOAD_BYTES) throw new SfnError('InvalidOutput', 'Invalid Output: larger than 256 KiB');
    this.takePending(taskToken)?.resolve(JSON.parse(text) as JsonValue);
  }

  sendTaskFailure(taskToken: string, error?: string, cause?: string): void {
    this.requirePending(taskToken);
    this.takePending(taskToken)?.reject(errorWithName(error ?? 'States.TaskFailed', cause ?? ''));
  }

  sendTaskHeartbeat(taskToken: string): void {
    this.armHeartbeat(this.requirePending(taskToken));
  }

  /**
   * Serves one JSON 1.0 request. `target` is the X-Amz-Target header (`AWSStepFunctions.<Op>`),
   * `body` the parsed JSON body. Errors are AWS-shaped: status 400, `{ __type, message }`.
   */
  async handleAwsJson(target: string, body: unknown): Promise<AwsJsonResponse> {
    const operation = target.startsWith('AWSStepFunctions.') ? target.slice('AWSStepFunctions.'.length) : '';
    const parse = <T extends z.ZodType>(schema: T): z.output<T> => {
      const parsed = schema.safeParse(body);
      if (!parsed.success) throw new SfnError('ValidationException', z.prettifyError(parsed.error));
      return parsed.data;
    };
    try {
      switch (operation) {
        case 'StartExecution': {
          const req = parse(startExecutionRequest);
          const machine = this.machineByArn(req.stateMachineArn);
          const started = this.start(machine, req.input ?? '{}', req.name);
          return { status: 200, body: { executionArn: started.executionArn, startDate: epochSeconds(started.startDate) } };
        }
        case 'DescribeExecution': {
          const req = parse(describeExecutionRequest);
          const e = this.describeExecution(req.executionArn);
          return {
            status: 200,
            body: {
              executionArn: e.executionArn,
              stateMachineArn: e.stateMachineArn,
              name: e.name,
              status: e.status,
              startDate: epochSeconds(e.startDate),
              ...(e.stopDate ? { stopDate: epochSeconds(e.stopDate) } : {}),
              input: e.input,
              inputDetails: { included: true },
              ...(e.output !== undefined ? { output: e.output, outputDetails: { included: true } } : {}),
              ...(e.error !== undefined ? { error: e.error } : {}),
              ...(e.cause !== undefined ? { cause: e.cause } : {}),
            },
          };
        }
        case 'SendTaskSuccess': {
          const req = parse(sendTaskSuccessRequest);
          let output: unknown;
          try {
            output = JSON.parse(req.output);
          } catch {
            this.requirePending(req.taskToken);
            throw new SfnError('InvalidOutput', 'Invalid Output: not valid JSON');
          }
          this.sendTaskSuccess(req.taskToken, output);
          return { status: 200, body: {} };
        }
        case 'SendTaskFailure': {
          const req = parse(sendTaskFailureRequest);
          this.sendTaskFailure(req.taskToken, req.error, req.cause);
          return { status: 200, body: {} };
        }
        case 'SendTaskHeartbeat': {
          const req = parse(sendTaskHeartbeatRequest);
          this.sendTaskHeartbeat(req.taskToken);
          return { status: 200, body: {} };
        }
        default:
          return {
            status: 400,
            body: { __type: 'UnknownOperationException', message: `The local Step Functions does not implement ${target || '(no X-Amz-Target)'}` },
          };
      }
    } catch (err) {
      if (err instanceof SfnError) return { status: 400, body: { __type: err.type, message: err.message } };
      throw err;
    }
  }

  private machineByArn(arn: string): PreparedMachine {
    const match = /^arn:aws:states:([^:]+):(\d{12}):stateMachine:([^:]+)$/.exec(arn);
    if (!match) throw new SfnError('InvalidArn', `Invalid Arn: '${arn}'`);
    const machine = match[1] === LOCAL_REGION && match[2] === LOCAL_ACCOUNT ? this.machines.get(match[3] ?? '') : undefined;
    if (!machine) throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }
}
