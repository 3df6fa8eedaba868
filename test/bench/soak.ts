/**
 * Soak (`npm run bench soak`): many simulated customers over WebSocket against the local cloud, each a short
 * scripted conversation (questions, a booking attempt, for some a request for a person), with a share of the
 * connections dropped at random moments — mid-reply included — and resumed the way the widget does it
 * (`hello` with the conversation and the last seq seen, then the unacknowledged message re-sent with the
 * same client id). At the end every conversation's stored history is compared with what its client saw.
 * Reports, never asserts: the resume and idempotency tests in test/ assert the same rules at small scale.
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { knowledgeStore, store } from '../../lambdas/adapters/container';
import { provisionTenant } from '../../lambdas/core/knowledge';
import { newWidgetKey } from '../../lambdas/core/widget-key';
import { startLocalCloud } from '../../local-cloud/index';
import { percentile } from './stats';

/** What one customer says, in order. A request for a person ends the script (the bot then stays quiet). */
const SCRIPTS: readonly (readonly string[])[] = [
  ['hi', 'do you have parking?', 'how much is teeth whitening?', 'thanks'],
  ['what time do you open on saturday?', 'can I book a check-up next friday at 10am?', 'actually, never mind'],
  ['¿tenéis aparcamiento?', '¿cuánto cuesta el blanqueamiento?', 'gracias'],
  ['do you take insurance?', 'is the clinic accessible by wheelchair?', 'I want to talk to a person'],
];

interface Seen {
  readonly seq: number;
  readonly role: string;
  readonly text: string;
}

interface CustomerResult {
  readonly conversationId: string;
  readonly seen: ReadonlyMap<number, Seen>;
  readonly sent: number;
  readonly duplicateFrames: number;
  readonly drops: number;
  readonly rtts: readonly number[];
  readonly unanswered: number;
  /** Messages re-sent (same client id) after 60 s without a reply; and how many of those followed a drop. */
  readonly resends: number;
  readonly resendsAfterDrop: number;
}

interface Frame {
  readonly type?: string;
  readonly seq?: number;
  readonly role?: string;
  readonly text?: string;
  readonly clientId?: string;
  readonly conversationId?: string;
  readonly lastSeq?: number;
}

/** One WebSocket session of a customer; `frames` is every frame in arrival order. */
class Session {
  private readonly listeners = new Set<(frame: Frame) => void>();
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Frame;
      for (const l of [...this.listeners]) l(frame);
    });
  }

  static open(url: string, origin: string): Promise<Session> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers: { Origin: origin } });
      ws.once('open', () => resolve(new Session(ws)));
      ws.once('error', reject);
    });
  }

  on(listener: (frame: Frame) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  send(frame: unknown): void {
    this.ws.send(JSON.stringify(frame));
  }

  /** Like a network drop: no close handshake. */
  drop(): void {
    this.ws.terminate();
  }

  close(): void {
    this.ws.close();
  }
}

async function runCustomer(url: string, origin: string, script: readonly string[], dropAt: number | undefined): Promise<CustomerResult> {
  const seen = new Map<number, Seen>();
  const rtts: number[] = [];
  let duplicateFrames = 0;
  let drops = 0;
  let unanswered = 0;
  let resends = 0;
  let resendsAfterDrop = 0;
  let conversationId = '';
  const lastSeq = (): number => Math.max(0, ...seen.keys());

  const record = (frame: Frame): void => {
    if (frame.type !== 'message' || typeof frame.seq !== 'number') return;
    if (seen.has(frame.seq)) duplicateFrames++;
    else seen.set(frame.seq, { seq: frame.seq, role: frame.role ?? '', text: frame.text ?? '' });
  };

  /** Connects (or reconnects) and resumes: everything after the last seq seen is replayed before `session`. */
  const connect = async (): Promise<Session> => {
    const session = await Session.open(url, origin);
    session.on(record);
    const ready = new Promise<void>((resolve) => {
      const off = session.on((frame) => {
        if (frame.type !== 'session') return;
        conversationId = frame.conversationId ?? conversationId;
        off();
        resolve();
      });
    });
    session.send({ action: 'hello', ...(conversationId ? { conversationId, lastSeq: lastSeq() } : {}) });
    await ready;
    return session;
  };

  let session = await connect();
  let step = 0;
  for (const text of script) {
    const clientId = randomBytes(9).toString('base64url');
    const started = performance.now();
    let answered = false;
    for (let attempt = 0; attempt < 3 && !answered; attempt++) {
      if (attempt > 0) {
        resends++;
        if (dropAt === step) resendsAfterDrop++;
      }
      // Answered: a non-customer message after our own (acknowledged) message.
      let mySeq: number | undefined;
      const mySeqFloor = lastSeq();
      const acks = new Map<string, number>();
      const offAck = (s: Session) => s.on((frame) => {
        if (frame.type === 'ack' && frame.clientId && typeof frame.seq === 'number') acks.set(frame.clientId, frame.seq);
      });
      let stopAcks = offAck(session);
      // Polls what every session so far has delivered (a resumed session feeds the same `seen`).
      const outcome = new Promise<'answered' | 'timeout'>((resolve) => {
        const deadline = performance.now() + 60_000;
        const poll = setInterval(() => {
          mySeq ??= acks.get(clientId);
          if (mySeq === undefined) {
            for (const m of seen.values()) if (m.role === 'customer' && m.text === text && m.seq > mySeqFloor) mySeq = m.seq;
          }
          const done = mySeq !== undefined && [...seen.values()].some((m) => m.seq > (mySeq ?? 0) && m.role !== 'customer');
          if (done || performance.now() > deadline) {
            clearInterval(poll);
            resolve(done ? 'answered' : 'timeout');
          }
        }, 20);
      });
      session.send({ action: 'sendMessage', clientId, text });
      if (dropAt === step && attempt === 0) {
        // Drop at a random moment while the reply is on its way, then resume like the widget.
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 400)));
        session.drop();
        drops++;
        session = await connect();
        stopAcks();
        stopAcks = offAck(session);
        // The widget re-sends what it never saw acknowledged, with the same client id (stored once).
        const acked = [...seen.values()].some((m) => m.role === 'customer' && m.text === text && m.seq > mySeqFloor);
        if (!acked) session.send({ action: 'sendMessage', clientId, text });
      }
      const result = await outcome;
      stopAcks();
      if (result === 'answered') answered = true;
    }
    if (answered) rtts.push(performance.now() - started);
    else unanswered++;
    step++;
  }
  session.close();
  return { conversationId, seen, sent: script.length, duplicateFrames, drops, rtts, unanswered, resends, resendsAfterDrop };
}

/** Runs the soak and returns flat metrics for bench-results/latest.json. */
export async function soakBench(options: { customers?: number; dropShare?: number; concurrency?: number } = {}): Promise<Record<string, number>> {
  const customers = options.customers ?? Number(process.env['SOAK_CUSTOMERS'] ?? 1000);
  const dropShare = options.dropShare ?? Number(process.env['SOAK_DROP_SHARE'] ?? 0.1);
  const concurrency = options.concurrency ?? Number(process.env['SOAK_CONCURRENCY'] ?? 200);
  const cloud = await startLocalCloud({ quiet: true });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 500);
  try {
    const origin = new URL(cloud.urls.demoSite).origin;
    const kb = await store().getKnowledgeBase(cloud.demo.tenantId);
    if (!kb) throw new Error('demo knowledge base missing');
    const tenantId = `soak-${randomBytes(3).toString('hex')}`;
    const widgetKey = newWidgetKey(tenantId);
    await provisionTenant(knowledgeStore(), { tenantId, widgetKey, allowedOrigins: [origin], kb });
    const profile = await store().getProfile(tenantId);
    if (!profile) throw new Error('soak tenant missing');
    // Limits a scripted load cannot hit: this measures the path, not the limiter.
    const unlimited = { ratePerSecond: 100_000, burst: 100_000 };
    await store().putProfile({ ...profile, limits: { perConnection: unlimited, perAddress: unlimited, perTenant: unlimited } });

    const results: CustomerResult[] = [];
    let next = 0;
    const started = performance.now();
    // `concurrency` customers at a time, each new one starting as another finishes (1,000 sockets at once
    // would measure the kernel's accept queue on 2 cores, not the concierge).
    await Promise.all(
      Array.from({ length: Math.min(concurrency, customers) }, async () => {
        while (next < customers) {
          const i = next++;
          const script = SCRIPTS[i % SCRIPTS.length] ?? [];
          const dropAt = Math.random() < dropShare ? Math.floor(Math.random() * script.length) : undefined;
          const visitor = randomBytes(12).toString('hex');
          results.push(await runCustomer(`${cloud.urls.ws}?key=${widgetKey}&visitor=${visitor}`, origin, script, dropAt));
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    await cloud.settle();

    // Every conversation's stored history against what its client saw.
    let lost = 0;
    let duplicated = 0;
    let mismatched = 0;
    let storedCustomerMessages = 0;
    for (const r of results) {
      const stored = await store().listMessages(tenantId, r.conversationId, 0, 1000);
      const customerTexts = stored.filter((m) => m.role === 'customer').map((m) => m.text);
      storedCustomerMessages += customerTexts.length;
      duplicated += customerTexts.length - new Set(customerTexts).size;
      let differs = false;
      // Messages after the last one the client saw arrived after it left (a handoff's later notices): not lost.
      const lastSeen = Math.max(0, ...r.seen.keys());
      for (const m of stored.filter((x) => x.seq <= lastSeen)) {
        const s = r.seen.get(m.seq);
        if (!s) {
          lost++;
          differs = true;
        } else if (s.text !== m.text || s.role !== m.role) differs = true;
      }
      for (const seq of r.seen.keys()) if (!stored.some((m) => m.seq === seq)) differs = true;
      if (differs) mismatched++;
    }
    const rtts = results.flatMap((r) => [...r.rtts]);
    const sent = results.reduce((n, r) => n + r.sent, 0);
    return {
      soak_customers: customers,
      soak_messages: sent,
      soak_stored_customer_messages: storedCustomerMessages,
      soak_drops: results.reduce((n, r) => n + r.drops, 0),
      soak_messages_lost: lost + (sent - storedCustomerMessages > 0 ? sent - storedCustomerMessages : 0),
      soak_messages_duplicated: duplicated,
      soak_duplicate_frames: results.reduce((n, r) => n + r.duplicateFrames, 0),
      soak_history_mismatches: mismatched,
      soak_unanswered: results.reduce((n, r) => n + r.unanswered, 0),
      soak_resends: results.reduce((n, r) => n + r.resends, 0),
      soak_resends_after_drop: results.reduce((n, r) => n + r.resendsAfterDrop, 0),
      soak_rtt_p50_ms: percentile(rtts, 50),
      soak_rtt_p99_ms: percentile(rtts, 99),
      soak_messages_per_second: Math.round((sent / seconds) * 10) / 10,
      soak_peak_rss_mb: Math.round(peakRss / 1024 / 1024),
    };
  } finally {
    clearInterval(sampler);
    await cloud.stop();
  }
}
