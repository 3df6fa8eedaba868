/**
 * The tenant isolation matrix, shared by test/integration/auth-matrix.test.ts (which asserts every case)
 * and `npm run bench security` (which counts them). Every case goes through the local gateway, the real
 * authorizers (local Cognito tokens, widget keys and origins) and the real handlers.
 *
 * | caller                                        | expected                                                      |
 * |-----------------------------------------------|---------------------------------------------------------------|
 * | no token (every staff REST route)             | 401                                                           |
 * | expired token, validly signed                 | 401                                                           |
 * | another tenant's admin                        | never tenant A's data: 404 for A's ids, 400 for empty bodies, |
 * |                                               | their own (empty) lists otherwise; nothing of A changes       |
 * | an agent on an admin-only route               | 403                                                           |
 * | staff WebSocket: no / garbage / expired token | refused at $connect with 401                                  |
 * | tenant B's staff socket with A's ids          | `staffWatch` / `staffTyping` → `no_conversation`, no A frames |
 * | tenant B's widget key with A's ids            | `hello` starts B's own conversation; `feedback` / `markRead`  |
 * |                                               | refused; nothing of A is replayed                             |
 * | a widget key from the other tenant's origin   | refused at $connect with 403                                  |
 *
 * Tenancy always comes from the token or the widget key, so another tenant cannot even learn whether
 * one of A's ids exists (404, like an id that never existed), rather than a 403 that would confirm it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { handoffStore, knowledgeStore, store } from '../../lambdas/adapters/container';
import { provisionTenant } from '../../lambdas/core/knowledge';
import { knowledgeBaseSchema, type KnowledgeBase } from '../../lambdas/core/knowledge-base';
import type { ServerFrame } from '../../lambdas/core/protocol';
import { newWidgetKey } from '../../lambdas/core/widget-key';
import { restRoutes, type RestRouteDecl } from '../../lib/declaration';
import type { LocalCloud } from '../../local-cloud/index';
import { api, ensureStaff, expiredCopyOf, signIn, staffSocket } from './staff';
import { RefusedError, connect, wsUrl, type TestSocket } from './ws-client';

/** Tenant A: the seeded demo tenant, which holds the data every case tries to reach. */
export const TENANT_A = 'demo';
/** Tenant B: the caller from another business. */
export const TENANT_B = 'matrix-b';
const B_ADMIN = { email: 'owner@matrix-b.example', password: 'Matrix-B-Owner-2026!' };
/** Tenant B's only allowed widget origin (not the demo site's). */
const B_ORIGIN = 'https://matrix-b.example';

/** What the cases need: tenant A's ids and secrets, and the callers' credentials. */
export interface IsolationFixture {
  readonly cloud: LocalCloud;
  /** Text only tenant A has, in a customer message of A's conversation. */
  readonly marker: string;
  readonly conversationId: string;
  readonly followUpId: string;
  readonly documentId: string;
  readonly originA: string;
  readonly widgetKeyB: string;
  readonly tokens: { readonly adminA: string; readonly agentA: string; readonly adminB: string; readonly expired: string };
}

/**
 * Provisions tenant B (its own knowledge base, origin, widget key and admin), gives tenant A a
 * conversation waiting for a person with a marker only A has, and a follow-up task, and signs the
 * callers in.
 */
export async function prepareIsolation(cloud: LocalCloud): Promise<IsolationFixture> {
  const originA = new URL(cloud.urls.demoSite).origin;
  const demo: KnowledgeBase = knowledgeBaseSchema.parse(JSON.parse(readFileSync(join(__dirname, '..', '..', 'local-cloud', 'seed', 'demo-kb.json'), 'utf8')));
  const documentId = demo.documents[0]?.id ?? 'doc';
  const kbB: KnowledgeBase = {
    ...demo,
    business: { ...demo.business, name: 'Other Clinic', slug: 'other-clinic' },
    faqs: demo.faqs.filter((f) => f.id !== 'parking'),
    documents: [],
    staff: [],
  };
  const widgetKeyB = newWidgetKey(TENANT_B);
  await provisionTenant(knowledgeStore(), { tenantId: TENANT_B, widgetKey: widgetKeyB, allowedOrigins: [B_ORIGIN], kb: kbB });
  await ensureStaff(cloud, [{ email: B_ADMIN.email, password: B_ADMIN.password, tenantId: TENANT_B, groups: ['admin', 'agent'] }]);

  const marker = `matrix-marker-${randomBytes(6).toString('hex')}`;
  const socket = await connect(wsUrl(cloud.urls.ws, cloud.demo.widgetKey, randomBytes(16).toString('hex')), originA);
  socket.send({ action: 'hello', lang: 'en' });
  const conversationId = (await socket.next('session')).conversationId;
  socket.send({ action: 'sendMessage', clientId: randomBytes(9).toString('base64url'), text: `my reference is ${marker}` });
  await socket.next('message', (m) => m.role === 'bot', 30_000);
  socket.send({ action: 'sendMessage', clientId: randomBytes(9).toString('base64url'), text: 'I want to speak to a human' });
  await socket.next('state', (s) => s.mode === 'waiting_for_human', 30_000);
  await socket.close();
  const followUpId = randomBytes(12).toString('base64url');
  await handoffStore().putFollowUp(TENANT_A, { id: followUpId, conversationId, status: 'open', reason: marker, lang: 'en', createdAt: new Date().toISOString() });

  const adminA = await signIn(cloud, cloud.demo.staffEmail, cloud.demo.staffPassword);
  const tokens = {
    adminA,
    agentA: await signIn(cloud, 'agent@harbour-dental.example', 'Harbour-Agent-2026!'),
    adminB: await signIn(cloud, B_ADMIN.email, B_ADMIN.password),
    expired: expiredCopyOf(adminA),
  };
  return { cloud, marker, conversationId, followUpId, documentId, originA, widgetKeyB, tokens };
}

/** One check of the matrix: resolves with what went wrong, empty when isolation held. */
export interface IsolationCase {
  readonly name: string;
  readonly group: 'no-token' | 'expired' | 'other-tenant' | 'agent-on-admin' | 'websocket' | 'unchanged';
  check(fx: IsolationFixture): Promise<readonly string[]>;
}

/** Every staff (and admin) REST route of the declaration. */
export const staffRoutes: readonly RestRouteDecl[] = restRoutes.filter((r) => r.auth !== 'public');
/** The admin-only ones. */
export const adminRoutes: readonly RestRouteDecl[] = staffRoutes.filter((r) => r.auth === 'admin');
const label = (r: RestRouteDecl): string => `${r.method} ${r.path}`;

function pathOf(fx: IsolationFixture, route: RestRouteDecl): string {
  const values: Record<string, string> = { conversationId: fx.conversationId, followUpId: fx.followUpId, faqId: 'parking', documentId: fx.documentId };
  return route.path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(values[name] ?? 'unknown-id'));
}

const bodyOf = (route: RestRouteDecl): unknown => (route.method === 'PUT' || route.method === 'POST' || route.method === 'PATCH' ? {} : undefined);

/** Nothing that only tenant A has may appear in an answer to someone else. */
function leaksOf(fx: IsolationFixture, text: string): string[] {
  const secrets: Record<string, string> = {
    marker: fx.marker,
    conversationId: fx.conversationId,
    followUpId: fx.followUpId,
    businessName: 'Harbour Dental Studio',
    widgetKey: fx.cloud.demo.widgetKey,
  };
  return Object.entries(secrets)
    .filter(([, secret]) => text.includes(secret))
    .map(([what]) => `leaks tenant A's ${what}`);
}

function expectStatus(got: number, want: readonly number[]): string[] {
  return want.includes(got) ? [] : [`HTTP ${got}, expected ${want.join(' or ')}`];
}

function restCase(group: IsolationCase['group'], route: RestRouteDecl, name: string, token: (fx: IsolationFixture) => string | undefined, want: readonly number[]): IsolationCase {
  return {
    name: `${label(route)}: ${name}`,
    group,
    check: async (fx) => {
      const res = await api(fx.cloud, route.method, pathOf(fx, route), token(fx), bodyOf(route));
      return [...expectStatus(res.status, want), ...leaksOf(fx, res.text)];
    },
  };
}

/** Another tenant's admin: 404 (or 400) for A's ids, 400 for empty bodies, its own empty lists otherwise. */
function otherTenantWants(route: RestRouteDecl): readonly number[] {
  if (route.path.includes('{')) return [400, 404];
  if (bodyOf(route) !== undefined) return [400];
  return [200];
}

/** A refused upgrade with `status`, or the reason it was not. */
async function refused(open: () => Promise<TestSocket>, status: number): Promise<string[]> {
  try {
    const socket = await open();
    await socket.close();
    return [`$connect accepted, expected HTTP ${status}`];
  } catch (error) {
    if (error instanceof RefusedError) return error.status === status ? [] : [`$connect refused with HTTP ${error.status}, expected ${status}`];
    return [`$connect failed: ${error instanceof Error ? error.message : String(error)}`];
  }
}

/** Every frame a socket received, leak-checked. */
const frameLeaks = (fx: IsolationFixture, frames: readonly ServerFrame[]): string[] => leaksOf(fx, JSON.stringify(frames));

/** An error frame with `code` (after `send`), or the reason there was none. */
async function errorFrame(socket: TestSocket, code: string): Promise<string[]> {
  try {
    const frame = await socket.next('error', undefined, 15_000);
    return frame.code === code ? [] : [`error ${frame.code}, expected ${code}`];
  } catch {
    return [`no error frame (expected ${code}); got ${JSON.stringify(socket.frames.map((f) => f.type))}`];
  }
}

async function withSocket(socketOf: () => Promise<TestSocket>, use: (socket: TestSocket) => Promise<string[]>): Promise<string[]> {
  let socket: TestSocket;
  try {
    socket = await socketOf();
  } catch (error) {
    return [`could not connect: ${error instanceof Error ? error.message : String(error)}`];
  }
  try {
    return await use(socket);
  } finally {
    await socket.close();
  }
}

const widgetSocketB = (fx: IsolationFixture): Promise<TestSocket> => connect(wsUrl(fx.cloud.urls.ws, fx.widgetKeyB, randomBytes(16).toString('hex')), B_ORIGIN);

const websocketCases: readonly IsolationCase[] = [
  {
    name: 'staff $connect without a token → 401',
    group: 'websocket',
    check: (fx) => refused(() => connect(`${fx.cloud.urls.ws}?key=staff.`, 'http://127.0.0.1'), 401),
  },
  { name: 'staff $connect with a garbage token → 401', group: 'websocket', check: (fx) => refused(() => staffSocket(fx.cloud, 'garbage'), 401) },
  { name: 'staff $connect with an expired token → 401', group: 'websocket', check: (fx) => refused(() => staffSocket(fx.cloud, fx.tokens.expired), 401) },
  {
    // The control of the refusals below: A's own staff can connect, ping and watch A's conversation.
    name: "tenant A's agent connects, pings and may staffWatch A's own conversation",
    group: 'websocket',
    check: (fx) =>
      withSocket(
        () => staffSocket(fx.cloud, fx.tokens.agentA),
        async (socket) => {
          socket.send({ action: 'staffPing' });
          const problems: string[] = [];
          await socket.next('pong', undefined, 15_000).catch(() => problems.push('no pong'));
          socket.send({ action: 'staffWatch', conversationId: fx.conversationId });
          await socket.next('state', (s) => s.mode === 'waiting_for_human', 15_000).catch(() => problems.push('own staffWatch got no state frame'));
          return problems;
        },
      ),
  },
  {
    name: "tenant B's widget key from tenant A's origin → 403",
    group: 'websocket',
    check: (fx) => refused(() => connect(wsUrl(fx.cloud.urls.ws, fx.widgetKeyB, randomBytes(16).toString('hex')), fx.originA), 403),
  },
  {
    name: "tenant A's widget key from tenant B's origin → 403",
    group: 'websocket',
    check: (fx) => refused(() => connect(wsUrl(fx.cloud.urls.ws, fx.cloud.demo.widgetKey, randomBytes(16).toString('hex')), B_ORIGIN), 403),
  },
  {
    name: "tenant B's widget: hello with A's conversation id starts B's own conversation",
    group: 'websocket',
    check: (fx) =>
      withSocket(
        () => widgetSocketB(fx),
        async (socket) => {
          socket.send({ action: 'hello', conversationId: fx.conversationId, lastSeq: 0, lang: 'en' });
          const session = await socket.next('session', undefined, 15_000);
          const problems = session.conversationId === fx.conversationId ? ["resumed tenant A's conversation"] : [];
          return [...problems, ...frameLeaks(fx, socket.frames)];
        },
      ),
  },
  {
    name: "tenant B's widget: feedback and markRead on A's conversation → bad_request",
    group: 'websocket',
    check: (fx) =>
      withSocket(
        () => widgetSocketB(fx),
        async (socket) => {
          socket.send({ action: 'hello', lang: 'en' });
          await socket.next('session', undefined, 15_000);
          socket.send({ action: 'feedback', conversationId: fx.conversationId, seq: 2, helpful: false });
          const feedback = await errorFrame(socket, 'bad_request');
          socket.send({ action: 'markRead', conversationId: fx.conversationId, seq: 1 });
          const read = await errorFrame(socket, 'bad_request');
          return [...feedback.map((p) => `feedback: ${p}`), ...read.map((p) => `markRead: ${p}`), ...frameLeaks(fx, socket.frames)];
        },
      ),
  },
  {
    name: "tenant B's staff socket: staffWatch on A's conversation → no_conversation",
    group: 'websocket',
    check: (fx) =>
      withSocket(
        () => staffSocket(fx.cloud, fx.tokens.adminB),
        async (socket) => {
          socket.send({ action: 'staffWatch', conversationId: fx.conversationId });
          const problems = await errorFrame(socket, 'no_conversation');
          // A round trip after the refusal: any frame of A's conversation would have arrived by then.
          socket.send({ action: 'staffPing' });
          await socket.next('pong', undefined, 15_000).catch(() => problems.push('no pong'));
          if (socket.frames.some((f) => f.type === 'state' || f.type === 'message')) problems.push("received frames of tenant A's conversation");
          return [...problems, ...frameLeaks(fx, socket.frames)];
        },
      ),
  },
  {
    name: "tenant B's staff socket: staffTyping on A's conversation → no_conversation",
    group: 'websocket',
    check: (fx) =>
      withSocket(
        () => staffSocket(fx.cloud, fx.tokens.adminB),
        async (socket) => {
          socket.send({ action: 'staffTyping', conversationId: fx.conversationId, on: true });
          return [...(await errorFrame(socket, 'no_conversation')), ...frameLeaks(fx, socket.frames)];
        },
      ),
  },
  {
    name: "tenant B's admin: a well-formed reply to A's conversation → 404",
    group: 'other-tenant',
    check: async (fx) => {
      const res = await api(fx.cloud, 'POST', `/v1/admin/inbox/${fx.conversationId}/messages`, fx.tokens.adminB, { text: 'hijack attempt from tenant B' });
      return [...expectStatus(res.status, [404]), ...leaksOf(fx, res.text)];
    },
  },
];

/** Runs last: the matrix left tenant A exactly as it was, and A's own admin still sees it. */
export const tenantAUnchanged: IsolationCase = {
  name: 'left tenant A exactly as it was, and its own admin still sees it',
  group: 'unchanged',
  check: async (fx) => {
    const problems: string[] = [];
    const conversation = await store().getConversation(TENANT_A, fx.conversationId);
    if (conversation?.mode !== 'waiting_for_human') problems.push(`conversation mode ${conversation?.mode ?? 'missing'}`);
    if ((await handoffStore().getFollowUp(TENANT_A, fx.followUpId))?.status !== 'open') problems.push('follow-up no longer open');
    if (!(await store().getKnowledgeBase(TENANT_A))?.faqs.some((f) => f.id === 'parking')) problems.push('parking FAQ gone');
    const own = await api(fx.cloud, 'GET', `/v1/admin/inbox/${fx.conversationId}`, fx.tokens.adminA);
    if (own.status !== 200) problems.push(`own admin got HTTP ${own.status}`);
    if (!own.text.includes(fx.marker)) problems.push("own admin does not see A's marker");
    if (own.text.includes('hijack attempt')) problems.push("tenant B's reply reached A's conversation");
    return problems;
  },
};

/** Every case of the matrix, in the order they run ({@link tenantAUnchanged} last). */
export const isolationCases: readonly IsolationCase[] = [
  ...staffRoutes.map((r) => restCase('no-token', r, 'no token → 401', () => undefined, [401])),
  ...staffRoutes.map((r) => restCase('expired', r, 'expired token → 401', (fx) => fx.tokens.expired, [401])),
  ...staffRoutes.map((r) => restCase('other-tenant', r, "another tenant's admin sees nothing of tenant A", (fx) => fx.tokens.adminB, otherTenantWants(r))),
  ...adminRoutes.map((r) => restCase('agent-on-admin', r, 'an agent on an admin-only route → 403', (fx) => fx.tokens.agentA, [403])),
  ...websocketCases,
  tenantAUnchanged,
];

/** The figures of a run: how many checks, and a line for each one that failed. */
export interface IsolationReport {
  readonly checks: number;
  readonly failures: readonly string[];
}

/** Prepares the fixture on a started local cloud and runs every case in order. */
export async function runIsolationMatrix(cloud: LocalCloud, fixture?: IsolationFixture): Promise<IsolationReport> {
  const fx = fixture ?? (await prepareIsolation(cloud));
  const failures: string[] = [];
  for (const c of isolationCases) {
    const problems = await c.check(fx).catch((error: unknown) => [`threw ${error instanceof Error ? error.message : String(error)}`]);
    for (const p of problems) failures.push(`${c.name}: ${p}`);
  }
  return { checks: isolationCases.length, failures };
}
