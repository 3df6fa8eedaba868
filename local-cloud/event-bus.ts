/**
 * The local EventBridge bus: the declared rules (lib/declaration.ts `eventRules`) matched with
 * EventBridge's event-pattern semantics, the `AWSEvents.PutEvents` JSON 1.1 operation so handlers
 * keep using `@aws-sdk/client-eventbridge` with an endpoint override, and asynchronous delivery
 * to the rule targets with bounded retries and an in-memory dead-letter list.
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { z } from 'zod';
import type { FunctionName, RuleDecl, StateMachineName } from '../lib/declaration';

// =============================================================================================
// Event patterns

/** An event pattern that EventBridge would refuse (PutRule → InvalidEventPatternException). */
export class InvalidEventPatternError extends Error {
  override readonly name = 'InvalidEventPatternError';
}

type Leaf = string | number | boolean | null;
type LeafTest = (value: Leaf) => boolean;
type LeafMatcher = { kind: 'exists'; exists: boolean } | { kind: 'value'; test: LeafTest };
/** Tests the value found at one path of the event (undefined when the path is absent). */
type NodeTest = (value: unknown) => boolean;

/** A compiled event pattern: true when the event matches. */
export type EventPatternMatcher = (event: unknown) => boolean;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isLeaf = (value: unknown): value is Leaf =>
  value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

/**
 * The leaf values at a path, the way EventBridge flattens events: a scalar is one value, an array
 * contributes each of its scalar elements (nested arrays flattened), objects are not leaves.
 */
function leafValues(value: unknown): Leaf[] {
  if (value === undefined) return [];
  if (isLeaf(value)) return [value];
  if (Array.isArray(value)) return value.flat(Infinity).filter(isLeaf);
  return [];
}

function fail(path: string, message: string): never {
  throw new InvalidEventPatternError(`Event pattern is not valid at ${path || '(root)'}: ${message}`);
}

function expectString(path: string, op: string, value: unknown): string {
  if (typeof value !== 'string') fail(path, `"${op}" takes a string, got ${JSON.stringify(value)}`);
  return value;
}

/** `*` matches any run of characters; `\*` is a literal star and `\\` a literal backslash. */
function compileWildcard(path: string, pattern: string): (s: string) => boolean {
  let source = '';
  let previousStar = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern.charAt(i);
    if (ch === '\\') {
      const next = pattern.charAt(i + 1);
      if (next !== '*' && next !== '\\') fail(path, `wildcard "${pattern}" has an invalid escape`);
      source += next === '*' ? '\\*' : '\\\\';
      i++;
      previousStar = false;
    } else if (ch === '*') {
      if (previousStar) fail(path, `wildcard "${pattern}" has consecutive wildcard characters`);
      source += '[\\s\\S]*';
      previousStar = true;
    } else {
      source += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      previousStar = false;
    }
  }
  const re = new RegExp(`^${source}$`);
  return (s) => re.test(s);
}

/** `prefix` / `suffix` take a string or `{ "equals-ignore-case": string }`. */
function compileAffix(path: string, op: 'prefix' | 'suffix', arg: unknown): (s: string) => boolean {
  let needle: string;
  let ignoreCase = false;
  if (typeof arg === 'string') {
    needle = arg;
  } else if (isRecord(arg) && Object.keys(arg).length === 1 && 'equals-ignore-case' in arg) {
    needle = expectString(path, `${op}.equals-ignore-case`, arg['equals-ignore-case']);
    ignoreCase = true;
  } else {
    fail(path, `"${op}" takes a string or {"equals-ignore-case": string}`);
  }
  const n = ignoreCase ? needle.toLowerCase() : needle;
  return (s) => {
    const h = ignoreCase ? s.toLowerCase() : s;
    return op === 'prefix' ? h.startsWith(n) : h.endsWith(n);
  };
}

const NUMERIC_OPS = new Set(['=', '<', '<=', '>', '>=']);

function compileNumeric(path: string, arg: unknown): LeafTest {
  if (!Array.isArray(arg) || (arg.length !== 2 && arg.length !== 4)) {
    fail(path, '"numeric" takes [op, number] or [lower-op, number, upper-op, number]');
  }
  const checks: ((n: number) => boolean)[] = [];
  for (let i = 0; i < arg.length; i += 2) {
    const op: unknown = arg[i];
    const bound: unknown = arg[i + 1];
    if (typeof op !== 'string' || !NUMERIC_OPS.has(op)) fail(path, `unknown numeric operator ${JSON.stringify(op)}`);
    if (typeof bound !== 'number' || !Number.isFinite(bound)) fail(path, `numeric bound must be a number, got ${JSON.stringify(bound)}`);
    checks.push(
      op === '='
        ? (n) => n === bound
        : op === '<'
          ? (n) => n < bound
          : op === '<='
            ? (n) => n <= bound
            : op === '>'
              ? (n) => n > bound
              : (n) => n >= bound,
    );
  }
  if (arg.length === 4) {
    const lower: unknown = arg[0];
    const upper: unknown = arg[2];
    if ((lower !== '>' && lower !== '>=') || (upper !== '<' && upper !== '<=')) {
      fail(path, 'a numeric range is [">" or ">=", low, "<" or "<=", high]');
    }
    if ((arg[1] as number) >= (arg[3] as number)) fail(path, 'numeric range bounds must be low < high');
  }
  return (value) => typeof value === 'number' && checks.every((check) => check(value));
}

function compileCidr(path: string, arg: unknown): LeafTest {
  const text = expectString(path, 'cidr', arg);
  const match = /^(.+)\/(\d{1,3})$/.exec(text);
  const family = match ? net.isIP(match[1] ?? '') : 0;
  const prefix = match ? Number(match[2]) : NaN;
  if (!match || family === 0 || prefix > (family === 4 ? 32 : 128)) fail(path, `"${text}" is not a CIDR block`);
  const list = new net.BlockList();
  const type = family === 4 ? 'ipv4' : 'ipv6';
  list.addSubnet(match[1] ?? '', prefix, type);
  return (value) => {
    if (typeof value !== 'string') return false;
    const f = net.isIP(value);
    return f !== 0 && list.check(value, f === 4 ? 'ipv4' : 'ipv6');
  };
}

function compileAnythingBut(path: string, arg: unknown): LeafTest {
  if (typeof arg === 'string' || typeof arg === 'number') return (value) => value !== arg;
  if (Array.isArray(arg)) {
    if (arg.length === 0) fail(path, '"anything-but" list must not be empty');
    const allStrings = arg.every((v) => typeof v === 'string');
    const allNumbers = arg.every((v) => typeof v === 'number');
    if (!allStrings && !allNumbers) fail(path, '"anything-but" list must hold only strings or only numbers');
    const excluded = new Set<unknown>(arg);
    return (value) => !excluded.has(value);
  }
  if (isRecord(arg) && Object.keys(arg).length === 1) {
    const [op, inner] = Object.entries(arg)[0] as [string, unknown];
    switch (op) {
      case 'prefix':
      case 'suffix': {
        const test = compileAffix(path, op, expectString(path, `anything-but.${op}`, inner));
        return (value) => typeof value !== 'string' || !test(value);
      }
      case 'equals-ignore-case': {
        const list = Array.isArray(inner) ? inner : [inner];
        const lowered = new Set(list.map((v) => expectString(path, 'anything-but.equals-ignore-case', v).toLowerCase()));
        return (value) => typeof value !== 'string' || !lowered.has(value.toLowerCase());
      }
      case 'wildcard': {
        const list = Array.isArray(inner) ? inner : [inner];
        const tests = list.map((v) => compileWildcard(path, expectString(path, 'anything-but.wildcard', v)));
        return (value) => typeof value !== 'string' || !tests.some((t) => t(value));
      }
      default:
    }
  }
  fail(path, `unsupported "anything-but" argument ${JSON.stringify(arg)}`);
}

function compileMatcher(path: string, item: unknown): LeafMatcher {
  if (isLeaf(item)) return { kind: 'value', test: (value) => value === item };
  if (!isRecord(item)) fail(path, `values must be strings, numbers, booleans, null or filter objects, got ${JSON.stringify(item)}`);
  const keys = Object.keys(item);
  if (keys.length !== 1) fail(path, `a filter object needs exactly one operator, got ${JSON.stringify(item)}`);
  const op = keys[0] ?? '';
  const arg = item[op];
  switch (op) {
    case 'prefix':
    case 'suffix': {
      const test = compileAffix(path, op, arg);
      return { kind: 'value', test: (value) => typeof value === 'string' && test(value) };
    }
    case 'equals-ignore-case': {
      const wanted = expectString(path, op, arg).toLowerCase();
      return { kind: 'value', test: (value) => typeof value === 'string' && value.toLowerCase() === wanted };
    }
    case 'wildcard': {
      const test = compileWildcard(path, expectString(path, op, arg));
      return { kind: 'value', test: (value) => typeof value === 'string' && test(value) };
    }
    case 'anything-but':
      return { kind: 'value', test: compileAnythingBut(path, arg) };
    case 'numeric':
      return { kind: 'value', test: compileNumeric(path, arg) };
    case 'cidr':
      return { kind: 'value', test: compileCidr(path, arg) };
    case 'exists':
      if (typeof arg !== 'boolean') fail(path, '"exists" takes true or false');
      return { kind: 'exists', exists: arg };
    default:
      fail(path, `unknown operator "${op}"`);
  }
}

function compileLeafList(path: string, list: readonly unknown[]): NodeTest {
  if (list.length === 0) fail(path, 'a value list must not be empty');
  const matchers = list.map((item) => compileMatcher(path, item));
  return (value) => {
    const values = leafValues(value);
    return matchers.some((m) => (m.kind === 'exists' ? values.length > 0 === m.exists : values.some(m.test)));
  };
}

/**
 * Compiles an object level of a pattern. Applied to the event value at that level: an object is
 * matched field by field; an array of objects matches when one element matches every field
 * (EventBridge's array consistency); anything else is treated as "no fields here", which only
 * `exists: false` leaves accept.
 */
function compileObject(path: string, pattern: Record<string, unknown>): NodeTest {
  const entries = Object.entries(pattern);
  if (entries.length === 0) fail(path, 'an object must have at least one field');
  const fieldTests: ((obj: Record<string, unknown> | undefined) => boolean)[] = entries.map(([key, sub]) => {
    const subPath = path ? `${path}.${key}` : key;
    if (key === '$or') {
      if (!Array.isArray(sub) || sub.length < 2 || !sub.every(isRecord)) {
        fail(subPath, '"$or" takes an array of at least two pattern objects');
      }
      const alternatives = sub.map((alt, i) => compileObject(`${subPath}[${i}]`, alt));
      return (obj) => alternatives.some((alt) => alt(obj));
    }
    if (Array.isArray(sub)) {
      const test = compileLeafList(subPath, sub);
      return (obj) => test(obj?.[key]);
    }
    if (isRecord(sub)) {
      const test = compileObject(subPath, sub);
      return (obj) => test(obj?.[key]);
    }
    fail(subPath, `must be an array of values or a nested object, got ${JSON.stringify(sub)}`);
  });
  const matchOne = (obj: Record<string, unknown> | undefined): boolean => fieldTests.every((t) => t(obj));
  return (value) => {
    if (isRecord(value)) return matchOne(value);
    if (Array.isArray(value)) {
      const objects = value.flat(Infinity).filter(isRecord);
      if (objects.length > 0) return objects.some(matchOne);
    }
    return matchOne(undefined);
  };
}

/** Compiles an EventBridge event pattern; throws {@link InvalidEventPatternError} for invalid ones. */
export function compileEventPattern(pattern: unknown): EventPatternMatcher {
  if (!isRecord(pattern)) throw new InvalidEventPatternError('Event pattern must be a JSON object');
  const test = compileObject('', pattern);
  return (event) => isRecord(event) && test(event);
}

/** One-shot convenience over {@link compileEventPattern}. */
export function matchesEventPattern(pattern: unknown, event: unknown): boolean {
  return compileEventPattern(pattern)(event);
}

// =============================================================================================
// The bus

/** The event envelope EventBridge delivers to targets. */
export interface LocalEventBridgeEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: Record<string, unknown>;
}

export interface EventTargets {
  toFunction(fn: FunctionName, event: LocalEventBridgeEvent): Promise<unknown>;
  /** EventBridge passes the whole event as the execution input. */
  toStateMachine(name: StateMachineName, input: LocalEventBridgeEvent): Promise<void>;
}

export interface BusLogger {
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

export interface DeadLetter {
  readonly rule: string;
  readonly target: RuleDecl['target'];
  readonly event: LocalEventBridgeEvent;
  readonly attempts: number;
  readonly error: string;
  readonly failedAt: string;
}

export interface LocalEventBusOptions {
  readonly logger?: BusLogger;
  /** Attempts per target before the event goes to `deadLetters`. @default 3 */
  readonly maxAttempts?: number;
  /** Backoff before retry n is `retryBaseDelayMs * 2^(n-1)`. @default 200 */
  readonly retryBaseDelayMs?: number;
  /**
   * Name of this bus. When set, entries must name it (or its ARN) — or omit EventBusName when it
   * is 'default' — and others fail with ResourceNotFoundException, as on AWS. When absent, every
   * entry goes to this one local bus whatever EventBusName it carries.
   */
  readonly eventBusName?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '000000000000' */
  readonly account?: string;
}

/** What `PutEvents` takes, as the SDK sends it (JSON 1.1; `Time` as epoch seconds). */
export interface PutEventsEntry {
  readonly Source?: string;
  readonly DetailType?: string;
  readonly Detail?: string;
  readonly Resources?: readonly string[];
  readonly Time?: number | string | Date;
  readonly EventBusName?: string;
  readonly TraceHeader?: string;
}

export type PutEventsResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

export interface PutEventsResult {
  FailedEntryCount: number;
  Entries: PutEventsResultEntry[];
}

export interface AwsJsonResponse {
  readonly status: number;
  readonly body: unknown;
}

/** EventBridge refuses requests whose entries together exceed 256 KiB. */
const MAX_REQUEST_BYTES = 256 * 1024;

const putEventsRequest = z.object({
  Entries: z
    .array(
      z
        .object({
          Source: z.string().optional(),
          DetailType: z.string().optional(),
          Detail: z.string().optional(),
          Resources: z.array(z.string()).optional(),
          Time: z.union([z.number(), z.string()]).optional(),
          EventBusName: z.string().optional(),
          TraceHeader: z.string().optional(),
        })
        .loose(),
    )
    .min(1, 'Entries must contain at least 1 item')
    .max(10, 'Entries must contain at most 10 items'),
  EndpointId: z.string().optional(),
});

const awsError = (status: number, type: string, message: string): AwsJsonResponse => ({
  status,
  body: { __type: type, message },
});

const consoleLogger: BusLogger = {
  warn: (message, data) => console.warn(`[event-bus] ${message}`, data ?? ''),
  error: (message, data) => console.error(`[event-bus] ${message}`, data ?? ''),
};

const errorText = (err: unknown): string => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

const toIsoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function entrySize(entry: PutEventsEntry): number {
  // EventBridge's documented size formula: Time (14 bytes) + UTF-8 bytes of Source, DetailType, Detail, Resources.
  const bytes = (s: string | undefined): number => (s ? Buffer.byteLength(s, 'utf8') : 0);
  return (
    (entry.Time !== undefined ? 14 : 0) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    (entry.Resources ?? []).reduce((n, r) => n + bytes(r), 0)
  );
}

export class LocalEventBus {
  private readonly rules: readonly { decl: RuleDecl; matches: EventPatternMatcher }[];
  private readonly deliver: EventTargets;
  private readonly logger: BusLogger;
  private readonly maxAttempts: number;
  private readonly retryBaseDelayMs: number;
  private readonly region: string;
  private readonly account: string;
  private readonly busNames: ReadonlySet<string> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly dead: DeadLetter[] = [];

  constructor(rules: readonly RuleDecl[], deliver: EventTargets, options: LocalEventBusOptions = {}) {
    this.rules = rules.map((decl) => {
      try {
        return { decl, matches: compileEventPattern(decl.pattern) };
      } catch (err) {
        throw new InvalidEventPatternError(`Rule ${decl.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    this.deliver = deliver;
    this.logger = options.logger ?? consoleLogger;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.retryBaseDelayMs = Math.max(0, options.retryBaseDelayMs ?? 200);
    this.region = options.region ?? 'us-east-1';
    this.account = options.account ?? '000000000000';
    const name = options.eventBusName;
    this.busNames =
      name === undefined ? undefined : new Set([name, `arn:aws:events:${this.region}:${this.account}:event-bus/${name}`]);
  }

  /** Deliveries that failed every attempt, oldest first. */
  get deadLetters(): readonly DeadLetter[] {
    return this.dead;
  }

  /** The rules this bus applies, as declared. */
  get ruleDeclarations(): readonly RuleDecl[] {
    return this.rules.map((r) => r.decl);
  }

  /** The rules whose pattern matches `event`. */
  matchingRules(event: LocalEventBridgeEvent): readonly RuleDecl[] {
    return this.rules.filter((r) => r.matches(event)).map((r) => r.decl);
  }

  /** Resolves once every delivery started so far (including retries) has finished. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Serves one JSON 1.1 request. `target` is the X-Amz-Target header (`AWSEvents.PutEvents`);
   * `body` the parsed JSON body. Errors are AWS-shaped (`{ __type, message }`).
   */
  async handleAwsJson(target: string, body: unknown): Promise<AwsJsonResponse> {
    const operation = target.startsWith('AWSEvents.') ? target.slice('AWSEvents.'.length) : undefined;
    if (operation !== 'PutEvents') {
      return awsError(400, 'UnknownOperationException', `The local event bus does not implement ${target || '(no X-Amz-Target)'}`);
    }
    const parsed = putEventsRequest.safeParse(body);
    if (!parsed.success) return awsError(400, 'ValidationException', z.prettifyError(parsed.error));
    if (parsed.data.EndpointId !== undefined) {
      return awsError(400, 'ValidationException', 'Global endpoints (EndpointId) are not available on the local bus');
    }
    const total = parsed.data.Entries.reduce((n, e) => n + entrySize(e), 0);
    if (total > MAX_REQUEST_BYTES) {
      return awsError(400, 'ValidationException', 'Total size of the entries in the request is over the limit.');
    }
    return { status: 200, body: this.putEvents(parsed.data.Entries) };
  }

  /**
   * Accepts entries like PutEvents does (per-entry validation, EventId per accepted entry) and
   * schedules delivery to every matching rule's target after returning.
   */
  putEvents(entries: readonly PutEventsEntry[]): PutEventsResult {
    const results: PutEventsResultEntry[] = [];
    const accepted: LocalEventBridgeEvent[] = [];
    for (const entry of entries) {
      const outcome = this.toEvent(entry);
      if ('ErrorCode' in outcome) {
        results.push(outcome);
      } else {
        accepted.push(outcome);
        results.push({ EventId: outcome.id });
      }
    }
    for (const event of accepted) this.dispatch(event);
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }

  private toEvent(entry: PutEventsEntry): LocalEventBridgeEvent | { ErrorCode: string; ErrorMessage: string } {
    const invalid = (field: string, reason: string) => ({
      ErrorCode: 'InvalidArgument',
      ErrorMessage: `Parameter ${field} is not valid. Reason: ${reason}`,
    });
    const busName = entry.EventBusName ?? 'default';
    if (this.busNames && !this.busNames.has(busName)) {
      return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${busName} does not exist.` };
    }
    if (!entry.Source) return invalid('Source', 'Source is a required argument.');
    if (!entry.DetailType) return invalid('DetailType', 'DetailType is a required argument.');
    if (entry.Detail === undefined || entry.Detail === '') return invalid('Detail', 'Detail is a required argument.');
    if (entry.Source.startsWith('aws.')) {
      return {
        ErrorCode: 'NotAuthorizedForSourceException',
        ErrorMessage: `Not authorized for the source ${entry.Source}.`,
      };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail);
    } catch {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    if (!isRecord(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };

    let timeMs = Date.now();
    if (entry.Time !== undefined) {
      const t = entry.Time;
      timeMs = t instanceof Date ? t.getTime() : typeof t === 'number' ? t * 1000 : Date.parse(t);
      if (!Number.isFinite(timeMs)) return invalid('Time', 'Time is not a valid timestamp.');
    }
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: this.account,
      time: toIsoSeconds(timeMs),
      region: this.region,
      resources: [...(entry.Resources ?? [])],
      detail,
    };
  }

  private dispatch(event: LocalEventBridgeEvent): void {
    for (const rule of this.matchingRules(event)) {
      // Registered now, started after the current call stack: PutEvents answers first.
      const delivery = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => this.deliverWithRetry(rule, event))
        .catch((err: unknown) => this.logger.error('delivery bookkeeping failed', { error: errorText(err) }))
        .finally(() => this.inFlight.delete(delivery));
      this.inFlight.add(delivery);
    }
  }

  private async deliverWithRetry(rule: RuleDecl, event: LocalEventBridgeEvent): Promise<void> {
    let lastError = '';
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      try {
        if ('fn' in rule.target) await this.deliver.toFunction(rule.target.fn, event);
        else await this.deliver.toStateMachine(rule.target.stateMachine, event);
        return;
      } catch (err) {
        lastError = errorText(err);
        const willRetry = attempt < this.maxAttempts;
        this.logger.warn(`rule ${rule.name}: delivery attempt ${attempt}/${this.maxAttempts} failed`, {
          eventId: event.id,
          detailType: event['detail-type'],
          target: rule.target,
          error: lastError,
          willRetry,
        });
        if (willRetry) await new Promise((r) => setTimeout(r, this.retryBaseDelayMs * 2 ** (attempt - 1)));
      }
    }
    const letter: DeadLetter = {
      rule: rule.name,
      target: rule.target,
      event,
      attempts: this.maxAttempts,
      error: lastError,
      failedAt: new Date().toISOString(),
    };
    this.dead.push(letter);
    this.logger.error(`rule ${rule.name}: event ${event.id} dead-lettered after ${this.maxAttempts} attempts`, {
      detailType: event['detail-type'],
      target: rule.target,
      error: lastError,
    });
  }
}
