/**
 * Human handoff: who owns a conversation (the bot, nobody yet, a person) as one
 * explicit state machine. The workflow (state-machines/handoff.asl.json) calls
 * the `step*` use cases; staff call the others through the REST API and the
 * staff WebSocket. Every change of mode or handoff status goes through
 * `applyChange`, which checks the state it read (optimistic locking), records
 * the transition with its reason and time, and updates the inbox entry; only
 * then are the customer, the staff and the analytics bus told.
 *
 * The bot stays silent while the mode is not `bot` (see conversation.ts), so
 * owning the mode is owning the thread.
 */
import { createHash } from 'node:crypto';
import { isOpen, nextOpening } from './business-hours';
import { conversationIdentity, identityLabel, verifiedPhoneOf } from './channels/identity';
import { broadcast, deliverToCustomer, type DeliveryKind } from './conversation';
import { DomainError, conflict, forbidden, notFound } from './errors';
import {
  openStatuses,
  type CannedReply,
  type EmailSender,
  type FollowUpStore,
  type HandoffRecord,
  type HandoffSettings,
  type HandoffSettingsStore,
  type HandoffStatus,
  type HandoffStore,
  type OutgoingEmail,
  type StaffDirectory,
  type StaffEmailRef,
  type StaffRef,
  type TaskCallbacks,
} from './handoff-ports';
import { contactIn, csatScoreIn, handoffText } from './handoff-text';
import { randomId } from './ids';
import { businessCountryOf, phoneToShow } from './phone';
import { staffRead } from './receipts';
import { sendOnce } from './send-once';
import type { Clock, ConnectionPusher, ConnectionStore, ConversationRecord, ConversationStore, EventPublisher, KnowledgeStore, TenantStore } from './ports';
import type { ConversationMode, InboxEvent, MessageView, ServerFrame } from './protocol';

export interface HandoffDeps {
  readonly tenants: TenantStore;
  readonly conversations: ConversationStore;
  readonly connections: ConnectionStore;
  readonly pusher: ConnectionPusher;
  readonly events: EventPublisher;
  readonly clock: Clock;
  readonly knowledge: Pick<KnowledgeStore, 'getKnowledgeBase'>;
  readonly handoffs: HandoffStore;
  readonly staff: StaffDirectory;
  readonly settings: HandoffSettingsStore;
  readonly followUps: FollowUpStore;
  readonly email: EmailSender;
  readonly callbacks: TaskCallbacks;
}

/** A signed-in staff member, from the verified token (never from a request body). */
export interface StaffActor {
  readonly tenantId: string;
  readonly sub: string;
  readonly email: string;
  readonly groups: readonly ('admin' | 'agent')[];
}

export const DEFAULT_SLA_SECONDS = 120;

export const defaultCannedReplies: readonly CannedReply[] = [
  { id: 'greeting', title: 'Hello', text: "Hi, I'm from the team and I've read your conversation. How can I help?" },
  { id: 'checking', title: 'One moment', text: 'Let me check that for you. It will take a minute or two.' },
  { id: 'booking', title: 'Booking', text: 'I can book that for you. Which day and time suit you best?' },
  { id: 'anything-else', title: 'Anything else?', text: 'Is there anything else I can help you with today?' },
];

/** Thrown by the accept wait when a person already owns the conversation (or it ended): the workflow moves on. */
export class HandoffAccepted extends Error {
  override name = 'HandoffAccepted';
}
/** Thrown by the outcome wait when the conversation was already returned or closed. */
export class HandoffOutcomeKnown extends Error {
  override name = 'HandoffOutcomeKnown';
}

const MAX_ATTEMPTS = 5;

/** A short id derived from `parts`: what a retried step writes again must carry the same id, so it is stored once. */
const stableId = (...parts: readonly string[]): string => createHash('sha256').update(parts.join('\n')).digest('base64url').slice(0, 20);

/** One error line for a failure a use case recovers from (the core has no logger; Lambda sends stderr to its logs). */
function warn(message: string, detail: Readonly<Record<string, unknown>>, error: unknown): void {
  console.warn(JSON.stringify({ level: 'WARN', message, ...detail, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }));
}

// ---- reading -----------------------------------------------------------------------------------

export async function settingsOf(deps: Pick<HandoffDeps, 'settings'>, tenantId: string): Promise<HandoffSettings> {
  return (await deps.settings.getHandoffSettings(tenantId)) ?? { slaSeconds: DEFAULT_SLA_SECONDS, cannedReplies: [...defaultCannedReplies] };
}

async function conversationOf(deps: HandoffDeps, tenantId: string, conversationId: string): Promise<ConversationRecord> {
  const conversation = await deps.conversations.getConversation(tenantId, conversationId);
  if (!conversation) throw notFound('no such conversation');
  return conversation;
}

/**
 * The callback contact in a customer's message: an e-mail address, or a phone number that is valid in the business's
 * country (a date or a time next to it is not one), shown with its country code (core/phone.ts): the customer is told
 * which number will be called, and it is the same customer a privacy request by that number finds.
 */
async function callbackContactIn(deps: HandoffDeps, tenantId: string, text: string): Promise<string | undefined> {
  const kb = await deps.knowledge.getKnowledgeBase(tenantId);
  const country = kb ? businessCountryOf(kb.business) : undefined;
  const typed = contactIn(text, country);
  if (typed === undefined || typed.includes('@')) return typed;
  return phoneToShow(typed, country);
}

/**
 * The customer's language for what the handoff tells them: the one the concierge detected in the conversation
 * (a Spanish speaker on an English widget is answered in Spanish), else the conversation's starting language.
 */
const customerLangOf = (conversation: Pick<ConversationRecord, 'lang' | 'context'>): string => conversation.context?.lang ?? conversation.lang;

/** The reason of a staff takeover's handoff, and of the `handoff.requested` that starts its workflow. */
const TAKEN_OVER = 'taken over by staff';

/** Is a person reachable now: opening hours (in the business's zone) and agents connected to the live inbox. */
async function availability(deps: HandoffDeps, tenantId: string): Promise<{ open: boolean; agentsOnline: number; reopening?: ReturnType<typeof nextOpening> }> {
  const [profile, kb, online] = await Promise.all([
    deps.tenants.getProfile(tenantId),
    deps.knowledge.getKnowledgeBase(tenantId),
    deps.staff.listStaffConnections(tenantId),
  ]);
  const now = deps.clock.now();
  const timezone = kb?.business.timezone ?? profile?.timezone ?? 'UTC';
  const hours = kb?.hours ?? [];
  const open = isOpen(hours, timezone, now);
  const agentsOnline = new Set(online.filter((c) => c.groups.includes('agent')).map((c) => c.sub)).size;
  const reopening = open ? undefined : nextOpening(hours, timezone, now);
  return { open, agentsOnline, ...(reopening ? { reopening } : {}) };
}

// ---- telling people ------------------------------------------------------------------------------

/** Pushes a frame to every staff connection of the tenant; forgets connections that are gone. */
export async function notifyStaff(deps: Pick<HandoffDeps, 'staff' | 'pusher' | 'connections'>, tenantId: string, frame: ServerFrame): Promise<void> {
  const online = await deps.staff.listStaffConnections(tenantId);
  await Promise.all(
    online.map(async (c) => {
      const delivered = await deps.pusher.push(c.connectionId, frame).catch(() => false);
      if (!delivered) {
        await deps.staff.removeStaffConnection(tenantId, c.connectionId);
        await deps.connections.removeConnection(tenantId, c.connectionId);
      }
    }),
  );
}

function inboxFrame(deps: Pick<HandoffDeps, 'clock'>, event: InboxEvent, conversationId: string, mode: ConversationMode, extra: { reason?: string; assignee?: string } = {}): ServerFrame {
  const at = deps.clock.now().toISOString();
  return { type: 'inbox', id: `inbox:${conversationId}:${event}:${at}:${randomId().slice(0, 6)}`, event, conversationId, mode, at, ...extra };
}

async function tellCustomer(
  deps: HandoffDeps,
  tenantId: string,
  conversationId: string,
  text: string,
  quickReplies?: MessageView['quickReplies'],
  kind: DeliveryKind = 'system',
  /** A fixed id makes a retry store the message once; it is delivered again (the widget and the channel senders de-duplicate). */
  clientId?: string,
): Promise<MessageView> {
  const conversation = await conversationOf(deps, tenantId, conversationId);
  const stored = await deps.conversations.appendMessage(tenantId, conversationId, { role: 'system', text, ...(quickReplies ? { quickReplies } : {}), ...(clientId ? { clientId } : {}) });
  await deliverToCustomer(deps, conversation, stored.message, kind);
  return stored.message;
}

async function emailStaff(deps: HandoffDeps, email: Omit<OutgoingEmail, 'to'>, who: 'online' | 'everyone'): Promise<number> {
  const to =
    who === 'online'
      ? (await deps.staff.listStaffConnections(email.tenantId)).filter((c) => c.groups.includes('agent')).map((c) => c.email)
      : (await deps.staff.listStaffMembers(email.tenantId)).map((m) => m.email);
  const unique = [...new Set(to)].sort();
  if (unique.length === 0) return 0;
  await deps.email.send({ ...email, to: unique });
  return unique.length;
}

/** A workflow step's staff e-mail, once per handoff (`handoff`: an id only that handoff has) across the step's retries (core/send-once.ts); 0 when nothing was sent. */
async function emailStaffOnce(
  deps: HandoffDeps,
  handoff: string,
  email: Omit<OutgoingEmail, 'to' | 'kind' | 'conversationId'> & Pick<StaffEmailRef, 'kind' | 'conversationId'>,
  who: 'online' | 'everyone',
): Promise<number> {
  const ref: StaffEmailRef = { tenantId: email.tenantId, conversationId: email.conversationId, kind: email.kind, handoff };
  return sendOnce({ sent: () => deps.handoffs.staffEmailSent(ref), record: () => deps.handoffs.recordStaffEmail(ref) }, () => emailStaff(deps, email, who));
}

// ---- changing state ------------------------------------------------------------------------------

interface Plan {
  readonly next: HandoffRecord;
  readonly fromModes: readonly ConversationMode[];
  readonly toMode: ConversationMode;
  readonly reason: string;
  readonly by?: string;
  /** Back to the bot: the notice the customer gets on every channel (by default it depends on the mode left and the channel). */
  readonly notice?: 'waiting' | 'person';
  /** Applied only while the conversation's message counter is still this (`HandoffChange.lastSeq`). */
  readonly lastSeq?: number;
}

type Decision<R> = { readonly plan: Plan; readonly result: R } | { readonly done: R };

/**
 * Reads the conversation and its handoff, lets `decide` plan a change (or answer without one), and
 * applies it; a concurrent change makes it read and decide again.
 */
async function change<R>(
  deps: HandoffDeps,
  tenantId: string,
  conversationId: string,
  decide: (conversation: ConversationRecord, record: HandoffRecord | undefined) => Promise<Decision<R>> | Decision<R>,
): Promise<{ result: R; changed?: { from: ConversationRecord; previous: HandoffRecord | undefined; plan: Plan } }> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const conversation = await conversationOf(deps, tenantId, conversationId);
    const record = await deps.handoffs.getHandoff(tenantId, conversationId);
    const decision = await decide(conversation, record);
    if ('done' in decision) return { result: decision.done };
    const { plan } = decision;
    const applied = await deps.handoffs.applyChange({
      previous: record,
      next: plan.next,
      fromModes: plan.fromModes,
      fromMode: conversation.mode,
      toMode: plan.toMode,
      reason: plan.reason,
      ...(plan.by ? { by: plan.by } : {}),
      ...(plan.lastSeq !== undefined ? { lastSeq: plan.lastSeq } : {}),
    });
    if (applied) {
      await afterChange(deps, conversation, record, plan);
      return { result: decision.result, changed: { from: conversation, previous: record, plan } };
    }
  }
  throw conflict('the conversation kept changing; try again');
}

/** Tells everyone about a change that was applied: the customer's widget, staff inboxes, the analytics bus. */
async function afterChange(deps: HandoffDeps, from: ConversationRecord, previous: HandoffRecord | undefined, plan: Plan): Promise<void> {
  const { tenantId, conversationId } = from;
  const at = deps.clock.now().toISOString();
  if (from.mode !== plan.toMode) {
    await broadcast(deps, tenantId, conversationId, { type: 'state', id: `state:${conversationId}:${plan.toMode}:${at}`, mode: plan.toMode });
    // Whoever was typing is not any more: indicators never stick across a change of owner.
    await broadcast(deps, tenantId, conversationId, { type: 'typing', on: false, role: from.mode === 'human' ? 'agent' : 'bot', conversationId });
  }
  // The customer was told the assistant would not answer while they wait, or a person was answering on a channel
  // with no widget to show the change (or the plan says so): they are told it answers again (once per handoff record revision).
  const notice = plan.notice ?? (from.mode === 'waiting_for_human' ? 'waiting' : from.mode === 'human' && from.channel !== 'web' ? 'person' : undefined);
  if (plan.toMode === 'bot' && notice) await tellBackToAssistant(deps, from, plan.next, notice);
  const event = inboxEventOf(plan.next.status);
  await notifyStaff(
    deps,
    tenantId,
    inboxFrame(deps, event, conversationId, plan.toMode, { reason: plan.reason, ...(plan.next.assignee ? { assignee: plan.next.assignee.email } : {}) }),
  );
  await deps.events.publish([
    {
      type: 'handoff.transition',
      tenantId,
      detail: {
        conversationId,
        fromMode: from.mode,
        toMode: plan.toMode,
        ...(previous && previous.rev > 0 && previous.status !== plan.next.status ? { fromStatus: previous.status } : {}),
        toStatus: plan.next.status,
        reason: plan.reason,
        at,
        ...(plan.by ? { by: plan.by } : {}),
      },
    },
  ]);
}

/** "The assistant answers again", in the handoff's language; keyed by the record's revision, so a retry stores it once (and delivers it again). */
async function tellBackToAssistant(deps: HandoffDeps, conversation: ConversationRecord, record: HandoffRecord, notice: 'waiting' | 'person'): Promise<void> {
  const text = handoffText.backToAssistant(record.lang, notice);
  await tellCustomer(deps, conversation.tenantId, conversation.conversationId, text, undefined, 'system', `handoff:bot:${record.rev}`);
}

function inboxEventOf(status: HandoffStatus): InboxEvent {
  switch (status) {
    case 'waiting':
      return 'waiting';
    case 'escalated':
      return 'escalated';
    case 'callback':
      return 'callback';
    case 'accepted':
      return 'accepted';
    case 'returned':
      return 'returned';
    case 'closed':
      return 'closed';
  }
}

const bump = (record: HandoffRecord | undefined, patch: Partial<HandoffRecord> & Pick<HandoffRecord, 'status'>): HandoffRecord => {
  if (!record) throw new Error('bump: no record');
  return { ...record, ...patch, rev: record.rev + 1 };
};

// ---- workflow steps ------------------------------------------------------------------------------

export type QueueRoute = 'notify' | 'fallback' | 'owned' | 'done';

export interface QueueResult {
  readonly route: QueueRoute;
  readonly slaSeconds: number;
  readonly why?: 'after_hours' | 'nobody_available';
}

/**
 * The first step: the conversation goes from `bot` to `waiting_for_human` (or, after a staff takeover,
 * this execution claims the handoff to follow it to the end). Duplicate requests end here.
 */
export async function stepQueue(
  deps: HandoffDeps,
  input: { tenantId: string; conversationId: string; reason: string; executionId: string },
): Promise<QueueResult> {
  const { tenantId, conversationId, executionId } = input;
  const { slaSeconds } = await settingsOf(deps, tenantId);
  const reachable = await availability(deps, tenantId);
  const route = (): Pick<QueueResult, 'route' | 'why'> =>
    !reachable.open ? { route: 'fallback', why: 'after_hours' } : reachable.agentsOnline === 0 ? { route: 'fallback', why: 'nobody_available' } : { route: 'notify' };

  // A staff takeover started this execution: claim the handoff and follow it to its outcome (survey on close).
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const conversation = await deps.conversations.getConversation(tenantId, conversationId);
    const record = await deps.handoffs.getHandoff(tenantId, conversationId);
    if (!conversation || conversation.mode !== 'human' || record?.status !== 'accepted' || record.executionId !== undefined) break;
    if (await deps.handoffs.saveHandoff(record, { ...record, executionId, rev: record.rev + 1 })) return { route: 'owned', slaSeconds: record.slaSeconds };
  }

  // `queued`: the handoff this step queued, whose customer notice is (re)sent when the route is `notify`.
  const { result } = await change<QueueResult & { queued?: HandoffRecord }>(deps, tenantId, conversationId, (conversation, record) => {
    if (record?.executionId === executionId) {
      // A retry of this step after it already applied its change: its notice may not have gone out yet.
      if (openStatuses.includes(record.status)) return { done: { ...route(), slaSeconds: record.slaSeconds, ...(record.status === 'waiting' ? { queued: record } : {}) } };
      return { done: { route: record.status === 'accepted' ? 'owned' : 'done', slaSeconds: record.slaSeconds } };
    }
    // Already waiting, owned or closed: a duplicate request ends here.
    if (conversation.mode !== 'bot') return { done: { route: 'done', slaSeconds } };
    // A takeover handed back before this step ran (the event was late, or retried): nobody asked for a person.
    if (input.reason === TAKEN_OVER) return { done: { route: 'done', slaSeconds } };
    const now = deps.clock.now().toISOString();
    const next: HandoffRecord = {
      tenantId,
      conversationId,
      status: 'waiting',
      reason: input.reason,
      requestedAt: now,
      lang: customerLangOf(conversation),
      slaSeconds,
      executionId,
      rev: (record?.rev ?? 0) + 1,
    };
    return { plan: { next, fromModes: ['bot'], toMode: 'waiting_for_human', reason: input.reason }, result: { ...route(), slaSeconds, queued: next } };
  });
  const { queued, ...queue } = result;
  if (queued && queue.route === 'notify') {
    await tellCustomer(deps, tenantId, conversationId, handoffText.queued(queued.lang, queued.slaSeconds), undefined, 'system', `handoff:queued:${stableId(executionId)}`);
  }
  return queue;
}

/** Tells the agents who are online (their inboxes already show it live) by e-mail, once per handoff. */
export async function stepNotify(deps: HandoffDeps, input: { tenantId: string; conversationId: string }): Promise<{ notified: number }> {
  const record = await deps.handoffs.getHandoff(input.tenantId, input.conversationId);
  if (!record || record.status !== 'waiting') return { notified: 0 };
  const profile = await deps.tenants.getProfile(input.tenantId);
  const notified = await emailStaffOnce(
    deps,
    stableId(record.executionId ?? record.requestedAt),
    {
      tenantId: input.tenantId,
      kind: 'handoff.waiting',
      conversationId: input.conversationId,
      subject: `A customer is waiting for a person (${profile?.name ?? input.tenantId})`,
      text: `A customer is waiting for someone from the team.\nReason: ${record.reason}\nOpen the Inbox in Concierge to accept the conversation (waiting queue).`,
    },
    'online',
  );
  return { notified };
}

/** Registers the token an agent's accept answers; an already accepted (or ended) handoff moves the workflow on. */
export async function stepAwaitAccept(deps: HandoffDeps, input: { tenantId: string; conversationId: string; taskToken: string }): Promise<{ waiting: true }> {
  const stored = await deps.handoffs.putTaskToken(input.tenantId, input.conversationId, 'accept', input.taskToken, openStatuses);
  if (!stored) throw new HandoffAccepted('the handoff is no longer waiting for an agent');
  return { waiting: true };
}

export type EscalateRoute = 'wait' | 'fallback' | 'accepted' | 'done';

/**
 * Nobody accepted within the SLA: tell every agent; wait once more if someone can still join, else fall back. The
 * "escalated" e-mail goes out once per handoff (`emailStaffOnce`): a retry after the escalation was saved sends it
 * when the first attempt's send failed, and sends nothing when it went out.
 */
export async function stepEscalate(
  deps: HandoffDeps,
  input: { tenantId: string; conversationId: string },
): Promise<{ route: EscalateRoute; slaSeconds: number; why?: 'after_hours' | 'nobody_available' }> {
  const { tenantId, conversationId } = input;
  // `escalated`: the escalated handoff (by this attempt or an earlier one), whose staff e-mail is sent unless it was.
  const { result } = await change<{ route: EscalateRoute; slaSeconds: number; escalated?: HandoffRecord }>(deps, tenantId, conversationId, (conversation, record) => {
    if (!record) return { done: { route: 'done', slaSeconds: DEFAULT_SLA_SECONDS } };
    if (record.status === 'accepted') return { done: { route: 'accepted', slaSeconds: record.slaSeconds } };
    if (record.status === 'escalated') return { done: { route: 'wait', slaSeconds: record.slaSeconds, escalated: record } };
    if (record.status !== 'waiting' || conversation.mode !== 'waiting_for_human') return { done: { route: 'done', slaSeconds: record.slaSeconds } };
    const next = bump(record, { status: 'escalated', escalatedAt: deps.clock.now().toISOString() });
    return {
      plan: {
        next,
        fromModes: ['waiting_for_human'],
        toMode: 'waiting_for_human',
        reason: `no agent accepted within ${record.slaSeconds} s`,
      },
      result: { route: 'wait', slaSeconds: record.slaSeconds, escalated: next },
    };
  });
  if (result.route !== 'wait') return { route: result.route, slaSeconds: result.slaSeconds };
  if (result.escalated) {
    const profile = await deps.tenants.getProfile(tenantId);
    await emailStaffOnce(
      deps,
      stableId(result.escalated.executionId ?? result.escalated.requestedAt),
      {
        tenantId,
        kind: 'handoff.escalated',
        conversationId,
        subject: `Still waiting: a customer needs a person (${profile?.name ?? tenantId})`,
        text: `Nobody accepted this conversation within ${result.slaSeconds} seconds, so every agent is being told.\nOpen the Inbox in Concierge to accept it.`,
      },
      'everyone',
    );
  }
  const reachable = await availability(deps, tenantId);
  if (!reachable.open) return { route: 'fallback', slaSeconds: result.slaSeconds, why: 'after_hours' };
  if (reachable.agentsOnline === 0) return { route: 'fallback', slaSeconds: result.slaSeconds, why: 'nobody_available' };
  return { route: 'wait', slaSeconds: result.slaSeconds };
}

/**
 * Nobody can join: ask the customer for a contact, promise a callback and create a follow-up task. A WhatsApp or SMS
 * customer is not asked: the number they write from (verified by the carrier) is the contact, unless they write another.
 */
export async function stepFallback(
  deps: HandoffDeps,
  input: { tenantId: string; conversationId: string; why?: 'after_hours' | 'nobody_available' },
): Promise<{ route: 'callback' | 'accepted' | 'done'; followUpId?: string }> {
  const { tenantId, conversationId } = input;
  const reachable = await availability(deps, tenantId);
  const why = input.why ?? (reachable.open ? 'nobody_available' : 'after_hours');
  // `promised`: the callback handoff whose side effects (follow-up, customer notice, e-mail) are (re)done.
  // `onThisNumber`: the customer writes from a verified phone (WhatsApp, SMS), the callback's contact from the start.
  type Fallback = { route: 'callback' | 'accepted' | 'done'; followUpId?: string; promised?: HandoffRecord; onThisNumber?: boolean };
  const { result } = await change<Fallback>(deps, tenantId, conversationId, (conversation, record) => {
    const verified = verifiedPhoneOf(conversationIdentity(conversation));
    if (!record) return { done: { route: 'done' } };
    if (record.status === 'accepted') return { done: { route: 'accepted' } };
    if (record.status === 'callback') {
      // A retry after the change was saved: what the first attempt did not finish is done now (each once).
      const retry = conversation.mode === 'waiting_for_human' && record.followUpId !== undefined;
      return {
        done: { route: 'callback', ...(record.followUpId ? { followUpId: record.followUpId } : {}), ...(retry ? { promised: record, onThisNumber: verified !== undefined } : {}) },
      };
    }
    if ((record.status !== 'waiting' && record.status !== 'escalated') || conversation.mode !== 'waiting_for_human') return { done: { route: 'done' } };
    const followUpId = randomId();
    // A WhatsApp or SMS customer is not asked for the number they write from: it is the callback's contact.
    const next = bump(record, { status: 'callback', followUpId, ...(verified && !record.contact ? { contact: verified } : {}) });
    return {
      plan: {
        next,
        fromModes: ['waiting_for_human'],
        toMode: 'waiting_for_human',
        reason: why === 'after_hours' ? 'outside business hours: callback offered' : 'nobody available: callback offered',
      },
      result: { route: 'callback', followUpId, promised: next, onThisNumber: verified !== undefined },
    };
  });
  const { promised, onThisNumber = false, ...fallback } = result;
  if (promised?.followUpId) {
    const record = promised;
    const followUpId = promised.followUpId;
    // Written once: a retry must not reopen a task that staff completed, nor drop a contact the customer left.
    if (!(await deps.followUps.getFollowUp(tenantId, followUpId))) {
      await deps.followUps.putFollowUp(tenantId, {
        id: followUpId,
        conversationId,
        status: 'open',
        reason: record.reason,
        lang: record.lang,
        createdAt: deps.clock.now().toISOString(),
        ...(record.contact ? { contact: record.contact } : {}),
      });
    }
    await tellCustomer(deps, tenantId, conversationId, handoffText.callback(record.lang, why, reachable.reopening, onThisNumber), undefined, 'system', `handoff:callback:${followUpId}`);
    const profile = await deps.tenants.getProfile(tenantId);
    // Once per callback: a retry after it went out sends none (the notice above is delivered again; the widget and channels de-duplicate).
    await emailStaffOnce(
      deps,
      followUpId,
      {
        tenantId,
        kind: 'handoff.callback',
        conversationId,
        subject: `Callback requested (${profile?.name ?? tenantId})`,
        text: `Nobody could join a conversation (${why === 'after_hours' ? 'outside business hours' : 'nobody available'}). ${
          onThisNumber && record.contact
            ? `The customer was told they will be contacted on the number they wrote from (${record.contact}), unless they leave another one`
            : 'The customer was asked for a phone number or e-mail address'
        }; a follow-up task was created.\nReason: ${record.reason}`,
      },
      'everyone',
    );
  }
  return fallback;
}

/** Registers the token that a return to the bot or a close answers. */
export async function stepAwaitOutcome(deps: HandoffDeps, input: { tenantId: string; conversationId: string; taskToken: string }): Promise<{ waiting: true }> {
  const stored = await deps.handoffs.putTaskToken(input.tenantId, input.conversationId, 'outcome', input.taskToken, ['accepted']);
  if (!stored) throw new HandoffOutcomeKnown('the conversation was already returned or closed');
  return { waiting: true };
}

export async function stepOutcome(deps: HandoffDeps, input: { tenantId: string; conversationId: string }): Promise<{ outcome: HandoffStatus | 'none' }> {
  const record = await deps.handoffs.getHandoff(input.tenantId, input.conversationId);
  return { outcome: record?.status ?? 'none' };
}

/** The one-question CSAT survey, once per handoff, when a person owned the conversation and closed it. */
export async function sendSurvey(deps: HandoffDeps, input: { tenantId: string; conversationId: string }): Promise<{ asked: boolean }> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const record = await deps.handoffs.getHandoff(input.tenantId, input.conversationId);
    if (!record || record.status !== 'closed' || !record.assignee || record.csat) return { asked: false };
    const next: HandoffRecord = { ...record, csat: { askedAt: deps.clock.now().toISOString() }, rev: record.rev + 1 };
    if (await deps.handoffs.saveHandoff(record, next)) {
      await tellCustomer(deps, input.tenantId, input.conversationId, handoffText.csatQuestion(record.lang), handoffText.csatOptions(), 'csat');
      return { asked: true };
    }
  }
  return { asked: false };
}

// ---- staff actions ---------------------------------------------------------------------------------

const staffRef = (actor: StaffActor): StaffRef => ({ sub: actor.sub, email: actor.email });

async function answerToken(deps: HandoffDeps, tenantId: string, conversationId: string, kinds: readonly ('accept' | 'outcome')[], output: Record<string, unknown>): Promise<boolean> {
  const token = await deps.handoffs.getTaskToken(tenantId, conversationId);
  if (!token || !kinds.includes(token.kind)) return false;
  return deps.callbacks.succeed(token.token, output);
}

/** An agent accepts a waiting conversation: it becomes theirs and the bot stays silent. */
export async function acceptHandoff(deps: HandoffDeps, actor: StaffActor, conversationId: string): Promise<HandoffRecord> {
  const { result, changed } = await change<HandoffRecord>(deps, actor.tenantId, conversationId, (conversation, record) => {
    // The record is read after the conversation: an accept that landed in between shows in the record only (two
    // agents clicking Accept at once), and the second is told who has it, not to take it over.
    const accepted = record?.status === 'accepted' ? record : undefined;
    if (accepted?.assignee?.sub === actor.sub && conversation.mode !== 'closed') return { done: accepted };
    if (conversation.mode === 'human' || accepted) throw conflict(`${record?.assignee?.email ?? 'another team member'} is already handling this conversation`);
    if (conversation.mode !== 'waiting_for_human' || !record || !openStatuses.includes(record.status)) {
      throw conflict('this conversation is not waiting for a person; take it over instead');
    }
    const next = bump(record, { status: 'accepted', assignee: staffRef(actor), acceptedAt: deps.clock.now().toISOString() });
    return { plan: { next, fromModes: ['waiting_for_human'], toMode: 'human', reason: 'accepted by an agent', by: actor.email }, result: next };
  });
  if (changed) await answerToken(deps, actor.tenantId, conversationId, ['accept'], { acceptedBy: actor.sub });
  return result;
}

/** A staff member takes a conversation from the bot (or accepts it when it is waiting). */
export async function takeOver(deps: HandoffDeps, actor: StaffActor, conversationId: string): Promise<HandoffRecord> {
  const conversation = await conversationOf(deps, actor.tenantId, conversationId);
  if (conversation.mode === 'waiting_for_human' || conversation.mode === 'human') return acceptHandoff(deps, actor, conversationId);
  const { slaSeconds } = await settingsOf(deps, actor.tenantId);
  const { result, changed } = await change<HandoffRecord>(deps, actor.tenantId, conversationId, (current, record) => {
    if (current.mode === 'closed') throw conflict('this conversation is closed');
    if (current.mode !== 'bot') throw conflict('this conversation changed meanwhile; reload it');
    const now = deps.clock.now().toISOString();
    const next: HandoffRecord = {
      tenantId: actor.tenantId,
      conversationId,
      status: 'accepted',
      reason: TAKEN_OVER,
      requestedAt: now,
      lang: customerLangOf(current),
      slaSeconds,
      assignee: staffRef(actor),
      acceptedAt: now,
      rev: (record?.rev ?? 0) + 1,
    };
    return { plan: { next, fromModes: ['bot'], toMode: 'human', reason: TAKEN_OVER, by: actor.email }, result: next };
  });
  // The workflow follows a takeover too, so a close ends with the survey like any handoff.
  if (changed) await deps.events.publish([{ type: 'handoff.requested', tenantId: actor.tenantId, detail: { conversationId, reason: TAKEN_OVER } }]);
  return result;
}

function mustOwn(actor: StaffActor, record: HandoffRecord | undefined, conversation: ConversationRecord): HandoffRecord {
  if (conversation.mode !== 'human' || !record || record.status !== 'accepted') throw conflict('a person does not own this conversation; accept or take it over first');
  if (record.assignee?.sub !== actor.sub) throw forbidden(`${record.assignee?.email ?? 'another agent'} owns this conversation`);
  return record;
}

/** The owner replies to the customer. A resend with the same clientId is stored once. */
export async function agentReply(deps: HandoffDeps, actor: StaffActor, conversationId: string, input: { text: string; clientId?: string }): Promise<MessageView> {
  const conversation = await conversationOf(deps, actor.tenantId, conversationId);
  mustOwn(actor, await deps.handoffs.getHandoff(actor.tenantId, conversationId), conversation);
  const stored = await deps.conversations.appendMessage(actor.tenantId, conversationId, { role: 'agent', text: input.text, ...(input.clientId ? { clientId: input.clientId } : {}) });
  if (!stored.duplicate) {
    await broadcast(deps, actor.tenantId, conversationId, { type: 'typing', on: false, role: 'agent', conversationId });
    await deliverToCustomer(deps, conversation, stored.message, 'agent');
    // Replying is reading: the customer's widget shows "Seen" under what they wrote.
    await staffRead(deps, actor.tenantId, conversationId);
  }
  return stored.message;
}

function mayEnd(actor: StaffActor, record: HandoffRecord | undefined, conversation: ConversationRecord): void {
  if (conversation.mode === 'human' && record?.assignee && record.assignee.sub !== actor.sub && !actor.groups.includes('admin')) {
    throw forbidden(`${record.assignee.email} owns this conversation`);
  }
}

/** The thread goes back to the bot. */
export async function returnToBot(deps: HandoffDeps, actor: StaffActor, conversationId: string): Promise<HandoffRecord> {
  const { result, changed } = await change<HandoffRecord>(deps, actor.tenantId, conversationId, (conversation, record) => {
    if (conversation.mode === 'bot') throw conflict('the assistant already answers this conversation');
    if (conversation.mode === 'closed' || !record) throw conflict('this conversation is closed');
    mayEnd(actor, record, conversation);
    const next = bump(record, { status: 'returned', endedAt: deps.clock.now().toISOString() });
    return { plan: { next, fromModes: ['human', 'waiting_for_human'], toMode: 'bot', reason: 'returned to the assistant', by: actor.email }, result: next };
  });
  if (changed) await answerToken(deps, actor.tenantId, conversationId, ['accept', 'outcome'], { outcome: 'returned' });
  return result;
}

/**
 * A handoff still waiting for a person (a promised callback) goes back to the bot, as a staff "return" does,
 * so the customer gets answers again; a conversation a person owns, or that already ended, is left alone.
 * `followUpId`: only the handoff that created that follow-up task. `fromWorkflow`: the workflow itself asks, so no
 * token of it waits to be answered.
 */
async function returnUnattended(
  deps: HandoffDeps,
  input: { tenantId: string; conversationId: string; reason: string; by?: string; followUpId?: string; fromWorkflow?: boolean },
): Promise<{ returned: boolean }> {
  const { tenantId, conversationId } = input;
  const { changed } = await change<boolean>(deps, tenantId, conversationId, (conversation, record) => {
    if (conversation.mode !== 'waiting_for_human' || !record || !openStatuses.includes(record.status)) return { done: false };
    if (input.followUpId !== undefined && record.followUpId !== input.followUpId) return { done: false };
    const next = bump(record, { status: 'returned', endedAt: deps.clock.now().toISOString() });
    return { plan: { next, fromModes: ['waiting_for_human'], toMode: 'bot', reason: input.reason, ...(input.by ? { by: input.by } : {}) }, result: true };
  });
  if (changed && !input.fromWorkflow) await answerToken(deps, tenantId, conversationId, ['accept', 'outcome'], { outcome: 'returned' });
  return { returned: changed !== undefined };
}

/** Nobody picked up a promised callback within the workflow's day: the bot answers the customer again. */
export async function stepCallbackExpired(deps: HandoffDeps, input: { tenantId: string; conversationId: string }): Promise<{ returned: boolean }> {
  return returnUnattended(deps, { ...input, reason: 'nobody picked up the callback within a day: returned to the assistant', fromWorkflow: true });
}

/**
 * How long the person who owns a conversation may leave it without a message before it goes back to the assistant:
 * the day the workflow's outcome wait lasts (`AwaitOutcome`'s TimeoutSeconds in state-machines/handoff.asl.json; a
 * test keeps the two equal). Their acceptance counts as their first message.
 */
export const OWNER_IDLE_SECONDS = 86_400;
const OWNER_IDLE_REASON = 'no reply from the team within a day: returned to the assistant';
/** Messages read per page while looking back for the owner's latest one. */
const IDLE_PAGE = 100;

/**
 * When the owner last wrote in the conversation (epoch ms): their latest `agent` message, else their acceptance.
 * Reads back from the newest message, only as far as `notBefore` (anything older cannot decide).
 */
async function lastStaffActivity(deps: HandoffDeps, conversation: ConversationRecord, record: HandoffRecord, notBefore: number): Promise<number> {
  const accepted = Date.parse(record.acceptedAt ?? record.requestedAt);
  const floor = Math.max(notBefore, accepted);
  for (let to = conversation.lastSeq ?? 0; to > 0; to -= IDLE_PAGE) {
    const page = await deps.conversations.listMessages(conversation.tenantId, conversation.conversationId, Math.max(0, to - IDLE_PAGE), Math.min(IDLE_PAGE, to));
    const newestFirst = page.filter((m) => m.seq <= to).reverse();
    for (const m of newestFirst) {
      const at = Date.parse(m.createdAt);
      if (at < floor) return accepted;
      if (m.role === 'agent') return Math.max(at, accepted);
    }
  }
  return accepted;
}

export type OwnerIdleRoute = 'released' | 'active' | 'ended' | 'done';

/**
 * The outcome wait ended with nobody returning or closing the conversation. When its owner has written nothing for
 * `OWNER_IDLE_SECONDS`, it goes back to the bot as a staff "return" does: the customer is told on every channel (a
 * web customer is rarely still on the page a day later, and finds the notice in the conversation), the inbox and
 * the bus hear of it, and the transition is recorded. Otherwise `active`, with the seconds until it would be idle.
 * Only this execution's handoff, while a person still owns it; the write is conditional on the mode, the record's
 * revision and the message counter, so a close, a return, a new owner or a reply that lands meanwhile wins.
 * `ended`: the handoff was returned or closed (the workflow reads the outcome); `done`: another handoff of the
 * conversation, followed by its own execution. A retry after the release says `released` again, and delivers the
 * customer's notice again (stored once).
 */
export async function stepOwnerIdle(
  deps: HandoffDeps,
  input: { tenantId: string; conversationId: string; executionId: string },
): Promise<{ route: OwnerIdleRoute; waitSeconds?: number }> {
  const { tenantId, conversationId, executionId } = input;
  type Idle = { route: OwnerIdleRoute; waitSeconds?: number; retell?: { conversation: ConversationRecord; record: HandoffRecord } };
  const { result } = await change<Idle>(deps, tenantId, conversationId, async (conversation, record) => {
    if (!record || record.executionId !== executionId) return { done: { route: 'done' } };
    if (conversation.mode !== 'human' || record.status !== 'accepted') {
      if (record.status === 'returned' && conversation.mode === 'bot') {
        const last = (await deps.handoffs.listTransitions(tenantId, conversationId)).at(-1);
        if (last?.reason === OWNER_IDLE_REASON && last.fromStatus === 'accepted') return { done: { route: 'released', retell: { conversation, record } } };
      }
      return { done: { route: 'ended' } };
    }
    const now = deps.clock.now().getTime();
    const idleFrom = (await lastStaffActivity(deps, conversation, record, now - OWNER_IDLE_SECONDS * 1000)) + OWNER_IDLE_SECONDS * 1000;
    if (now < idleFrom) return { done: { route: 'active', waitSeconds: Math.max(1, Math.ceil((idleFrom - now) / 1000)) } };
    const next = bump(record, { status: 'returned', endedAt: new Date(now).toISOString() });
    return {
      plan: { next, fromModes: ['human'], toMode: 'bot', reason: OWNER_IDLE_REASON, notice: 'waiting', lastSeq: conversation.lastSeq ?? 0 },
      result: { route: 'released' },
    };
  });
  const { retell, ...idle } = result;
  if (retell) await tellBackToAssistant(deps, retell.conversation, retell.record, 'waiting');
  return idle;
}

/** The conversation ends; when a person owned it, the customer gets the satisfaction question. */
export async function closeConversation(deps: HandoffDeps, actor: StaffActor, conversationId: string): Promise<HandoffRecord> {
  const { slaSeconds } = await settingsOf(deps, actor.tenantId);
  const { result, changed } = await change<HandoffRecord>(deps, actor.tenantId, conversationId, (conversation, record) => {
    if (conversation.mode === 'closed') throw conflict('this conversation is already closed');
    mayEnd(actor, record, conversation);
    const now = deps.clock.now().toISOString();
    const next: HandoffRecord = record
      ? bump(record, { status: 'closed', endedAt: now })
      : { tenantId: actor.tenantId, conversationId, status: 'closed', reason: 'closed by staff', requestedAt: now, lang: customerLangOf(conversation), slaSeconds, endedAt: now, rev: 1 };
    return { plan: { next, fromModes: ['bot', 'human', 'waiting_for_human'], toMode: 'closed', reason: 'closed by staff', by: actor.email }, result: next };
  });
  if (changed) {
    // The close is saved: a failure to tell the workflow must not fail the request (its retry would be a 409).
    const answered = await answerToken(deps, actor.tenantId, conversationId, ['accept', 'outcome'], { outcome: 'closed' }).catch((error: unknown) => {
      warn('could not tell the handoff workflow about a close; the survey is sent directly', { tenantId: actor.tenantId, conversationId }, error);
      return false;
    });
    // The workflow sends the survey; with no workflow waiting on this handoff, send it here (it is sent once either way).
    if (!answered) await sendSurvey(deps, { tenantId: actor.tenantId, conversationId });
  }
  return result;
}

// ---- live signals ----------------------------------------------------------------------------------

/** A staff frame on a connection whose sign-in ended: the client should reconnect with a fresh token. */
export class StaffSessionEnded extends DomainError {
  constructor() {
    super('unauthorized', 'Your sign-in has ended: reconnect with a fresh token.');
  }
}

/**
 * Checked before every staff frame: the token the connection was opened with has not expired (`expiresAt`, its
 * `exp`: API Gateway keeps a connection 2 hours, pings defeat the idle timeout), and its presence record is still
 * there (disabling the member removes it, core/team.ts). Otherwise the connection is forgotten (no inbox frames,
 * no conversation) and `StaffSessionEnded` is thrown.
 */
export async function assertStaffConnectionLive(
  deps: Pick<HandoffDeps, 'staff' | 'connections' | 'clock'>,
  caller: { tenantId: string; connectionId: string; expiresAt?: number },
): Promise<void> {
  // A token's expiry is a real-world instant (the verifier checked it against the real time): compared with the
  // real time, not the business clock, which tests and the local cloud may set to another day.
  const expired = caller.expiresAt !== undefined && caller.expiresAt * 1000 <= Date.now();
  if (!expired && (await deps.staff.getStaffConnection(caller.tenantId, caller.connectionId))) return;
  await deps.staff.removeStaffConnection(caller.tenantId, caller.connectionId);
  await deps.connections.removeConnection(caller.tenantId, caller.connectionId);
  throw new StaffSessionEnded();
}

/**
 * Subscribes a staff connection to one conversation (replacing the previous one) and tells it the mode. Watching
 * is reading: while a person is involved, the customer gets a `receipt` (core/receipts.ts).
 */
export async function watchConversation(deps: HandoffDeps, actor: StaffActor & { connectionId: string }, conversationId: string): Promise<void> {
  const conversation = await deps.conversations.getConversation(actor.tenantId, conversationId);
  if (!conversation) throw new DomainError('no_conversation', 'no such conversation');
  await deps.connections.subscribe(actor.tenantId, actor.connectionId, conversationId);
  await deps.pusher.push(actor.connectionId, { type: 'state', id: `watch:${conversationId}:${conversation.mode}`, mode: conversation.mode });
  await staffRead(deps, actor.tenantId, conversationId, actor.connectionId);
}

/** The owner's typing indicator, to everyone else watching the conversation (the customer included). */
export async function agentTyping(deps: HandoffDeps, actor: StaffActor & { connectionId: string }, conversationId: string, on: boolean): Promise<void> {
  const conversation = await deps.conversations.getConversation(actor.tenantId, conversationId);
  if (!conversation) throw new DomainError('no_conversation', 'no such conversation');
  if (conversation.mode !== 'human') return;
  const record = await deps.handoffs.getHandoff(actor.tenantId, conversationId);
  if (record?.assignee?.sub !== actor.sub) return;
  const subscribers = await deps.connections.listSubscribers(actor.tenantId, conversationId);
  await Promise.all(subscribers.filter((c) => c !== actor.connectionId).map((c) => deps.pusher.push(c, { type: 'typing', on, role: 'agent', conversationId }).catch(() => false)));
}

/** The customer's typing indicator, to the staff watching the conversation while a person owns it or is awaited. */
export async function customerTyping(deps: HandoffDeps, caller: { tenantId: string; connectionId: string }, on: boolean): Promise<void> {
  const connection = await deps.connections.getConnection(caller.tenantId, caller.connectionId);
  if (!connection?.conversationId) return;
  const conversation = await deps.conversations.getConversation(caller.tenantId, connection.conversationId);
  if (!conversation || (conversation.mode !== 'human' && conversation.mode !== 'waiting_for_human')) return;
  const [subscribers, staff] = await Promise.all([deps.connections.listSubscribers(caller.tenantId, conversation.conversationId), deps.staff.listStaffConnections(caller.tenantId)]);
  const staffIds = new Set(staff.map((s) => s.connectionId));
  await Promise.all(subscribers.filter((c) => staffIds.has(c)).map((c) => deps.pusher.push(c, { type: 'typing', on, role: 'customer', conversationId: conversation.conversationId }).catch(() => false)));
}

// ---- customer messages while a person is involved ----------------------------------------------------

/**
 * A customer message in a conversation that is not the bot's (EventBridge `message.received`): a CSAT
 * answer after a close, a contact left for a callback, or just news for the staff inbox.
 */
export async function onCustomerMessage(deps: HandoffDeps, input: { tenantId: string; conversationId: string; seq: number }): Promise<{ handled: 'csat' | 'contact' | 'asked_contact' | 'notified' | 'ignored' }> {
  const { tenantId, conversationId } = input;
  const conversation = await deps.conversations.getConversation(tenantId, conversationId);
  if (!conversation || conversation.mode === 'bot') return { handled: 'ignored' };
  const [message] = await deps.conversations.listMessages(tenantId, conversationId, input.seq - 1, 1);
  if (!message || message.seq !== input.seq || message.role !== 'customer') return { handled: 'ignored' };

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const record = await deps.handoffs.getHandoff(tenantId, conversationId);
    if (!record) break;
    if (conversation.mode === 'closed' && record.csat && record.csat.score === undefined) {
      const score = csatScoreIn(message.text);
      if (score === undefined) break;
      const next: HandoffRecord = { ...record, csat: { ...record.csat, score, answeredAt: deps.clock.now().toISOString() }, rev: record.rev + 1 };
      if (!(await deps.handoffs.saveHandoff(record, next))) continue;
      await tellCustomer(deps, tenantId, conversationId, handoffText.csatThanks(record.lang));
      await deps.events.publish([{ type: 'handoff.csat', tenantId, detail: { conversationId, score, ...(record.assignee ? { agent: record.assignee.sub } : {}) } }]);
      await notifyStaff(deps, tenantId, inboxFrame(deps, 'csat', conversationId, conversation.mode));
      return { handled: 'csat' };
    }
    if (conversation.mode === 'waiting_for_human' && record.status === 'callback') {
      // While the callback is open, a contact the customer writes is the one to use, also after an earlier one (the
      // WhatsApp or SMS number the callback started with, or a number they correct): it is read back to them.
      const contact = await callbackContactIn(deps, tenantId, message.text);
      if (!contact) {
        if (record.contact) break;
        // Asked once per callback (a fixed id stores it once): after that, what the customer writes is for the team.
        const asked = await deps.conversations.appendMessage(tenantId, conversationId, {
          role: 'system',
          text: handoffText.contactAgain(record.lang),
          clientId: `handoff:contact-again:${record.followUpId ?? stableId(record.executionId ?? record.requestedAt)}`,
        });
        // Already asked for an earlier message: not again. Stored after this one: this event's retry (its delivery
        // may have failed), delivered again.
        if (asked.duplicate && asked.message.seq < message.seq) break;
        await deliverToCustomer(deps, conversation, asked.message, 'system');
        return { handled: 'asked_contact' };
      }
      if (contact !== record.contact) {
        const next: HandoffRecord = { ...record, contact, rev: record.rev + 1 };
        if (!(await deps.handoffs.saveHandoff(record, next))) continue;
        if (record.followUpId) {
          const task = await deps.followUps.getFollowUp(tenantId, record.followUpId);
          if (task) await deps.followUps.putFollowUp(tenantId, { ...task, contact });
        }
      }
      // Keyed by the message: a retry of this event (the contact already saved) reads it back once, not twice.
      await tellCustomer(deps, tenantId, conversationId, handoffText.contactReceived(record.lang, contact), undefined, 'system', `handoff:contact:${message.seq}`);
      await notifyStaff(deps, tenantId, inboxFrame(deps, 'callback', conversationId, conversation.mode, { reason: 'contact left for a callback' }));
      return { handled: 'contact' };
    }
    break;
  }
  if (conversation.mode === 'closed') return { handled: 'ignored' };
  await notifyStaff(deps, tenantId, inboxFrame(deps, 'message', conversationId, conversation.mode));
  return { handled: 'notified' };
}

// ---- the inbox ---------------------------------------------------------------------------------------

export type InboxQueue = 'waiting' | 'mine' | 'all';

export interface InboxItem {
  readonly conversationId: string;
  readonly mode: ConversationMode;
  readonly status?: HandoffStatus;
  readonly reason?: string;
  readonly requestedAt?: string;
  readonly assignee?: StaffRef;
  readonly contact?: string;
  readonly lang: string;
  readonly channel: ConversationRecord['channel'];
  readonly customerLabel: string;
  readonly lastMessageAt: string;
  readonly lastMessagePreview: string;
  readonly messageCount: number;
}

/** "Visitor 3fa9c1" on the web; "WhatsApp +34600111222", "SMS …", "Messenger …" on the other channels. */
export const customerLabelOf = (c: Pick<ConversationRecord, 'visitorId'>): string => identityLabel(c.visitorId) ?? `Visitor ${c.visitorId.slice(0, 6)}`;

function itemOf(c: ConversationRecord, entry?: { status: HandoffStatus; reason: string; requestedAt: string; assignee?: StaffRef; contact?: string }): InboxItem {
  return {
    conversationId: c.conversationId,
    mode: c.mode,
    lang: c.lang,
    channel: c.channel,
    customerLabel: customerLabelOf(c),
    lastMessageAt: c.lastMessageAt,
    lastMessagePreview: c.lastMessagePreview,
    messageCount: c.messageCount,
    ...(entry
      ? { status: entry.status, reason: entry.reason, requestedAt: entry.requestedAt, ...(entry.assignee ? { assignee: entry.assignee } : {}), ...(entry.contact ? { contact: entry.contact } : {}) }
      : {}),
  };
}

/** waiting: handoffs nobody owns yet (oldest first); mine: the caller's; all: every active handoff, then recent conversations. */
export async function listInbox(deps: HandoffDeps, actor: StaffActor, queue: InboxQueue): Promise<{ items: InboxItem[]; counts: Record<InboxQueue, number> }> {
  const entries = await deps.handoffs.listInbox(actor.tenantId);
  const active = (
    await Promise.all(
      entries.map(async (e) => {
        const c = await deps.conversations.getConversation(actor.tenantId, e.conversationId);
        return c ? itemOf(c, e) : undefined;
      }),
    )
  ).filter((i): i is InboxItem => i !== undefined);
  const waiting = active.filter((i) => i.status !== undefined && openStatuses.includes(i.status)).sort((a, b) => (a.requestedAt ?? '').localeCompare(b.requestedAt ?? ''));
  const mine = active.filter((i) => i.status === 'accepted' && i.assignee?.sub === actor.sub).sort((a, b) => b.lastMessageAt.localeCompare(a.lastMessageAt));
  const counts = { waiting: waiting.length, mine: mine.length, all: active.length };
  if (queue === 'waiting') return { items: waiting, counts };
  if (queue === 'mine') return { items: mine, counts };
  const recent = await deps.conversations.listConversations(actor.tenantId, 50);
  const seen = new Set(active.map((i) => i.conversationId));
  const rest = recent.items.filter((c) => !seen.has(c.conversationId)).map((c) => itemOf(c));
  const byActivity = [...active].sort((a, b) => b.lastMessageAt.localeCompare(a.lastMessageAt));
  return { items: [...byActivity, ...rest], counts: { ...counts, all: byActivity.length + rest.length } };
}

/** One conversation for the inbox: full history, customer details, the handoff and its transitions. */
export async function inboxConversation(deps: HandoffDeps, actor: StaffActor, conversationId: string) {
  const conversation = await conversationOf(deps, actor.tenantId, conversationId);
  const [messages, record, transitions] = await Promise.all([
    deps.conversations.listMessages(actor.tenantId, conversationId, 0, 1000),
    deps.handoffs.getHandoff(actor.tenantId, conversationId),
    deps.handoffs.listTransitions(actor.tenantId, conversationId),
  ]);
  return {
    conversation: {
      conversationId,
      mode: conversation.mode,
      channel: conversation.channel,
      lang: conversation.lang,
      createdAt: conversation.createdAt,
      lastMessageAt: conversation.lastMessageAt,
      messageCount: conversation.messageCount,
      // Read receipts (core/receipts.ts); live updates arrive as `receipt` frames.
      ...(conversation.customerReadSeq !== undefined ? { customerReadSeq: conversation.customerReadSeq } : {}),
      ...(conversation.staffReadSeq !== undefined ? { staffReadSeq: conversation.staffReadSeq } : {}),
    },
    customer: {
      label: customerLabelOf(conversation),
      lang: conversation.lang,
      channel: conversation.channel,
      firstSeenAt: conversation.createdAt,
      ...(record?.contact ? { contact: record.contact } : {}),
    },
    handoff: record
      ? {
          status: record.status,
          reason: record.reason,
          requestedAt: record.requestedAt,
          slaSeconds: record.slaSeconds,
          ...(record.assignee ? { assignee: record.assignee } : {}),
          ...(record.acceptedAt ? { acceptedAt: record.acceptedAt } : {}),
          ...(record.endedAt ? { endedAt: record.endedAt } : {}),
          ...(record.contact ? { contact: record.contact } : {}),
          ...(record.followUpId ? { followUpId: record.followUpId } : {}),
          ...(record.csat ? { csat: record.csat } : {}),
        }
      : null,
    transitions,
    messages,
  };
}

/** The callback was made: the task is done, and a conversation still waiting on it goes back to the bot. */
export async function completeFollowUp(deps: HandoffDeps, actor: StaffActor, followUpId: string) {
  const task = await deps.followUps.getFollowUp(actor.tenantId, followUpId);
  if (!task) throw notFound('no such follow-up task');
  const done = task.status === 'done' ? task : { ...task, status: 'done' as const, doneAt: deps.clock.now().toISOString(), doneBy: actor.email };
  if (done !== task) await deps.followUps.putFollowUp(actor.tenantId, done);
  // Also for a task already done: a retry after a failure here completes the return.
  await returnUnattended(deps, { tenantId: actor.tenantId, conversationId: task.conversationId, reason: 'follow-up done: returned to the assistant', by: actor.email, followUpId });
  return done;
}
