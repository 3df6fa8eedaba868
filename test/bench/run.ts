/**
 * `npm run bench`: measures size and speed, prints a table and writes a flat
 * JSON object (metric → number) to bench-results/latest.json. Metric names are
 * documented in the README. Nothing here asserts: the figures are reported.
 */
import '../../local-cloud/polyfills';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import WebSocket, { WebSocketServer } from 'ws';
import { z } from 'zod';
import { functions } from '../../lib/declaration';
import { UNBUNDLED_PACKAGES } from '../../lib/constructs/concierge-function';
import { startLocalCloud } from '../../local-cloud/index';
import { knowledgeStore, store } from '../../lambdas/adapters/container';
import { provisionTenant } from '../../lambdas/core/knowledge';
import { knowledgeBaseSchema } from '../../lambdas/core/knowledge-base';
import { IntentClassifier } from '../../lambdas/core/nlu/intents';
import { classifierOf } from '../../lambdas/core/nlu/index';
import type { TenantCatalogue } from '../../lambdas/core/nlu/catalogue';
import { newWidgetKey } from '../../lambdas/core/widget-key';
import { buildWidget } from '../../widget/build';
import { clinc150Bench } from '../eval/clinc150';
import { bookingRaceBench } from './booking';
import { knowledgeWritesBench, knowledgeWritesNotes } from './knowledge';
import { retrievalBench } from './retrieval';
import { scalingBench, scalingNotes } from './scaling';
import { soakBench } from './soak';
import { securityBench } from './security';
import { percentile } from './stats';

const ROOT = resolve(__dirname, '..', '..');
const results: Record<string, number> = {};
const notes: Record<string, string> = {};

function record(name: string, value: number, note = ''): void {
  results[name] = value;
  if (note) notes[name] = note;
}

/** Bundles like the CDK stack does (esbuild, node22, cjs, minified, AWS SDK v3 included). */
async function bundle(entry: string, outfile: string): Promise<void> {
  await build({
    // As the stack: these are copied beside the bundles that use them, never inlined (concierge-function.ts).
    external: [...UNBUNDLED_PACKAGES],
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    // As deployed (lib/constructs/concierge-function.ts): the AWS SDK is bundled, pinned to our versions.
    logLevel: 'silent',
  });
}

/** Module-init time of a bundle in a fresh Node process (median of runs). */
function initMs(file: string, runs = 5): number {
  const script = `const t=performance.now();require(${JSON.stringify(file)});process.stdout.write(String(performance.now()-t));`;
  const env = {
    ...process.env,
    NODE_PATH: join(ROOT, 'node_modules'),
    TABLE_NAME: 'bench',
    EVENT_BUS_NAME: 'bench',
    WS_MANAGEMENT_ENDPOINT: 'https://example.execute-api.us-east-1.amazonaws.com/prod',
    USER_POOL_ID: 'us-east-1_bench',
    USER_POOL_CLIENT_ID: 'bench',
    STATE_MACHINE_ARNS: '{}',
    AWS_REGION: 'us-east-1',
    POWERTOOLS_TRACE_ENABLED: 'false',
  };
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(Number(execFileSync(process.execPath, ['-e', script], { env, cwd: ROOT }).toString()));
  return percentile(times, 50);
}

async function handlers(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'concierge-bench-'));
  try {
    let maxBytes = 0;
    let maxInit = 0;
    let slowest = '';
    let largest = '';
    for (const [name, fn] of Object.entries(functions)) {
      const out = join(dir, `${name}.js`);
      await bundle(join(ROOT, fn.entry), out);
      const bytes = statSync(out).size;
      const ms = initMs(out);
      record(`handler_${name}_bundle_bytes`, bytes);
      record(`handler_${name}_init_ms`, ms);
      if (bytes > maxBytes) [maxBytes, largest] = [bytes, name];
      if (ms > maxInit) [maxInit, slowest] = [ms, name];
    }
    const empty = join(dir, 'empty.ts');
    writeFileSync(empty, 'export const handler = async (): Promise<{ statusCode: number }> => ({ statusCode: 200 });\n');
    await bundle(empty, join(dir, 'empty.js'));
    record('handler_bundle_bytes_max', maxBytes, largest);
    record('handler_init_ms_max', maxInit, slowest);
    record('empty_handler_init_ms', initMs(join(dir, 'empty.js')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Rtt {
  readonly rtts: number[];
  /** No reply and no error within 30 s. */
  readonly lost: number;
  /** An error frame instead of a reply. */
  readonly errors: number;
  /** Error frames by their `code`. */
  readonly errorCodes: Readonly<Record<string, number>>;
}

/** `customers` clients each sending `perCustomer` messages in turn, timing send → final reply. */
async function chatRtt(url: string, origin: string, customers: number, perCustomer: number, isReply: (frame: unknown, clientId: string) => boolean, hello?: unknown): Promise<Rtt> {
  const rtts: number[] = [];
  let lost = 0;
  let errors = 0;
  const errorCodes: Record<string, number> = {};
  await Promise.all(
    Array.from({ length: customers }, async () => {
      const visitor = randomBytes(16).toString('hex');
      const ws = new WebSocket(url.replace('%VISITOR%', visitor), { headers: { Origin: origin } });
      await new Promise<void>((res, rej) => {
        ws.once('open', () => res());
        ws.once('error', rej);
      });
      let waiting: { clientId: string; resolve: (outcome: 'reply' | 'error') => void } | undefined;
      ws.on('message', (data) => {
        const frame: unknown = JSON.parse(String(data));
        if (!waiting) return;
        if (isReply(frame, waiting.clientId)) waiting.resolve('reply');
        else if (typeof frame === 'object' && frame !== null && Reflect.get(frame, 'type') === 'error') {
          const code = String(Reflect.get(frame, 'code'));
          errorCodes[code] = (errorCodes[code] ?? 0) + 1;
          waiting.resolve('error');
        }
      });
      if (hello) {
        const ready = new Promise<void>((res) => {
          waiting = { clientId: '', resolve: () => res() };
        });
        ws.send(JSON.stringify(hello));
        await ready;
      }
      for (let i = 0; i < perCustomer; i++) {
        const clientId = randomBytes(9).toString('base64url');
        const started = performance.now();
        const replied = new Promise<'reply' | 'error' | 'lost'>((res) => {
          const timer = setTimeout(() => res('lost'), 30_000);
          waiting = {
            clientId,
            resolve: (outcome) => {
              clearTimeout(timer);
              res(outcome);
            },
          };
        });
        ws.send(JSON.stringify({ action: 'sendMessage', clientId, text: i % 2 === 0 ? 'do you have parking?' : 'what time do you open on saturday?' }));
        const outcome = await replied;
        if (outcome === 'reply') rtts.push(performance.now() - started);
        else if (outcome === 'error') errors++;
        else lost++;
      }
      ws.close();
    }),
  );
  return { rtts, lost, errors, errorCodes };
}

async function echoServer(): Promise<{ url: string; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  wss.on('connection', (ws) =>
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { clientId?: string; action?: string };
      ws.send(JSON.stringify({ type: frame.action === 'hello' ? 'session' : 'message', role: 'bot', clientId: frame.clientId ?? '' }));
    }),
  );
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const port = (wss.address() as AddressInfo).port;
  return { url: `ws://127.0.0.1:${port}/?v=%VISITOR%`, close: () => new Promise((r) => wss.close(() => r())) };
}

async function websocket(): Promise<void> {
  // 200 concurrent customers × 20 messages each (4,000 round trips).
  const customers = Number(process.env['BENCH_CUSTOMERS'] ?? 200);
  const perCustomer = Number(process.env['BENCH_MESSAGES_PER_CUSTOMER'] ?? 20);
  const cloud = await startLocalCloud({ quiet: true });
  try {
    const origin = new URL(cloud.urls.demoSite).origin;
    // A tenant of its own whose rate limits a scripted load cannot hit: this measures the path, not the limiter.
    const kb = await store().getKnowledgeBase(cloud.demo.tenantId);
    if (!kb) throw new Error('demo knowledge base missing');
    const widgetKey = newWidgetKey('bench');
    await provisionTenant(knowledgeStore(), { tenantId: 'bench', widgetKey, allowedOrigins: [origin], kb });
    const profile = await store().getProfile('bench');
    if (!profile) throw new Error('bench tenant missing');
    const unlimited = { ratePerSecond: 100_000, burst: 100_000 };
    await store().putProfile({ ...profile, limits: { perConnection: unlimited, perAddress: unlimited, perTenant: unlimited } });
    // The bot's reply follows the customer's message; the customer message echo carries the clientId.
    const acked = new Set<string>();
    const isBotReply = (frame: unknown, clientId: string): boolean => {
      if (typeof frame !== 'object' || frame === null) return false;
      const type = Reflect.get(frame, 'type');
      if (type === 'session' && clientId === '') return true;
      if (type === 'ack') acked.add(String(Reflect.get(frame, 'clientId')));
      return type === 'message' && Reflect.get(frame, 'role') === 'bot' && acked.has(clientId);
    };
    const url = `${cloud.urls.ws}?key=${widgetKey}&visitor=%VISITOR%`;
    // One customer alone first: the path's own latency, without queueing behind 199 others.
    const alone = await chatRtt(url, origin, 1, perCustomer, isBotReply, { action: 'hello' });
    record('ws_rtt_single_customer_p50_ms', percentile(alone.rtts, 50), 'one customer, nothing else running');
    const startedAt = performance.now();
    const chat = await chatRtt(url, origin, customers, perCustomer, isBotReply, { action: 'hello' });
    const seconds = (performance.now() - startedAt) / 1000;
    record('ws_messages', customers * perCustomer);
    // Every handler of the local cloud shares one Node process (2 cores here); in AWS each Lambda
    // invocation has its own. Under load the round trip is mostly the queue: messages / throughput.
    record('ws_answers_per_second', Math.round((chat.rtts.length / seconds) * 10) / 10, 'local cloud: all handlers in one process');
    record('ws_rtt_p50_ms', percentile(chat.rtts, 50));
    record('ws_rtt_p99_ms', percentile(chat.rtts, 99));
    record('messages_lost', chat.lost);
    record('ws_error_replies', chat.errors);
    if (chat.errors > 0) console.log(`error frames by code: ${JSON.stringify(chat.errorCodes)}`);
    const rss = process.memoryUsage().rss;
    record('local_cloud_rss_mb', Math.round(rss / 1024 / 1024));
  } finally {
    await cloud.stop();
  }
  const echo = await echoServer();
  try {
    const isEcho = (frame: unknown, clientId: string): boolean =>
      typeof frame === 'object' && frame !== null && (Reflect.get(frame, 'clientId') === clientId || (clientId === '' && Reflect.get(frame, 'type') === 'session'));
    const raw = await chatRtt(echo.url, 'http://127.0.0.1', customers, perCustomer, isEcho, { action: 'hello' });
    record('ws_echo_p50_ms', percentile(raw.rtts, 50));
    record('ws_echo_p99_ms', percentile(raw.rtts, 99));
    const p50 = results['ws_rtt_p50_ms'] ?? Number.NaN;
    record('ws_rtt_p50_ratio_to_echo', Math.round((p50 / Math.max(percentile(raw.rtts, 50), 0.01)) * 10) / 10);
  } finally {
    await echo.close();
  }
}

async function widget(): Promise<void> {
  const sizes = await buildWidget();
  // Peers, measured from their npm packages (gzip -9): loader then app.
  record('widget_loader_gzip_bytes', sizes.loaderGzipBytes, 'peers: Intercom 2.4 KB, Crisp 4.8 KB');
  record('widget_ui_gzip_bytes', sizes.uiGzipBytes, 'peers: Intercom 300-600 KB, Crisp ~232 KB, Botpress 234 KB + React, chatscope 39 KB + React, Chatwoot ~170 KiB');
}

/** Sections that start a local cloud. */
const CLOUD_SECTIONS: ReadonlySet<string> = new Set(['websocket', 'booking', 'soak', 'security', 'scaling', 'knowledge']);
/** Set for a child process: where it writes its figures instead of printing them. */
const CHILD_OUT_ENV = 'CONCIERGE_BENCH_CHILD_OUT';

const childFigures = z.object({ results: z.record(z.string(), z.number()), notes: z.record(z.string(), z.string()) });

/** Runs one section in a fresh process (same Node flags, so the TypeScript loader too) and records its figures here. */
function runInChild(section: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'concierge-bench-child-'));
  const out = join(dir, 'figures.json');
  try {
    execFileSync(process.execPath, [...process.execArgv, __filename, section], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, [CHILD_OUT_ENV]: out } });
    const figures = childFigures.parse(JSON.parse(readFileSync(out, 'utf8')));
    for (const [metric, value] of Object.entries(figures.results)) record(metric, value, figures.notes[metric] ?? '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const sections: Record<string, () => Promise<void>> = {
    widget,
    handlers,
    websocket,
    retrieval: async () => {
      for (const [k, v] of Object.entries(await retrievalBench())) record(k, v);
    },
    intents: async () => {
      // The production classifier, trained per tenant on its FAQ questions at cold start.
      const kb = knowledgeBaseSchema.parse(JSON.parse(readFileSync(join(ROOT, 'local-cloud/seed/demo-kb.json'), 'utf8')));
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        IntentClassifier.train(kb.faqs.map((f) => f.question));
        times.push(performance.now() - started);
      }
      record('intent_classifier_train_ms', Math.round(percentile(times, 50)), 'demo tenant, median of 5; at cold start and when the FAQ questions change');
      const questions = kb.faqs.map((f) => f.question);
      const large = Array.from({ length: 2000 }, (_, i) => `${questions[i % questions.length] ?? ''} (${i})`);
      const startedLarge = performance.now();
      IntentClassifier.train(large);
      record('intent_classifier_train_2000_faqs_ms', Math.round(performance.now() - startedLarge), 'a tenant with 2,000 FAQ questions, once');
      // An edit that leaves the questions alone (an answer, a document): a new catalogue version, the same model.
      const catalogue = (version: number): TenantCatalogue => ({ version, business: kb.business, hours: kb.hours, services: kb.services, staff: kb.staff, faqQuestions: [...questions] });
      classifierOf(catalogue(1));
      const reuse: number[] = [];
      for (let v = 2; v < 22; v++) {
        const started = performance.now();
        classifierOf(catalogue(v));
        reuse.push(performance.now() - started);
      }
      record('intent_classifier_after_answer_edit_ms', Math.round(percentile(reuse, 50) * 100) / 100, 'next message after an edit that keeps the questions: the model is reused (median of 20)');
      for (const [k, v] of Object.entries(await clinc150Bench())) record(k, v);
    },
    booking: async () => {
      for (const [k, v] of Object.entries(await bookingRaceBench())) record(k, v);
    },
    soak: async () => {
      for (const [k, v] of Object.entries(await soakBench())) record(k, v);
    },
    security: async () => {
      for (const [k, v] of Object.entries(await securityBench())) record(k, v, k === 'injection_unescaped_markup' ? 'stored reply + SMS/WhatsApp/Messenger renders; widget/admin use text nodes (test/e2e/widget.e2e.test.ts)' : '');
    },
    scaling: async () => {
      for (const [k, v] of Object.entries(await scalingBench())) record(k, v, scalingNotes[k]);
    },
    knowledge: async () => {
      for (const [k, v] of Object.entries(await knowledgeWritesBench())) record(k, v, knowledgeWritesNotes[k]);
    },
  };
  const chosen = Object.entries(sections).filter(([name]) => only.length === 0 || only.includes(name));
  // One local cloud per process, as one Lambda container serves one environment: the handlers' clients and
  // caches are module state bound to the first cloud's endpoints. With several cloud sections, each runs in a
  // child process of its own and hands its figures back here.
  const inChild = chosen.filter(([name]) => CLOUD_SECTIONS.has(name)).length > 1;
  for (const [name, run] of chosen) {
    if (!process.env[CHILD_OUT_ENV]) process.stderr.write(`• ${name}…\n`);
    if (inChild && CLOUD_SECTIONS.has(name)) runInChild(name);
    else await run();
  }
  const childOut = process.env[CHILD_OUT_ENV];
  if (childOut) {
    writeFileSync(childOut, JSON.stringify({ results, notes }));
    return;
  }
  const rows = Object.entries(results).map(([metric, value]) => ({ metric, value, note: notes[metric] ?? '' }));
  console.table(rows);
  const outDir = join(ROOT, 'bench-results');
  mkdirSync(outDir, { recursive: true });
  // Merge: sections run separately (`npm run bench booking`, `npm run cost`, the fuzz run) keep each other's figures.
  const latest = join(outDir, 'latest.json');
  let previous: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(readFileSync(latest, 'utf8'));
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) previous = parsed as Record<string, unknown>;
  } catch {
    // first run, or an unreadable file: start afresh
  }
  writeFileSync(latest, `${JSON.stringify({ ...previous, ...results }, null, 2)}\n`);
  console.log(`written to bench-results/latest.json`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
