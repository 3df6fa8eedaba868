/**
 * The fuzz harness itself, against local fake servers that misbehave on purpose: it must count a 5xx, a refusal
 * without a JSON reason and a server-error frame, and pass a well-behaved server.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { restRoutes } from '../../lib/declaration';
import { LIMITS } from '../../local-cloud/gateway';
import { clientFrame } from '../../lambdas/core/protocol';
import { FuzzTally, fuzzMetrics, fuzzRest, fuzzWebSocket } from './support';

let server: Server;
let wss: WebSocketServer;
let reply: { status: number; type: string; body: string } = { status: 200, type: 'application/json', body: '{}' };
let wsInternal = false;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(reply.status, { 'content-type': reply.type }).end(reply.body));
  });
  wss = new WebSocketServer({ server, maxPayload: LIMITS.wsFrameBytes });
  wss.on('connection', (ws) => {
    ws.on('error', () => ws.terminate());
    ws.on('message', (data) => {
      let action: unknown;
      try {
        const parsed = clientFrame.safeParse(JSON.parse(String(data)));
        action = parsed.success ? parsed.data.action : undefined;
      } catch {
        action = undefined;
      }
      if (action === 'ping') ws.send(JSON.stringify({ type: 'pong' }));
      else if (action === 'hello') ws.send(JSON.stringify({ type: 'session', conversationId: 'c', mode: 'bot', lastSeq: 0 }));
      else ws.send(JSON.stringify(wsInternal ? { type: 'error', code: 'internal', message: 'boom' } : { type: 'error', code: 'bad_request', message: 'no' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  wss.close();
  await new Promise((resolve) => server.close(resolve));
});

const target = () => ({ urls: { rest: base, ws: `${base.replace('http', 'ws')}/ws` }, env: {} });
const health = restRoutes.filter((r) => r.path === '/v1/health' || r.path === '/v1/webhooks/stripe/{tenantId}');

describe('the fuzz harness', () => {
  it('counts every 5xx as a server error', async () => {
    reply = { status: 500, type: 'application/json', body: '{"message":"Internal server error"}' };
    const tally = new FuzzTally();
    await fuzzRest(target(), 'token', tally, { routes: health, restRunsPerRoute: 5, seed: 1 });
    expect(fuzzMetrics(tally)).toEqual({ fuzz_inputs: 10, fuzz_5xx: 10 });
    expect(tally.failures[0]?.problem).toContain('HTTP 500');
  });

  it('flags a refusal without a JSON reason, but not as a server error', async () => {
    reply = { status: 400, type: 'text/plain', body: 'nope' };
    const tally = new FuzzTally();
    await fuzzRest(target(), 'token', tally, { routes: health, restRunsPerRoute: 3, seed: 2 });
    expect(tally.fiveXx).toBe(0);
    expect(tally.failures.map((f) => f.problem)).toEqual(Array(6).fill('HTTP 400 without a JSON body: nope'));
  });

  it('passes JSON refusals naming a reason', async () => {
    reply = { status: 400, type: 'application/json', body: '{"error":{"code":"bad_request","message":"text: must not be empty"}}' };
    const tally = new FuzzTally();
    await fuzzRest(target(), 'token', tally, { routes: health, restRunsPerRoute: 3, seed: 3 });
    expect(tally.failures).toEqual([]);
    expect(tally.statuses.get(400)).toBe(6);
  });

  it('counts a server-error frame on the WebSocket, and passes error frames that name the problem', async () => {
    // Every frame awaited here is owed by the fake (a timeout is a failure, never the expected outcome), so a
    // generous cap only matters on a loaded machine and never slows a passing run.
    const good = new FuzzTally();
    wsInternal = false;
    await fuzzWebSocket(target(), 'key', 'http://127.0.0.1', good, { wsRuns: 20, seed: 4, frameTimeoutMs: 15_000 });
    // The fake answers ping and hello as owed and every other frame with an error frame naming the problem.
    expect(good.failures).toEqual([]);
    expect(good.fiveXx).toBe(0);
    const bad = new FuzzTally();
    wsInternal = true;
    await fuzzWebSocket(target(), 'key', 'http://127.0.0.1', bad, { wsRuns: 5, seed: 5, frameTimeoutMs: 15_000 });
    expect(bad.fiveXx).toBeGreaterThan(0);
  });
});
