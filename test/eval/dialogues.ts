/**
 * Multi-turn evaluation: `npm run eval -- --kb <kb.json> --dialogues <file.jsonl> [--now <ISO>] [--out <file.jsonl>]`.
 *
 * Every dialogue is played as one conversation of a fresh customer over the real WebSocket of the
 * local cloud, on a tenant provisioned with the knowledge base, with the local cloud's clock starting
 * at `--now` (CONCIERGE_CLOCK_START). After each turn the conversation's booking is looked up in the
 * booking store: a deposit that is due is paid through the local checkout page (which posts a webhook
 * signed with Stripe's own helper through the real verification path) and the harness waits for the
 * workflow to confirm, so the next turn sees the booking as a customer would.
 *
 * Dialogue lines: {"id","lang"?,"turns":[{"user":"..."}],"expect":{"booking"?: {...}|null,"handoff"?,"mentions"?,"notMentions"?}}
 * `expect.booking` fields are all optional: serviceId, staffId, date (YYYY-MM-DD in the business's zone),
 * time (HH:MM there), status, customerName, customerPhone. `mentions`: phrases some reply must contain
 * (case-insensitive); `notMentions`: phrases no reply may contain.
 * Output lines (`--out`): {"id","replies":[...],"booking":{serviceId,staffId,start,customerName,customerPhone,status}|null,"handoff":bool}.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { bookingStore, knowledgeStore, store } from '../../lambdas/adapters/container';
import type { Booking } from '../../lambdas/core/booking/ports';
import { provisionTenant } from '../../lambdas/core/knowledge';
import { knowledgeBaseSchema } from '../../lambdas/core/knowledge-base';
import { wallClock } from '../../lambdas/core/nlu/time';
import { newWidgetKey } from '../../lambdas/core/widget-key';
import type { LocalCloud } from '../../local-cloud/index';
import { connect, wsUrl } from '../support/ws-client';

export const dialogueSchema = z.strictObject({
  id: z.string().min(1).max(80),
  lang: z.enum(['en', 'es']).optional(),
  turns: z.array(z.strictObject({ user: z.string().min(1).max(2000) })).min(1).max(20),
  expect: z.strictObject({
    booking: z
      .strictObject({
        serviceId: z.string().optional(),
        staffId: z.string().optional(),
        date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
        time: z.string().regex(/^\d{2}:\d{2}$/).optional(),
        status: z.string().optional(),
        customerName: z.string().optional(),
        customerPhone: z.string().optional(),
      })
      .nullable()
      .optional(),
    handoff: z.boolean().optional(),
    mentions: z.array(z.string().min(1)).optional(),
    notMentions: z.array(z.string().min(1)).optional(),
  }),
});
export type Dialogue = z.infer<typeof dialogueSchema>;

export function readDialogues(path: string): Dialogue[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((line, i) => ({ line: line.trim(), n: i + 1 }))
    .filter(({ line }) => line.length > 0 && !line.startsWith('//'))
    .map(({ line, n }) => {
      const parsed = dialogueSchema.safeParse(JSON.parse(line));
      if (!parsed.success) throw new Error(`dialogues line ${n}: ${z.prettifyError(parsed.error)}`);
      return parsed.data;
    });
}

export interface DialogueBooking {
  readonly serviceId: string;
  readonly staffId: string;
  readonly start: string;
  readonly customerName: string;
  readonly customerPhone: string | null;
  readonly status: string;
}

export interface DialogueResult {
  readonly id: string;
  readonly replies: string[];
  readonly booking: DialogueBooking | null;
  readonly handoff: boolean;
}

const ORIGIN = 'http://eval.localhost';
const CHECKOUT_URL = /https?:\/\/[^\s]+\/checkout\/[A-Za-z0-9_.%-]+/;

async function poll<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T | undefined> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined || Date.now() > until) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The conversation's latest booking (a reschedule makes a new one). */
async function bookingOf(tenantId: string, conversationId: string, now: Date): Promise<Booking | undefined> {
  const from = new Date(now.getTime() - 86_400_000).toISOString();
  const to = new Date(now.getTime() + 400 * 86_400_000).toISOString();
  const all = await bookingStore().listBookings(tenantId, from, to);
  return all.filter((b) => b.conversationId === conversationId).sort((a, b) => a.createdAt.localeCompare(b.createdAt)).at(-1);
}

/** Pays through the local checkout page exactly as a customer's browser would (its form posts to `<url>/pay`). */
export async function payLocalCheckout(url: string): Promise<void> {
  const response = await fetch(`${url}/pay`, { method: 'POST', redirect: 'manual' });
  if (response.status >= 400) throw new Error(`local checkout refused the payment: ${response.status} ${await response.text()}`);
}

/** Waits for the workflow to settle the booking the last turn made: pays a due deposit, then waits for confirmation. */
async function settleBooking(tenantId: string, conversationId: string, now: Date, paid: Set<string>): Promise<void> {
  const current = await bookingOf(tenantId, conversationId, now);
  if (!current || (current.status !== 'held' && current.status !== 'awaiting_payment')) return;
  if (current.depositCents > 0 && !paid.has(current.bookingId)) {
    const withLink = await poll(async () => {
      const b = await bookingOf(tenantId, conversationId, now);
      return b?.payment.checkoutUrl ? b : undefined;
    }, 30_000);
    const url = withLink?.payment.checkoutUrl?.match(CHECKOUT_URL)?.[0];
    if (!url) return;
    paid.add(current.bookingId);
    await payLocalCheckout(url);
  }
  await poll(async () => {
    const b = await bookingOf(tenantId, conversationId, now);
    return b && b.status !== 'held' && b.status !== 'awaiting_payment' ? b : undefined;
  }, 30_000);
}

export async function runDialogue(cloud: LocalCloud, tenantId: string, widgetKey: string, dialogue: Dialogue, now: Date, handoffs: Set<string>): Promise<DialogueResult> {
  const socket = await connect(wsUrl(cloud.urls.ws, widgetKey, randomBytes(16).toString('hex')), ORIGIN);
  const paid = new Set<string>();
  try {
    socket.send({ action: 'hello', ...(dialogue.lang ? { lang: dialogue.lang } : {}) });
    const session = await socket.next('session');
    for (const turn of dialogue.turns) {
      const clientId = randomBytes(9).toString('base64url');
      socket.send({ action: 'sendMessage', clientId, text: turn.user, ...(dialogue.lang ? { lang: dialogue.lang } : {}) });
      const ack = await socket.next('ack', (a) => a.clientId === clientId, 60_000);
      const reply = await socket.next('message', (m) => m.role !== 'customer' && m.seq > ack.seq, 60_000);
      // The turn's events (handoff.requested…) are published after the reply goes out, then the bot's typing
      // indicator is switched off: wait for that frame after the reply (15 s on a loaded machine), so a handoff is never read early.
      const replyAt = socket.frames.indexOf(reply);
      for (let i = 0; i < 300 && !socket.frames.slice(replyAt + 1).some((f) => f.type === 'typing' && !f.on && f.role === 'bot'); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      await settleBooking(tenantId, session.conversationId, now, paid);
    }
    const messages = await store().listMessages(tenantId, session.conversationId, 0, 500);
    const booking = await bookingOf(tenantId, session.conversationId, now);
    return {
      id: dialogue.id,
      replies: messages.filter((m) => m.role !== 'customer').map((m) => m.text),
      booking: booking
        ? {
            serviceId: booking.serviceId,
            staffId: booking.staffId,
            start: booking.start,
            customerName: booking.customer.name,
            customerPhone: booking.customer.phone ?? null,
            status: booking.status,
          }
        : null,
      handoff: handoffs.has(session.conversationId),
    };
  } finally {
    await socket.close();
  }
}

/** Why a dialogue failed its expectations (empty: passed). */
export function judgeDialogue(dialogue: Dialogue, result: DialogueResult, timezone: string): string[] {
  const why: string[] = [];
  const e = dialogue.expect;
  if (e.booking === null && result.booking && result.booking.status !== 'cancelled' && result.booking.status !== 'failed' && result.booking.status !== 'expired') {
    why.push(`expected no booking, got ${result.booking.status} ${result.booking.serviceId} at ${result.booking.start}`);
  }
  if (e.booking) {
    const b = result.booking;
    if (!b) why.push('expected a booking, got none');
    else {
      const local = wallClock(new Date(b.start), timezone);
      const date = `${local.year}-${String(local.month).padStart(2, '0')}-${String(local.day).padStart(2, '0')}`;
      const time = `${String(local.hour).padStart(2, '0')}:${String(local.minute).padStart(2, '0')}`;
      const check = (what: string, want: string | undefined, got: string | null): void => {
        if (want !== undefined && want.toLowerCase() !== (got ?? '').toLowerCase()) why.push(`${what}: expected ${want}, got ${got ?? 'none'}`);
      };
      check('service', e.booking.serviceId, b.serviceId);
      check('staff', e.booking.staffId, b.staffId);
      check('date', e.booking.date, date);
      check('time', e.booking.time, time);
      check('status', e.booking.status, b.status);
      check('name', e.booking.customerName, b.customerName);
      check('phone', e.booking.customerPhone, b.customerPhone);
    }
  }
  if (e.handoff !== undefined && e.handoff !== result.handoff) why.push(`handoff: expected ${e.handoff}, got ${result.handoff}`);
  const all = result.replies.join('\n').toLowerCase();
  for (const m of e.mentions ?? []) if (!all.includes(m.toLowerCase())) why.push(`no reply mentions "${m}"`);
  for (const m of e.notMentions ?? []) if (all.includes(m.toLowerCase())) why.push(`a reply mentions "${m}"`);
  return why;
}

export interface DialogueReport {
  readonly results: DialogueResult[];
  readonly failures: { id: string; why: string[] }[];
  readonly metrics: Record<string, number>;
}

/** Plays every dialogue (one at a time: they share the business's calendar, as real customers do). */
export async function runDialogues(cloud: LocalCloud, options: { kbPath: string; dialogues: readonly Dialogue[]; now: Date; log?: (line: string) => void }): Promise<DialogueReport> {
  const kb = knowledgeBaseSchema.parse(JSON.parse(readFileSync(options.kbPath, 'utf8')));
  const tenantId = `dlg-${randomBytes(4).toString('hex')}`;
  const widgetKey = newWidgetKey(tenantId);
  await provisionTenant(knowledgeStore(), { tenantId, widgetKey, allowedOrigins: [ORIGIN], kb });
  const handoffs = new Set<string>();
  const original = cloud.bus.putEvents.bind(cloud.bus);
  cloud.bus.putEvents = (entries) => {
    for (const entry of entries) {
      if (entry.DetailType !== 'handoff.requested' || !entry.Detail) continue;
      const detail: unknown = JSON.parse(entry.Detail);
      const id = typeof detail === 'object' && detail !== null ? Reflect.get(detail, 'conversationId') : undefined;
      if (typeof id === 'string') handoffs.add(id);
    }
    return original(entries);
  };
  const results: DialogueResult[] = [];
  const failures: { id: string; why: string[] }[] = [];
  for (const dialogue of options.dialogues) {
    const result = await runDialogue(cloud, tenantId, widgetKey, dialogue, options.now, handoffs);
    results.push(result);
    const why = judgeDialogue(dialogue, result, kb.business.timezone);
    if (why.length > 0) failures.push({ id: dialogue.id, why });
    options.log?.(`${why.length === 0 ? '✓' : '✗'} ${dialogue.id}${why.length ? `: ${why.join('; ')}` : ''}`);
  }
  const withBooking = options.dialogues.filter((d) => d.expect.booking);
  const bookedRight = withBooking.filter((d) => !failures.some((f) => f.id === d.id && f.why.some((w) => /^(expected a booking|service|staff|date|time|status|name|phone)/.test(w))));
  return {
    results,
    failures,
    metrics: {
      dialogues: options.dialogues.length,
      dialogues_passed: options.dialogues.length - failures.length,
      dialogue_pass_rate: options.dialogues.length ? Math.round(((options.dialogues.length - failures.length) / options.dialogues.length) * 1000) / 1000 : 0,
      dialogue_booking_accuracy: withBooking.length ? Math.round((bookedRight.length / withBooking.length) * 1000) / 1000 : 0,
    },
  };
}
