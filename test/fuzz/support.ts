/**
 * Property-based fuzzing of Concierge's public edges against a running local cloud (fast-check):
 *
 * - every REST route of lib/declaration.ts (new routes are covered automatically): staff and admin routes with a
 *   valid admin token, so what is fuzzed is the parsing of path, query and body; the webhook routes with arbitrary
 *   bodies and headers, some of them signed with the environment's real secrets (Stripe's, Twilio's and Meta's own
 *   signing), so the payload parsing behind the signature check is reached too;
 * - every action of the widget's WebSocket protocol (lambdas/core/protocol.ts), and the staff actions a widget
 *   connection can reach: arbitrary JSON, wrong types, strings up to and beyond every size limit, deep nesting,
 *   invalid UTF-8 in text and binary frames, unicode tricks (zero-width, bidi overrides, homoglyphs, NUL, lone surrogates).
 *
 * Property: REST answers 2xx or 4xx, a 4xx with a JSON error naming a reason; never 5xx, never a hang. WebSocket:
 * an `error` frame or the action's normal reply (or the protocol close a WebSocket server owes a frame it cannot
 * take: 1007 invalid UTF-8, 1009 too big), and afterwards the server still answers a `ping` with a `pong`.
 *
 * `runFuzz` is what the jest suite (test/fuzz/edges.test.ts) and a bench can call; `recordFuzzResults` merges
 * `fuzz_inputs` and `fuzz_5xx` into bench-results/latest.json. FUZZ_SEED fixes the seed, FUZZ_SCALE multiplies
 * the number of runs (1 in jest, e.g. 20 for a long run).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequestRaw } from 'node:http';
import { join } from 'node:path';
import fc from 'fast-check';
import Stripe from 'stripe';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import WebSocket from 'ws';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { restRoutes, wsRoutes, type RestRouteDecl } from '../../lib/declaration';
import { LIMITS } from '../../local-cloud/gateway';
import type { LocalCloud } from '../../local-cloud/index';
import { MAX_FRAME_BYTES, MAX_MESSAGE_BYTES, clientFrame } from '../../lambdas/core/protocol';
import { mergeBenchResults, LATEST_RESULTS } from '../bench/cost';

const ROOT = join(__dirname, '..', '..');

/** The seed every fuzz run uses unless FUZZ_SEED says otherwise (printed with the results). */
export const FUZZ_SEED = Number(process.env['FUZZ_SEED'] ?? 20261126);
/** Multiplies the number of runs (FUZZ_SCALE=20 for a long run from the bench). */
export const FUZZ_SCALE = Math.max(0.1, Number(process.env['FUZZ_SCALE'] ?? 1));

/** One input that broke the property: where, what was sent (abridged), what happened. */
export interface FuzzFailure {
  readonly target: string;
  readonly input: string;
  readonly problem: string;
}

/** Inputs tried per target and in total, 5xx-equivalents seen, and the failures. */
export class FuzzTally {
  readonly perTarget = new Map<string, number>();
  readonly failures: FuzzFailure[] = [];
  /** REST status codes seen (how deep the inputs got: 2xx past every check, 4xx refused). */
  readonly statuses = new Map<number, number>();
  inputs = 0;
  fiveXx = 0;

  count(target: string): void {
    this.inputs++;
    this.perTarget.set(target, (this.perTarget.get(target) ?? 0) + 1);
  }

  fail(failure: FuzzFailure, serverError: boolean): void {
    if (serverError) this.fiveXx++;
    if (this.failures.length < 50) this.failures.push({ ...failure, input: abridge(failure.input) });
  }
}

/** FUZZ_FULL_INPUTS=1 keeps failing inputs whole (to replay one), otherwise they are abridged. */
const abridge = (s: string): string => (process.env['FUZZ_FULL_INPUTS'] !== '1' && s.length > 400 ? `${s.slice(0, 300)}… (${s.length} chars) …${s.slice(-60)}` : s);

/** The flat metrics a fuzz run contributes to bench-results/latest.json. */
export function fuzzMetrics(tally: FuzzTally): { readonly fuzz_inputs: number; readonly fuzz_5xx: number } {
  return { fuzz_inputs: tally.inputs, fuzz_5xx: tally.fiveXx };
}

/** Merges `fuzz_inputs` and `fuzz_5xx` into bench-results/latest.json (other keys kept). */
export function recordFuzzResults(tally: FuzzTally, file: string = LATEST_RESULTS): void {
  mergeBenchResults(fuzzMetrics(tally), file);
}

// ---- arbitraries ------------------------------------------------------------------------------------------

/** Characters that have broken text handling somewhere: invisible, direction-changing, look-alike, control. */
export const UNICODE_TRICKS: readonly string[] = [
  '\u0000', // NUL
  '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', // zero-width space / non-joiner / joiner, word joiner, BOM
  '\u202E', '\u202D', '\u2066', '\u2067', '\u2069', '\u061C', // bidi overrides and isolates, Arabic letter mark
  'раrking', 'Ηarbour', 'ｐａｒｋｉｎｇ', '𝐩𝐚𝐫𝐤𝐢𝐧𝐠', // homoglyphs: Cyrillic, Greek, full-width, mathematical bold
  'e\u0301\u0301\u0301\u0301', 'Z̴̡̪̫̖̥͔͈̈́͛̆̾̆̕ą̷̛̘͖̺̜̿̍l̶̨̛̘̲̑̓ģ̸̫͚̪̍ͅo̴̺͌̓', // stacked combining marks
  '👩‍👩‍👧‍👦', '🏳️‍🌈', '\uD83D', '\uDC00', '\uFFFF', '\uFFFE', '\u{10FFFF}', // ZWJ emoji, lone surrogates, noncharacters
  '\r\n', '\u2028', '\u2029', '\u0085', '\t', '\u001B[31m', // line separators, ANSI escape
  '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "' OR '1'='1", '{{7*7}}', '${7*7}', '%00', '../../etc/passwd',
  '__proto__', 'constructor', 'T#other-tenant', 'MSG#', '#', '\\', '%', '%E0%A4%A', '%%', '+', '=', '&',
];

const tricky: fc.Arbitrary<string> = fc
  .array(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...UNICODE_TRICKS) }, { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) }, { weight: 2, arbitrary: fc.string({ maxLength: 12 }) }), {
    minLength: 0,
    maxLength: 6,
  })
  .map((parts) => parts.join(''));

/** Sizes around every limit on the path: message text, API Gateway frame, the gateway's frame limit. */
const WS_SIZES = [MAX_MESSAGE_BYTES - 1, MAX_MESSAGE_BYTES, MAX_MESSAGE_BYTES + 1, MAX_FRAME_BYTES - 64, MAX_FRAME_BYTES + 1, LIMITS.wsFrameBytes - 64, LIMITS.wsFrameBytes + 1] as const;

/** A string of about `bytes` UTF-8 bytes made of one repeated (possibly multi-byte) character. */
const sized = (bytes: number, unit: string): string => unit.repeat(Math.max(1, Math.ceil(bytes / Buffer.byteLength(unit, 'utf8'))));
const hugeText = (sizes: readonly number[]): fc.Arbitrary<string> =>
  fc.tuple(fc.constantFrom(...sizes), fc.constantFrom('a', 'é', '😀', '\u200B', '\u0000 ')).map(([n, unit]) => sized(n, unit));

/** Deeply nested JSON text (built as text: stringifying such values would overflow our own stack). */
const deepJsonText: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(10, 200, 5_000, 60_000), fc.constantFrom('array', 'object', 'mixed'))
  .map(([depth, kind]) =>
    kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : kind === 'object' ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : `${'{"text":['.repeat(depth)}"x"${']}'.repeat(depth)}`,
  );

const protocolKeys = ['action', 'clientId', 'text', 'lang', 'conversationId', 'lastSeq', 'on'];

/** Every property name documented in docs/openapi.yaml: objects built from them reach past "unknown key" checks. */
export function documentedKeys(): readonly string[] {
  const doc: unknown = parseYaml(readFileSync(join(ROOT, 'docs', 'openapi.yaml'), 'utf8'));
  const keys = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) for (const x of node) walk(x);
    else if (typeof node === 'object' && node !== null) {
      for (const [k, v] of Object.entries(node)) {
        if (k === 'properties' && typeof v === 'object' && v !== null) for (const name of Object.keys(v)) keys.add(name);
        walk(v);
      }
    }
  };
  walk(doc);
  return [...keys].sort();
}

const scalar: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: tricky },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 2, arbitrary: fc.constantFrom(0, -1, 1, 1e308, -1e308, 2 ** 53 + 1, 0.5, -0.0, 86_400_000) },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 2, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '', ' ', 'true', 'null', '2026-11-26', '2026-11-26T10:00:00Z', '2026-02-30T25:61:00Z', '9999-12-31T23:59:59Z', '0000-01-01', 'P1D', '09:00', '24:00',
      'owner@harbour-dental.example', 'not-an-email', 'https://www.example.com', 'javascript:alert(1)', '#ff0000', 'rgb(0,0,0)', 'admin', 'agent',
      'en', 'es-MX', 'xx-YY-ZZ', 'stripe', 'twilio', 'meta', 'google', 'calendly', 'microsoft', 'bot', 'human', 'closed', 'waiting', 'mine', 'all',
      'sk_test_fuzz', 'whsec_fuzz', 'AC' + '0'.repeat(32), '+15551234567', 'parking', 'cleaning', 'demo',
    ),
  },
);

/** JSON values whose objects use the documented property names (and some others). */
function jsonValues(keys: readonly string[]): fc.Arbitrary<unknown> {
  const key = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...keys, ...protocolKeys) }, { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype') }, { weight: 1, arbitrary: tricky });
  const { value } = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      scalar,
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(key, tie('value'), { maxKeys: 6 }),
    ),
  }));
  return value;
}

// ---- REST ------------------------------------------------------------------------------------------------

type RestBody =
  | { readonly kind: 'none' }
  | { readonly kind: 'json'; readonly value: unknown }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array }
  | { readonly kind: 'form'; readonly params: readonly (readonly [string, string])[] };

interface RestInput {
  readonly path: Readonly<Record<string, string>>;
  readonly query: readonly (readonly [string, string])[];
  readonly headers: readonly (readonly [string, string])[];
  readonly contentType: string | undefined;
  readonly body: RestBody;
  /** Webhook routes: sign the body with the environment's real secret. */
  readonly signed: boolean;
}

/** Percent-encodes every byte but the unreserved ones (lone surrogates become U+FFFD, as in any UTF-8 encoder). */
function encodeSegment(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_~-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const headerValue = fc.oneof(
  fc.string({ unit: 'binary-ascii', maxLength: 80 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
  fc.constantFrom('t=1,v1=abc', 't=0,v1=', 'sha256=', 'sha256=00', 'sha1=abc', 'application/json', 'text/plain', 'application/x-www-form-urlencoded', 'gzip', 'https', 'Bearer x'),
);
const headerName = fc.constantFrom('stripe-signature', 'x-twilio-signature', 'x-hub-signature-256', 'x-forwarded-proto', 'origin', 'accept', 'content-encoding', 'x-amz-date', 'cookie', 'x-fuzz');

/**
 * Page cursors shaped like the ones the list routes hand out (base64url JSON of a page's last keys and the tenant)
 * with forged values: past "not a cursor" into the store, where DynamoDB refuses a starting key outside the query.
 */
const cursorPart = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('demo', 'T#demo#CONVS', 'T#demo#C#abcdefgh', 'T#demo#AUDIT', 'META', '', 'T#other#CONVS', 'T#other#C#abcdefgh', '2026-01-01T00:00:00.000Z#abcdefgh', '2199-01-01T00:00:00.000Z#x', '2001-01-01T00:00:00.000Z#y', '0') },
  { weight: 1, arbitrary: tricky },
);
const forgedCursor: fc.Arbitrary<string> = fc
  .record({ pk: cursorPart, sk: cursorPart, gsi1pk: cursorPart, gsi1sk: cursorPart, t: fc.oneof({ weight: 4, arbitrary: fc.constant('demo') }, { weight: 1, arbitrary: cursorPart }) }, { requiredKeys: ['t'] })
  .map((o) => Buffer.from(JSON.stringify(o)).toString('base64url'));

const QUERY_NAMES = ['limit', 'cursor', 'from', 'to', 'start', 'end', 'date', 'day', 'serviceId', 'staffId', 'status', 'queue', 'q', 'lang', 'kind', 'since', 'hub.mode', 'hub.verify_token', 'hub.challenge'];

function restInputs(route: RestRouteDecl, keys: readonly string[]): fc.Arbitrary<RestInput> {
  const params = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '');
  const idValue = fc.oneof(
    { weight: 3, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/) },
    { weight: 2, arbitrary: fc.constantFrom('demo', 'parking', 'stripe', 'twilio', 'meta', 'google', 'calendly', 'microsoft', 'matrix-b', 'a', 'x'.repeat(300)) },
    { weight: 3, arbitrary: tricky.filter((s) => s.length > 0) },
  );
  const webhook = route.path.startsWith('/v1/webhooks/');
  const body: fc.Arbitrary<RestBody> = fc.oneof(
    { weight: 6, arbitrary: jsonValues(keys).map((value): RestBody => ({ kind: 'json', value })) },
    { weight: 2, arbitrary: tricky.map((text): RestBody => ({ kind: 'text', text })) },
    { weight: 1, arbitrary: deepJsonText.map((text): RestBody => ({ kind: 'text', text })) },
    { weight: 1, arbitrary: hugeText([4096, 300_000, 1_000_000]).map((s): RestBody => ({ kind: 'json', value: { text: s, name: s, question: s, content: s } })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 256 }).map((bytes): RestBody => ({ kind: 'bytes', bytes })) },
    { weight: webhook ? 4 : 1, arbitrary: fc.array(fc.tuple(fc.constantFrom('From', 'To', 'Body', 'MessageSid', 'SmsStatus', 'MessageStatus', 'NumMedia', 'MediaUrl0', 'ErrorCode', 'AccountSid', 'ProfileName', 'WaId'), tricky), { maxLength: 8 }).map((p): RestBody => ({ kind: 'form', params: p })) },
    { weight: 1, arbitrary: fc.constant<RestBody>({ kind: 'none' }) },
  );
  return fc.record({
    path: fc.record(Object.fromEntries(params.map((p) => [p, p === 'tenantId' ? fc.oneof({ weight: 3, arbitrary: fc.constant('demo') }, { weight: 1, arbitrary: idValue }) : idValue]))),
    query: fc.array(
      fc.oneof(
        { weight: 4, arbitrary: fc.tuple(fc.oneof(fc.constantFrom(...QUERY_NAMES), tricky), fc.oneof(scalar.map(String), tricky)) },
        { weight: 1, arbitrary: fc.tuple(fc.constant('cursor'), forgedCursor) },
      ),
      { maxLength: 5 },
    ),
    headers: webhook || route.auth === 'public' ? fc.array(fc.tuple(headerName, headerValue), { maxLength: 4 }) : fc.constant([]),
    contentType: fc.option(fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'application/pdf', 'multipart/form-data; boundary=x'), { nil: undefined }),
    body: route.method === 'GET' ? fc.constant<RestBody>({ kind: 'none' }) : body,
    signed: webhook ? fc.boolean() : fc.constant(false),
  });
}

function bodyBytes(body: RestBody): Buffer | undefined {
  switch (body.kind) {
    case 'none':
      return undefined;
    case 'json':
      return Buffer.from(JSON.stringify(body.value) ?? 'null', 'utf8');
    case 'text':
      return Buffer.from(body.text, 'utf8');
    case 'bytes':
      return Buffer.from(body.bytes);
    case 'form':
      return Buffer.from(new URLSearchParams(body.params.map(([k, v]) => [k, v])).toString(), 'utf8');
  }
}

/** What a refusal must look like: JSON naming a reason (`{ error: { code, message } }`, or API Gateway's `{ message }`). */
const errorShape = z.union([
  z.object({ error: z.object({ message: z.string().min(1) }) }),
  z.object({ message: z.string().min(1) }),
]);

const REQUEST_TIMEOUT_MS = 60_000;

async function restCase(cloud: FuzzTarget, route: RestRouteDecl, token: string, input: RestInput, tallyStatus?: (status: number) => void): Promise<{ ok: true } | { ok: false; problem: string; serverError: boolean }> {
  const path = route.path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeSegment(input.path[name] ?? ''));
  const search = new URLSearchParams(input.query.map(([k, v]) => [k, v])).toString();
  const url = `${cloud.urls.rest}${path}${search ? `?${search}` : ''}`;
  const raw = bodyBytes(input.body);
  const headers: Record<string, string> = {};
  for (const [k, v] of input.headers) headers[k] = v;
  if (input.contentType) headers['content-type'] = input.contentType;
  else if (input.body.kind === 'form') headers['content-type'] = 'application/x-www-form-urlencoded';
  if (route.auth !== 'public') headers['authorization'] = `Bearer ${token}`;
  if (input.signed) Object.assign(headers, signatureHeaders(cloud, route, url, input.body, raw ?? Buffer.alloc(0)));
  let res: { readonly status: number; readonly text: string };
  try {
    res = await httpRequest(url, route.method, headers, raw, REQUEST_TIMEOUT_MS);
  } catch (error) {
    return { ok: false, problem: `no response (hang or reset): ${error instanceof Error ? error.message : String(error)}`, serverError: true };
  }
  const text = res.text;
  tallyStatus?.(res.status);
  if (res.status >= 500) return { ok: false, problem: `HTTP ${res.status}: ${text.slice(0, 300)}`, serverError: true };
  if (res.status >= 200 && res.status < 300) return { ok: true };
  if (res.status >= 400 && res.status < 500) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return { ok: false, problem: `HTTP ${res.status} without a JSON body: ${text.slice(0, 200)}`, serverError: false };
    }
    return errorShape.safeParse(parsed).success ? { ok: true } : { ok: false, problem: `HTTP ${res.status} without a reason: ${text.slice(0, 200)}`, serverError: false };
  }
  return { ok: false, problem: `HTTP ${res.status}: neither 2xx nor 4xx`, serverError: false };
}

/**
 * One request on a connection of its own (`Connection: close`): the local gateway answers an oversized body with
 * 413 before reading it, and a keep-alive connection reused after that hangs and resets (reported, not ours to fix
 * here), which would blame the next, innocent input.
 */
function httpRequest(url: string, method: string, headers: Record<string, string>, body: Buffer | undefined, timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    let responded = false;
    let lastError: Error | undefined;
    const req = httpRequestRaw(url, { method, headers: { ...headers, connection: 'close', ...(body ? { 'content-length': String(body.length) } : {}) }, agent: false, timeout: timeoutMs }, (res) => {
      responded = true;
      const chunks: Buffer[] = [];
      res.on('aborted', () => reject(new Error('the response was cut short')));
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no response within ${timeoutMs} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) => {
      // The server may answer (413) and close before the whole body is sent: the answer is what counts.
      lastError = error;
      if (error.code === 'EPIPE' || error.code === 'ECONNRESET') return;
      reject(error);
    });
    req.on('close', () => {
      if (!responded) reject(new Error(`connection closed without a response${lastError ? ` (${lastError.message})` : ''}`));
    });
    req.end(body);
  });
}

/** Signs like the provider would, with the local cloud's real secrets (so signed garbage reaches the payload parsing). */
function signatureHeaders(cloud: FuzzTarget, route: RestRouteDecl, url: string, body: RestBody, raw: Buffer): Record<string, string> {
  if (route.fn === 'stripeWebhook') {
    const secret = cloud.env['STRIPE_WEBHOOK_SECRET'] ?? '';
    return { 'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload: raw.toString('utf8'), secret }) };
  }
  if (route.fn === 'twilioWebhook' || route.fn === 'twilioStatus') {
    const params: Record<string, string> = {};
    if (body.kind === 'form') for (const [k, v] of new URLSearchParams(raw.toString('utf8'))) params[k] = v;
    return { 'x-twilio-signature': getExpectedTwilioSignature(cloud.env['TWILIO_AUTH_TOKEN'] ?? '', url, params) };
  }
  if (route.fn === 'metaWebhook') {
    return { 'x-hub-signature-256': `sha256=${createHmac('sha256', cloud.env['META_APP_SECRET'] ?? '').update(raw).digest('hex')}` };
  }
  return {};
}

const describeInput = (route: RestRouteDecl, input: RestInput): string => {
  const body = bodyBytes(input.body);
  return JSON.stringify({ ...input, body: body ? body.toString('utf8') : undefined }, (_k, v: unknown) => (process.env['FUZZ_FULL_INPUTS'] !== '1' && typeof v === 'string' && v.length > 200 ? `${v.slice(0, 120)}…(${v.length})` : v)).replace(/^/, `${route.method} ${route.path} `);
};

/** What the fuzzers need of a running local cloud. */
export type FuzzTarget = { readonly urls: Pick<LocalCloud['urls'], 'rest' | 'ws'>; readonly env: LocalCloud['env'] };

export interface FuzzOptions {
  /** Only these REST routes. @default every route of lib/declaration.ts */
  readonly routes?: readonly RestRouteDecl[];
  readonly seed?: number;
  /** Inputs per REST route. @default 16 × FUZZ_SCALE (100+ routes: about 1,700 inputs in a jest run) */
  readonly restRunsPerRoute?: number;
  /** Inputs over the WebSocket. @default 320 × FUZZ_SCALE */
  readonly wsRuns?: number;
  /** How long a reply may take before it counts as a hang. @default 45 s */
  readonly frameTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

/** Fuzzes every REST route of the declaration; staff and admin routes with `adminToken`. */
export async function fuzzRest(cloud: FuzzTarget, adminToken: string, tally: FuzzTally, options: FuzzOptions = {}): Promise<void> {
  const keys = documentedKeys();
  const seed = options.seed ?? FUZZ_SEED;
  const numRuns = Math.max(1, Math.round(options.restRunsPerRoute ?? 16 * FUZZ_SCALE));
  for (const route of options.routes ?? restRoutes) {
    const i = restRoutes.indexOf(route);
    const target = `${route.method} ${route.path}`;
    // Each route's own seed, so adding a route does not change what the others get.
    await fc.check(
      fc.asyncProperty(restInputs(route, keys), async (input) => {
        tally.count(target);
        const outcome = await restCase(cloud, route, adminToken, input, (status) => tally.statuses.set(status, (tally.statuses.get(status) ?? 0) + 1));
        if (!outcome.ok) tally.fail({ target, input: describeInput(route, input), problem: outcome.problem }, outcome.serverError);
        return true; // every input is tallied; failures are collected rather than shrunk (keeps the run bounded)
      }),
      { seed: seed + i, numRuns, endOnFailure: true },
    );
  }
}

// ---- WebSocket -------------------------------------------------------------------------------------------

/** A widget connection that records every frame (parsed when JSON) and how it closed. */
class FuzzSocket {
  readonly frames: unknown[] = [];
  closed: { readonly code: number; readonly reason: string } | undefined;
  private waiters: (() => void)[] = [];

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = String(data);
      let frame: unknown = text;
      try {
        frame = JSON.parse(text);
      } catch {
        frame = text;
      }
      this.frames.push(frame);
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString('utf8') };
      this.wake();
    });
    ws.on('error', () => undefined);
  }

  static open(url: string, origin: string): Promise<FuzzSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers: { Origin: origin }, maxPayload: 1024 * 1024 });
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with HTTP ${res.statusCode ?? 0}`)));
      ws.once('error', reject);
      ws.once('open', () => resolve(new FuzzSocket(ws)));
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(data: string | Buffer, binary: boolean): void {
    this.ws.send(data, { binary });
  }

  /** The first frame from index `from` matching `match`; 'closed' if the socket closes first; 'timeout'. */
  waitFor(from: number, match: (frame: unknown) => boolean, timeoutMs: number): Promise<unknown> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), timeoutMs);
      const check = (): void => {
        for (let i = from; i < this.frames.length; i++) {
          if (match(this.frames[i])) {
            clearTimeout(timer);
            return resolve(this.frames[i]);
          }
        }
        if (this.closed) {
          clearTimeout(timer);
          return resolve('closed');
        }
        this.waiters.push(check);
      };
      check();
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

type WsInput =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'binary'; readonly bytes: Uint8Array }
  /** Bytes sent in a text frame: invalid UTF-8 when they are not UTF-8. */
  | { readonly kind: 'textBytes'; readonly bytes: Uint8Array };

const typeOf = (frame: unknown): unknown => (typeof frame === 'object' && frame !== null ? Reflect.get(frame, 'type') : undefined);
const isGatewayFailure = (frame: unknown): boolean => typeof frame === 'object' && frame !== null && Reflect.get(frame, 'message') === 'Internal server error';
const isInternal = (frame: unknown): boolean => isGatewayFailure(frame) || (typeOf(frame) === 'error' && Reflect.get(frame as object, 'code') === 'internal');

function wsInputs(keys: readonly string[]): fc.Arbitrary<WsInput> {
  const actions = [...new Set([...wsRoutes.map((r) => r.route), 'hello', 'sendMessage', 'newConversation', 'ping', 'customerTyping', 'toString', '__proto__', ''])];
  const clientIdArb = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/), tricky, fc.integer());
  const langArb = fc.oneof(fc.constantFrom('en', 'es', 'es-MX', 'de', 'zz'), tricky, fc.integer());
  const anyValue = jsonValues(keys);
  // Frames shaped like the protocol's, with each field valid or not.
  const shaped = fc.oneof(
    fc.record({ action: fc.constant('hello'), conversationId: fc.option(fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/), tricky, anyValue), { nil: undefined }), lastSeq: fc.option(fc.oneof(fc.nat(), fc.integer(), fc.double(), tricky), { nil: undefined }), lang: fc.option(langArb, { nil: undefined }) }, { requiredKeys: ['action'] }),
    fc.record({ action: fc.constant('sendMessage'), clientId: clientIdArb, text: fc.oneof({ weight: 4, arbitrary: tricky }, { weight: 1, arbitrary: hugeText(WS_SIZES.filter((s) => s < MAX_FRAME_BYTES)) }, { weight: 1, arbitrary: anyValue }), lang: fc.option(langArb, { nil: undefined }) }, { requiredKeys: ['action', 'clientId', 'text'] }),
    fc.record({ action: fc.constant('newConversation'), lang: fc.option(langArb, { nil: undefined }) }, { requiredKeys: ['action'] }),
    fc.record({ action: fc.constant('customerTyping'), on: fc.oneof(fc.boolean(), anyValue) }, { requiredKeys: ['action'] }),
    // Every action gets a shape of its own, so each is tried whatever the seed.
    fc.record({ action: fc.constant('ping'), extra: anyValue }, { requiredKeys: ['action'] }),
    fc.record({ action: fc.constant('feedback'), conversationId: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/), tricky, anyValue), seq: fc.oneof(fc.nat(), fc.integer(), tricky), helpful: fc.oneof(fc.boolean(), anyValue) }, { requiredKeys: ['action'] }),
    fc.record({ action: fc.constant('markRead'), conversationId: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/), tricky, anyValue), seq: fc.oneof(fc.nat(), fc.integer(), tricky) }, { requiredKeys: ['action'] }),
    fc.record({ action: fc.constantFrom('staffWatch', 'staffTyping', 'staffPing'), conversationId: fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/), on: fc.boolean() }, { requiredKeys: ['action'] }),
    fc.record({ action: fc.oneof(fc.constantFrom(...actions), tricky, anyValue), extra: anyValue }, { requiredKeys: ['action'] }),
  );
  return fc.oneof(
    { weight: 8, arbitrary: shaped.map((frame): WsInput => ({ kind: 'text', text: JSON.stringify(frame) })) },
    { weight: 2, arbitrary: anyValue.map((v): WsInput => ({ kind: 'text', text: JSON.stringify(v) ?? 'null' })) },
    { weight: 2, arbitrary: tricky.map((text): WsInput => ({ kind: 'text', text })) },
    { weight: 1, arbitrary: deepJsonText.map((text): WsInput => ({ kind: 'text', text })) },
    { weight: 1, arbitrary: hugeText(WS_SIZES).map((s): WsInput => ({ kind: 'text', text: JSON.stringify({ action: 'sendMessage', clientId: 'fuzz-huge-0001', text: s }) })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }).map((bytes): WsInput => ({ kind: 'binary', bytes })) },
    { weight: 1, arbitrary: fc.tuple(fc.uint8Array({ maxLength: 64 }), fc.constantFrom([0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82])).map(([b, bad]): WsInput => ({ kind: 'textBytes', bytes: Uint8Array.from([...b, ...bad]) })) },
  );
}

const wsBytes = (input: WsInput): number => (input.kind === 'text' ? Buffer.byteLength(input.text, 'utf8') : input.bytes.length);

/** What the server owes an input: the close code of the WebSocket protocol, a reply type, an error frame, or nothing. */
function expectationOf(input: WsInput): { readonly close?: number; readonly reply?: readonly string[] } {
  if (wsBytes(input) > LIMITS.wsFrameBytes) return { close: 1009 };
  if (input.kind === 'textBytes' && !isUtf8(input.bytes)) return { close: 1007 };
  if (input.kind !== 'text') return { reply: ['error'] };
  let raw: unknown;
  try {
    raw = JSON.parse(input.text);
  } catch {
    return { reply: ['error'] };
  }
  const parsed = clientFrame.safeParse(raw);
  if (!parsed.success) {
    const action = typeof raw === 'object' && raw !== null ? Reflect.get(raw, 'action') : undefined;
    // Staff actions are routed to the staff function, which must refuse a widget connection with an error frame too.
    return { reply: typeof action === 'string' && action === 'staffPing' ? ['error', 'pong'] : ['error'] };
  }
  switch (parsed.data.action) {
    case 'hello':
    case 'newConversation':
      return { reply: ['session', 'error'] };
    case 'sendMessage':
      return { reply: ['ack', 'error'] };
    case 'ping':
      return { reply: ['pong'] };
    case 'customerTyping':
      return {}; // relayed to staff only; nothing comes back
    case 'feedback':
    case 'markRead':
      return { reply: ['error'] }; // a random conversation id is never the connection's own
  }
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

const describeWs = (input: WsInput): string =>
  input.kind === 'text' ? `text ${JSON.stringify(input.text.length > 300 ? `${input.text.slice(0, 200)}…(${input.text.length} chars)` : input.text)}` : `${input.kind} ${Buffer.from(input.bytes).toString('hex').slice(0, 200)}`;

const DEFAULT_FRAME_TIMEOUT_MS = 45_000;

/** Fuzzes the widget's WebSocket actions on a connection of `widgetKey`, reconnecting whenever the protocol closes one. */
export async function fuzzWebSocket(cloud: FuzzTarget, widgetKey: string, origin: string, tally: FuzzTally, options: FuzzOptions = {}): Promise<void> {
  const keys = documentedKeys();
  const numRuns = Math.max(1, Math.round(options.wsRuns ?? 320 * FUZZ_SCALE));
  const FRAME_TIMEOUT_MS = options.frameTimeoutMs ?? DEFAULT_FRAME_TIMEOUT_MS;
  const url = (): string => `${cloud.urls.ws}?key=${encodeURIComponent(widgetKey)}&visitor=${randomBytes(16).toString('hex')}`;
  let socket: FuzzSocket | undefined;
  let used = 0;
  const fresh = async (): Promise<FuzzSocket> => {
    await socket?.close();
    const s = await FuzzSocket.open(url(), origin);
    s.send(JSON.stringify({ action: 'hello', lang: 'en' }), false);
    await s.waitFor(0, (f) => typeOf(f) === 'session', FRAME_TIMEOUT_MS);
    used = 0;
    socket = s;
    return s;
  };
  const all: FuzzSocket[] = [];
  try {
    await fc.check(
      fc.asyncProperty(wsInputs(keys), async (input) => {
        const action = input.kind === 'text' ? actionOf(input.text) : undefined;
        const target = `ws ${action ?? `(${input.kind})`}`;
        tally.count(target);
        // A fresh connection now and then keeps the per-connection message budget (rate limit) from answering everything.
        const s = socket && socket.open && used < 12 ? socket : await fresh();
        if (!all.includes(s)) all.push(s);
        used++;
        const fail = (problem: string, serverError: boolean): boolean => {
          tally.fail({ target, input: describeWs(input), problem }, serverError);
          return true;
        };
        const from = s.frames.length;
        const expected = expectationOf(input);
        if (input.kind === 'text') s.send(input.text, false);
        else s.send(Buffer.from(input.bytes), input.kind === 'binary');

        if (expected.close !== undefined) {
          const outcome = await s.waitFor(from, isInternal, FRAME_TIMEOUT_MS);
          if (outcome !== 'closed') return fail(`expected close ${expected.close}, got ${outcome === 'timeout' ? 'no close' : JSON.stringify(outcome)}`, outcome !== 'timeout');
          if (s.closed?.code !== expected.close) return fail(`closed with ${s.closed?.code ?? '?'} instead of ${expected.close}`, false);
        } else if (expected.reply) {
          const wanted = expected.reply;
          const outcome = await s.waitFor(from, (f) => isInternal(f) || wanted.includes(String(typeOf(f))), FRAME_TIMEOUT_MS);
          if (outcome === 'timeout') return fail(`no ${wanted.join(' / ')} frame`, true);
          if (outcome === 'closed') return fail(`connection closed (${s.closed?.code ?? '?'}) instead of a ${wanted.join(' / ')} frame`, true);
          if (isInternal(outcome)) return fail(`server error frame: ${JSON.stringify(outcome)}`, true);
        }
        // The server (and, unless the protocol closed it, this connection) still answers a ping.
        const probe = s.open ? s : await fresh();
        const mark = probe.frames.length;
        probe.send(JSON.stringify({ action: 'ping' }), false);
        const pong = await probe.waitFor(mark, (f) => typeOf(f) === 'pong', FRAME_TIMEOUT_MS);
        if (pong === 'timeout' || pong === 'closed') return fail(`no pong after the input (${String(pong)})`, true);
        return true;
      }),
      { seed: options.seed ?? FUZZ_SEED, numRuns, endOnFailure: true },
    );
  } finally {
    await socket?.close();
  }
  // Frames that arrived late (answers finish after the ping) must not hide a server error either.
  for (const s of all)
    for (const f of s.frames) if (isInternal(f)) tally.fail({ target: 'ws (late frame)', input: '(see frame)', problem: `server error frame: ${JSON.stringify(f)}` }, true);
}

function actionOf(text: string): string | undefined {
  try {
    const raw: unknown = JSON.parse(text);
    const action = typeof raw === 'object' && raw !== null ? Reflect.get(raw, 'action') : undefined;
    return typeof action === 'string' && [...wsRoutes.map((r) => r.route)].includes(action) ? action : typeof raw === 'object' && raw !== null ? '(other action)' : '(not an object)';
  } catch {
    return '(not JSON)';
  }
}

/**
 * Runs both fuzzers against a running local cloud: REST as the demo tenant's admin, WebSocket on `widget`
 * (a tenant of its own, so REST inputs that change the demo tenant's widget settings cannot close its door).
 */
export async function runFuzz(
  cloud: FuzzTarget,
  auth: { readonly adminToken: string; readonly widgetKey: string; readonly origin: string },
  options: FuzzOptions = {},
): Promise<FuzzTally> {
  const tally = new FuzzTally();
  const log = options.log ?? ((line: string) => console.log(line));
  log(`fuzz seed ${options.seed ?? FUZZ_SEED} (FUZZ_SEED), scale ${FUZZ_SCALE} (FUZZ_SCALE)`);
  await fuzzWebSocket(cloud, auth.widgetKey, auth.origin, tally, options);
  await fuzzRest(cloud, auth.adminToken, tally, options);
  const statuses = [...tally.statuses.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ');
  log(`fuzz: ${tally.inputs} inputs, ${tally.fiveXx} server errors, ${tally.failures.length} failures; REST statuses ${statuses}`);
  return tally;
}
