/**
 * Staff REST routes of the live inbox: queues, one conversation with its
 * handoff, accept / take over / reply / return to the bot / close, handoff
 * settings and canned replies, follow-up tasks and the e-mail outbox. The
 * tenant always comes from the verified token; roles come from the route's
 * `auth` in the declaration (agents cannot change settings).
 */
import { z } from 'zod';
import { handoffDeps, handoffStore } from '../adapters/container';
import { unauthorized } from '../core/errors';
import {
  acceptHandoff,
  agentReply,
  closeConversation,
  completeFollowUp,
  inboxConversation,
  listInbox,
  returnToBot,
  settingsOf,
  takeOver,
  type StaffActor,
} from '../core/handoff';
import { handoffSettingsSchema, type HandoffRecord } from '../core/handoff-ports';
import { typedTextSchema } from '../core/protocol';
import { restApi, type RestRequest } from './lib/rest';
import { auditFields } from '../core/audit';

function actorOf(request: RestRequest): StaffActor {
  if (!request.caller) throw unauthorized('sign in to use this route');
  return request.caller;
}

const id = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'must be 8-64 characters of A-Z a-z 0-9 _ -');
const conversationPath = z.object({ conversationId: id });
const followUpPath = z.object({ followUpId: id });
const inboxQuery = z.object({ queue: z.enum(['waiting', 'mine', 'all']).default('waiting') });
/** A page size (the shared `limit` query parameter): anything but a whole number from 1 to 100 is refused naming `limit`. */
const pageQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(50) });
// Cleaned and checked as the customer's own messages are: no control characters, something visible.
const replyBody = z.strictObject({ text: typedTextSchema, clientId: id.optional() });
const settingsBody = handoffSettingsSchema.superRefine((s, ctx) => {
  const seen = new Set<string>();
  s.cannedReplies.forEach((r, i) => {
    if (seen.has(r.id)) ctx.addIssue({ code: 'custom', path: ['cannedReplies', i, 'id'], message: `duplicate id ${r.id}` });
    seen.add(r.id);
  });
});

/** What the API says about a handoff: never its task token or workflow execution. */
function handoffView(r: HandoffRecord) {
  return {
    conversationId: r.conversationId,
    status: r.status,
    reason: r.reason,
    requestedAt: r.requestedAt,
    slaSeconds: r.slaSeconds,
    ...(r.assignee ? { assignee: r.assignee } : {}),
    ...(r.acceptedAt ? { acceptedAt: r.acceptedAt } : {}),
    ...(r.endedAt ? { endedAt: r.endedAt } : {}),
  };
}

export const handler = restApi('staffApi', {
  listInbox: async (request) => {
    const { queue } = inboxQuery.parse(request.query);
    return { body: { queue, ...(await listInbox(handoffDeps(), actorOf(request), queue)) } };
  },
  getInboxConversation: async (request) => {
    const { conversationId } = conversationPath.parse(request.path);
    return { body: await inboxConversation(handoffDeps(), actorOf(request), conversationId) };
  },
  acceptHandoff: async (request) => {
    const { conversationId } = conversationPath.parse(request.path);
    return { body: { handoff: handoffView(await acceptHandoff(handoffDeps(), actorOf(request), conversationId)) } };
  },
  takeOverConversation: async (request) => {
    const { conversationId } = conversationPath.parse(request.path);
    const before = await handoffDeps().conversations.getConversation(actorOf(request).tenantId, conversationId);
    const handoff = handoffView(await takeOver(handoffDeps(), actorOf(request), conversationId));
    return { body: { handoff }, audit: { before: auditFields(before, ['mode']), after: { mode: 'human', status: handoff.status } } };
  },
  sendAgentMessage: async (request) => {
    const { conversationId } = conversationPath.parse(request.path);
    const body = replyBody.parse(request.body);
    const message = await agentReply(handoffDeps(), actorOf(request), conversationId, body);
    return { status: 201, body: { message } };
  },
  returnToBot: async (request) => {
    const { conversationId } = conversationPath.parse(request.path);
    return { body: { handoff: handoffView(await returnToBot(handoffDeps(), actorOf(request), conversationId)) } };
  },
  closeConversation: async (request) => {
    const { conversationId } = conversationPath.parse(request.path);
    return { body: { handoff: handoffView(await closeConversation(handoffDeps(), actorOf(request), conversationId)) } };
  },
  getHandoffSettings: async (request) => {
    return { body: await settingsOf(handoffDeps(), actorOf(request).tenantId) };
  },
  putHandoffSettings: async (request) => {
    const actor = actorOf(request);
    const settings = settingsBody.parse(request.body);
    const before = await settingsOf(handoffDeps(), actor.tenantId);
    await handoffStore().putHandoffSettings(actor.tenantId, settings);
    const summary = (s: typeof settings) => ({ slaSeconds: s.slaSeconds, cannedReplies: s.cannedReplies.map((r) => r.title) });
    return { body: settings, audit: { before: summary(before), after: summary(settings) } };
  },
  listFollowUps: async (request) => {
    const { limit } = pageQuery.parse(request.query);
    return { body: { items: await handoffStore().listFollowUps(actorOf(request).tenantId, limit) } };
  },
  completeFollowUp: async (request) => {
    const { followUpId } = followUpPath.parse(request.path);
    return { body: { followUp: await completeFollowUp(handoffDeps(), actorOf(request), followUpId) } };
  },
  listOutbox: async (request) => {
    const { limit } = pageQuery.parse(request.query);
    return { body: { items: await handoffStore().listOutbox(actorOf(request).tenantId, limit) } };
  },
});
