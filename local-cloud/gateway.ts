/**
 * The local API gateway: REST routes and a WebSocket API from the declaration,
 * turning HTTP requests and frames into API Gateway–shaped events for the same
 * handler modules; the `@connections` management API (so PostToConnection works
 * unchanged with an endpoint override); the AWS JSON protocol endpoint that the
 * local bus and workflow runner answer; and static files.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { z } from 'zod';
import { corsAllowHeaders, gatewayErrorBody, restAuthorizer, restRoutes, wsAuthorizer, wsRoutes, type FunctionName, type RestRouteDecl } from '../lib/declaration';

/** API Gateway's limits that the gateway enforces like AWS does. */
export const LIMITS = { wsFrameBytes: 128 * 1024, restBodyBytes: 10 * 1024 * 1024, wsIdleMs: 10 * 60 * 1000 } as const;

export interface AwsJsonResult {
  readonly status: number;
  readonly body: unknown;
}

export interface GatewayOptions {
  readonly port: number;
  readonly invoke: (fn: FunctionName, event: unknown) => Promise<unknown>;
  /** X-Amz-Target prefix (e.g. `AWSEvents`) → the local service answering it. */
  readonly awsJson: Readonly<Record<string, (target: string, body: unknown) => Promise<AwsJsonResult>>>;
  /** URL prefix → folder of static files, or a function producing a dynamic body. */
  readonly statics: readonly StaticMount[];
  /** URL prefix → a page answering any method itself (the local checkout page). */
  readonly pages?: readonly PageMount[];
  readonly log: (line: string) => void;
  /** @default LIMITS.wsIdleMs */
  readonly wsIdleMs?: number;
}

/** A dynamic page under a path prefix, answering its own methods (forms post to it). */
export interface PageMount {
  readonly prefix: string;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}

export type StaticMount =
  | { readonly prefix: string; readonly dir: string; readonly fallback?: string }
  | { readonly path: string; readonly contentType: string; readonly body: () => string };

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

interface CompiledRoute {
  readonly route: RestRouteDecl;
  readonly regex: RegExp;
  readonly params: readonly string[];
}

function compile(route: RestRouteDecl): CompiledRoute {
  const params: string[] = [];
  const pattern = route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([A-Za-z0-9_]+)\}/g, (_m, name: string) => {
    params.push(name);
    return '([^/]+)';
  });
  return { route, regex: new RegExp(`^${pattern}$`), params };
}

const authorizerResult = z.object({
  principalId: z.string(),
  policyDocument: z.object({ Statement: z.array(z.object({ Effect: z.enum(['Allow', 'Deny']) })).min(1) }),
  context: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});

type AuthDecision = { ok: true; context: Record<string, string> } | { ok: false; status: 401 | 403 | 500 };

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > limit) return undefined;
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (typeof v === 'string') out[k] = v;
    else if (Array.isArray(v)) out[k] = v.join(',');
  }
  // API Gateway passes headers with their original case; handlers must cope with both.
  if (out['origin']) out['Origin'] = out['origin'];
  if (out['authorization']) out['Authorization'] = out['authorization'];
  return out;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'access-control-allow-origin': '*', ...headers });
  res.end(JSON.stringify(body));
  // With `connection: close` the request body may be half read: make sure the socket goes, not the next request.
  if (headers['connection'] === 'close') res.once('finish', () => res.req?.destroy());
}

/** API Gateway–style connection ids: 16 base64 characters. */
function newConnectionId(): string {
  return randomBytes(12).toString('base64').replace(/\//g, '_').replace(/\+/g, '-');
}

interface LiveConnection {
  readonly socket: WebSocket;
  readonly connectedAt: number;
  readonly authorizer: Record<string, string>;
  readonly sourceIp: string;
  lastActiveAt: number;
}

export class LocalGateway {
  private server: Server | undefined;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: LIMITS.wsFrameBytes });
  private readonly routes = restRoutes.map(compile);
  private readonly wsRouteMap = new Map(wsRoutes.map((r) => [r.route, r.fn] as const));
  readonly connections = new Map<string, LiveConnection>();
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly disconnecting = new Set<Promise<unknown>>();

  constructor(private readonly options: GatewayOptions) {}

  /** The REST routes this gateway serves: method, path, function, auth. */
  restRouteTable(): readonly { method: string; path: string; fn: FunctionName; auth: string }[] {
    return this.routes.map(({ route }) => ({ method: route.method, path: route.path, fn: route.fn, auth: route.auth }));
  }

  /** The WebSocket routes this gateway selects between: route key → function. */
  wsRouteTable(): readonly { route: string; fn: FunctionName }[] {
    return [...this.wsRouteMap.entries()].map(([route, fn]) => ({ route, fn }));
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('gateway not started');
    return `http://127.0.0.1:${address.port}`;
  }

  get wsUrl(): string {
    return `${this.url.replace(/^http/, 'ws')}/ws`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.options.log(`gateway error: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
        if (!res.headersSent) sendJson(res, 500, gatewayErrorBody('DEFAULT_5XX', 'Internal server error'));
        else res.end();
      });
    });
    server.on('upgrade', (req, socket, head) => {
      this.upgrade(req, socket, head).catch((error: unknown) => {
        this.options.log(`websocket upgrade error: ${error instanceof Error ? error.message : String(error)}`);
        socket.destroy();
      });
    });
    await new Promise<void>((resolvePromise, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, '127.0.0.1', () => resolvePromise());
    });
    this.server = server;
    const idleMs = this.options.wsIdleMs ?? LIMITS.wsIdleMs;
    this.idleTimer = setInterval(() => {
      const now = Date.now();
      for (const [, c] of this.connections) if (now - c.lastActiveAt > idleMs) c.socket.close(1001, 'Going away');
    }, Math.min(idleMs, 30_000));
    this.idleTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.idleTimer);
    for (const [, c] of this.connections) c.socket.terminate();
    // $disconnect handlers still running need the table, which stops after the gateway.
    await new Promise((r) => setImmediate(r));
    await Promise.allSettled([...this.disconnecting]);
    await new Promise<void>((r) => this.wss.close(() => r()));
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server?.closeAllConnections();
  }

  // ---- HTTP ------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    const method = (req.method ?? 'GET').toUpperCase();
    try {
      decodeURIComponent(url.pathname);
    } catch {
      // API Gateway, CloudFront and Amplify refuse a malformed percent-encoding before anything runs.
      return sendJson(res, 400, { error: { code: 'bad_request', message: 'the path has a malformed percent-encoding' } });
    }
    // The local EventBridge and Step Functions APIs: the AWS SDK posts to the endpoint's root, never to a route.
    const target = req.headers['x-amz-target'];
    if (method === 'POST' && typeof target === 'string' && url.pathname === '/') return this.awsJson(req, res, target);
    if (url.pathname.startsWith('/@connections/')) return this.management(req, res, decodeURIComponent(url.pathname.slice('/@connections/'.length)));
    if (url.pathname.startsWith('/v1/') || url.pathname === '/v1') return this.rest(req, res, url, method);
    const page = this.options.pages?.find((p) => url.pathname.startsWith(p.prefix));
    if (page) return page.handle(req, res, url);
    return this.static(req, res, url);
  }

  private async awsJson(req: IncomingMessage, res: ServerResponse, target: string): Promise<void> {
    const prefix = target.split('.')[0] ?? '';
    const service = this.options.awsJson[prefix];
    const raw = await readBody(req, LIMITS.restBodyBytes);
    let body: unknown;
    try {
      body = JSON.parse(raw?.toString('utf8') || '{}');
    } catch {
      return sendJson(res, 400, { __type: 'SerializationException', message: 'body is not JSON' });
    }
    if (!service) return sendJson(res, 400, { __type: 'UnknownOperationException', message: `no local service answers ${target}` });
    const out = await service(target, body);
    res.writeHead(out.status, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(JSON.stringify(out.body));
  }

  private async rest(req: IncomingMessage, res: ServerResponse, url: URL, method: string): Promise<void> {
    if (method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-origin': '*',
        'access-control-allow-headers': corsAllowHeaders.join(',').toLowerCase(),
        'access-control-allow-methods': 'GET,POST,PUT,PATCH,DELETE,OPTIONS',
        'access-control-max-age': '600',
      });
      return void res.end();
    }
    let matched: { route: RestRouteDecl; pathParameters: Record<string, string> } | undefined;
    for (const c of this.routes) {
      if (c.route.method !== method) continue;
      const m = c.regex.exec(url.pathname);
      if (!m) continue;
      const pathParameters: Record<string, string> = {};
      try {
        c.params.forEach((p, i) => {
          pathParameters[p] = decodeURIComponent(m[i + 1] ?? '');
        });
      } catch {
        // API Gateway refuses a malformed percent-encoding in the path before any function runs.
        return sendJson(res, 400, { error: { code: 'bad_request', message: 'the path has a malformed percent-encoding' } });
      }
      matched = { route: c.route, pathParameters };
      break;
    }
    // A path or method the API does not have: as the CDK stack's gateway response for it (lib/declaration.ts gatewayErrors).
    if (!matched) return sendJson(res, 404, gatewayErrorBody('MISSING_AUTHENTICATION_TOKEN', 'Missing Authentication Token'));
    const raw = await readBody(req, LIMITS.restBodyBytes);
    // The rest of an oversized body is never read: close the connection rather than leave it for the next request.
    if (!raw) return sendJson(res, 413, gatewayErrorBody('REQUEST_TOO_LARGE', 'Request Too Long'), { connection: 'close' });
    const headers = headersOf(req);
    const query = Object.fromEntries(url.searchParams.entries());
    const requestContext: Record<string, unknown> = {
      accountId: '000000000000',
      apiId: 'local',
      stage: 'local',
      httpMethod: method,
      resourcePath: matched.route.path,
      path: url.pathname,
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      identity: { sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? null },
    };
    if (matched.route.auth !== 'public') {
      const decision = await this.authorize(restAuthorizer.fn, {
        type: 'REQUEST',
        methodArn: `arn:aws:execute-api:local:000000000000:local/local/${method}${url.pathname}`,
        resource: matched.route.path,
        path: url.pathname,
        httpMethod: method,
        headers,
        queryStringParameters: query,
        pathParameters: matched.pathParameters,
        requestContext,
      });
      if (!decision.ok) {
        const type = decision.status === 401 ? 'UNAUTHORIZED' : decision.status === 403 ? 'ACCESS_DENIED' : 'DEFAULT_5XX';
        return sendJson(res, decision.status, gatewayErrorBody(type, 'Internal server error'));
      }
      requestContext['authorizer'] = decision.context;
    }
    const event = {
      resource: matched.route.path,
      path: url.pathname,
      httpMethod: method,
      headers,
      multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
      queryStringParameters: Object.keys(query).length > 0 ? query : null,
      multiValueQueryStringParameters: null,
      pathParameters: Object.keys(matched.pathParameters).length > 0 ? matched.pathParameters : null,
      stageVariables: null,
      requestContext,
      body: raw.length > 0 ? raw.toString('utf8') : null,
      isBase64Encoded: false,
    };
    let result: unknown;
    try {
      result = await this.options.invoke(matched.route.fn, event);
    } catch (error) {
      this.options.log(`${matched.route.fn} failed: ${error instanceof Error ? error.message : String(error)}`);
      return sendJson(res, 502, gatewayErrorBody('DEFAULT_5XX', 'Internal server error'));
    }
    const parsed = z
      .object({ statusCode: z.number().int(), headers: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(), body: z.string().optional() })
      .safeParse(result);
    if (!parsed.success) return sendJson(res, 502, gatewayErrorBody('DEFAULT_5XX', 'Internal server error'));
    const outHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(parsed.data.headers ?? {})) outHeaders[k] = String(v);
    res.writeHead(parsed.data.statusCode, outHeaders);
    res.end(parsed.data.body ?? '');
  }

  private async authorize(fn: FunctionName, event: unknown): Promise<AuthDecision> {
    let result: unknown;
    try {
      result = await this.options.invoke(fn, event);
    } catch (error) {
      // API Gateway: an authorizer that throws "Unauthorized" means 401; any other failure is a 500.
      return { ok: false, status: error instanceof Error && error.message === 'Unauthorized' ? 401 : 500 };
    }
    const parsed = authorizerResult.safeParse(result);
    if (!parsed.success) return { ok: false, status: 500 };
    if (parsed.data.policyDocument.Statement.some((s) => s.Effect === 'Deny')) return { ok: false, status: 403 };
    const context: Record<string, string> = { principalId: parsed.data.principalId };
    for (const [k, v] of Object.entries(parsed.data.context ?? {})) context[k] = String(v);
    return { ok: true, context };
  }

  // ---- WebSocket -----------------------------------------------------------------

  private wsRequestContext(connectionId: string, routeKey: string, eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT', extra: Record<string, unknown> = {}) {
    return {
      routeKey,
      eventType,
      connectionId,
      messageId: eventType === 'MESSAGE' ? randomBytes(8).toString('base64') : undefined,
      extendedRequestId: randomUUID(),
      requestTime: new Date().toUTCString(),
      messageDirection: 'IN',
      stage: 'local',
      connectedAt: this.connections.get(connectionId)?.connectedAt ?? Date.now(),
      requestTimeEpoch: Date.now(),
      requestId: randomUUID(),
      domainName: new URL(this.url).host,
      apiId: 'local-ws',
      ...extra,
    };
  }

  private async upgrade(req: IncomingMessage, socket: import('node:stream').Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    const refuse = (status: number, message: string): void => {
      socket.write(`HTTP/1.1 ${status} ${message}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${JSON.stringify({ message })}`);
      socket.destroy();
    };
    if (url.pathname !== '/ws') return refuse(404, 'Not Found');
    const headers = headersOf(req);
    const query = Object.fromEntries(url.searchParams.entries());
    const connectionId = newConnectionId();
    const sourceIp = req.socket.remoteAddress ?? '127.0.0.1';
    const missingIdentity = wsAuthorizer.identityQueryParams.some((p) => !query[p]);
    if (missingIdentity) return refuse(401, 'Unauthorized');
    const decision = await this.authorize(wsAuthorizer.fn, {
      type: 'REQUEST',
      methodArn: 'arn:aws:execute-api:local:000000000000:local-ws/local/$connect',
      headers,
      multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
      queryStringParameters: query,
      multiValueQueryStringParameters: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])),
      stageVariables: {},
      requestContext: this.wsRequestContext(connectionId, '$connect', 'CONNECT', { identity: { sourceIp } }),
    });
    if (!decision.ok) return refuse(decision.status, decision.status === 401 ? 'Unauthorized' : decision.status === 403 ? 'Forbidden' : 'Internal Server Error');
    const connectFn = this.wsRouteMap.get('$connect');
    if (connectFn) {
      try {
        const out = await this.options.invoke(connectFn, {
          headers,
          queryStringParameters: query,
          isBase64Encoded: false,
          requestContext: this.wsRequestContext(connectionId, '$connect', 'CONNECT', { authorizer: decision.context, identity: { sourceIp } }),
        });
        const status = z.object({ statusCode: z.number() }).safeParse(out).data?.statusCode ?? 200;
        if (status < 200 || status > 299) return refuse(status, 'Connection refused');
      } catch (error) {
        this.options.log(`$connect failed: ${error instanceof Error ? error.message : String(error)}`);
        return refuse(500, 'Internal Server Error');
      }
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const live: LiveConnection = { socket: ws, connectedAt: Date.now(), authorizer: decision.context, sourceIp, lastActiveAt: Date.now() };
      this.connections.set(connectionId, live);
      ws.on('message', (data, isBinary) => {
        live.lastActiveAt = Date.now();
        const body = isBinary ? Buffer.from(data as Buffer).toString('base64') : String(data);
        void this.onFrame(connectionId, live, body, isBinary);
      });
      ws.on('close', () => {
        this.connections.delete(connectionId);
        const disconnectFn = this.wsRouteMap.get('$disconnect');
        if (disconnectFn) {
          const pending = this.options
            .invoke(disconnectFn, {
              headers,
              isBase64Encoded: false,
              requestContext: this.wsRequestContext(connectionId, '$disconnect', 'DISCONNECT', {
                authorizer: live.authorizer,
                disconnectStatusCode: 1000,
                identity: { sourceIp },
              }),
            })
            .catch((error: unknown) => this.options.log(`$disconnect failed: ${error instanceof Error ? error.message : String(error)}`))
            .finally(() => this.disconnecting.delete(pending));
          this.disconnecting.add(pending);
        }
      });
      ws.on('error', () => ws.terminate());
    });
  }

  /** Route selection on `$request.body.action`, falling back to `$default`, as API Gateway does. */
  private async onFrame(connectionId: string, live: LiveConnection, body: string, isBinary: boolean): Promise<void> {
    let routeKey = '$default';
    try {
      const parsed: unknown = JSON.parse(body);
      const action = typeof parsed === 'object' && parsed !== null ? Reflect.get(parsed, 'action') : undefined;
      if (typeof action === 'string' && this.wsRouteMap.has(action) && !action.startsWith('$')) routeKey = action;
    } catch {
      // not JSON: $default decides what to tell the client
    }
    const fn = this.wsRouteMap.get(routeKey);
    if (!fn) return;
    try {
      await this.options.invoke(fn, {
        body,
        isBase64Encoded: isBinary,
        requestContext: this.wsRequestContext(connectionId, routeKey, 'MESSAGE', { authorizer: live.authorizer, identity: { sourceIp: live.sourceIp } }),
      });
    } catch (error) {
      this.options.log(`${fn} failed: ${error instanceof Error ? error.message : String(error)}`);
      // API Gateway tells the client the integration failed, with no detail.
      if (live.socket.readyState === WebSocket.OPEN) live.socket.send(JSON.stringify({ message: 'Internal server error', connectionId, requestId: randomUUID() }));
    }
  }

  /** The management API (`@connections`): POST sends, GET describes, DELETE disconnects; a gone connection is a 410 GoneException. */
  private async management(req: IncomingMessage, res: ServerResponse, connectionId: string): Promise<void> {
    const live = this.connections.get(connectionId);
    if (!live || live.socket.readyState !== WebSocket.OPEN) {
      await readBody(req, LIMITS.wsFrameBytes * 2);
      return sendJson(res, 410, { message: `connection ${connectionId} is gone` }, { 'x-amzn-errortype': 'GoneException' });
    }
    switch (req.method) {
      case 'POST': {
        const data = await readBody(req, LIMITS.wsFrameBytes);
        if (!data) return sendJson(res, 413, { message: 'Message too long' }, { 'x-amzn-errortype': 'PayloadTooLargeException', connection: 'close' });
        await new Promise<void>((resolvePromise, reject) => live.socket.send(data.toString('utf8'), (err) => (err ? reject(err) : resolvePromise())));
        res.writeHead(200);
        return void res.end();
      }
      case 'GET':
        return sendJson(res, 200, {
          ConnectedAt: new Date(live.connectedAt).toISOString(),
          LastActiveAt: new Date(live.lastActiveAt).toISOString(),
          Identity: { SourceIp: live.sourceIp },
        });
      case 'DELETE':
        live.socket.close(1000, 'Closed by the server');
        res.writeHead(204);
        return void res.end();
      default:
        return sendJson(res, 405, { message: 'Method not allowed' });
    }
  }

  // ---- static files ---------------------------------------------------------------

  private async static(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { message: 'Method not allowed' });
    const folder = this.options.statics.find((m) => 'prefix' in m && `${url.pathname}/` === m.prefix);
    if (folder) {
      res.writeHead(301, { location: `${url.pathname}/${url.search}` });
      return void res.end();
    }
    for (const mount of this.options.statics) {
      if ('path' in mount) {
        if (url.pathname === mount.path) {
          res.writeHead(200, { 'content-type': mount.contentType, 'cache-control': 'no-store', 'access-control-allow-origin': '*' });
          return void res.end(mount.body());
        }
        continue;
      }
      if (!url.pathname.startsWith(mount.prefix)) continue;
      const rel = normalize(decodeURIComponent(url.pathname.slice(mount.prefix.length))).replace(/^(\.\.[/\\])+/, '');
      const root = resolve(mount.dir);
      let file = resolve(join(root, rel));
      if (!file.startsWith(root)) return sendJson(res, 403, { message: 'Forbidden' });
      if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
      if (!existsSync(file) && mount.fallback) file = join(root, mount.fallback);
      if (!existsSync(file)) return sendJson(res, 404, { message: 'Not found' });
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'cache-control': 'no-cache',
        'access-control-allow-origin': '*',
        'x-content-type-options': 'nosniff',
      });
      if (req.method === 'HEAD') return void res.end();
      createReadStream(file).pipe(res);
      return;
    }
    sendJson(res, 404, { message: 'Not found' });
  }
}
