/**
 * One customer across channels. A customer is keyed by their normalised phone or e-mail
 * (`customerKeyOf` in core/booking/service.ts, the key their bookings live under) and links the
 * channel identities they wrote from: `web:<visitorId>`, `whatsapp:+34…`, `sms:+34…`, `messenger:<PSID>`.
 *
 * A WhatsApp or SMS sender's number is verified by the carrier, so those identities belong to the
 * customer with that phone from the first message. A web visitor or a Messenger user joins a customer
 * once they give a phone or an e-mail in the conversation (the booking dialog's known contact).
 */
import { customerKeyOf } from '../booking/service';
import { ConversationStartRaced } from '../errors';
import type { ConversationRecord, ConversationStore, EventPublisher, StartConversationOptions } from '../ports';

/** The messaging channels that reach Concierge through provider webhooks. */
export type MessagingChannel = 'whatsapp' | 'sms' | 'messenger';
export const messagingChannels: readonly MessagingChannel[] = ['whatsapp', 'sms', 'messenger'];

/** A conversation of a customer, as listed for the staff inbox. */
export interface CustomerConversationRef {
  readonly conversationId: string;
  readonly channel: ConversationRecord['channel'];
  readonly identity: string;
  readonly createdAt: string;
}

/** Links between channel identities, customers and their conversations. */
export interface IdentityStore {
  /** The customer key the identity is linked to, if any. */
  getIdentityCustomer(tenantId: string, identity: string): Promise<string | undefined>;
  /** Links the identity to the customer (replacing an earlier link); idempotent. */
  linkIdentity(tenantId: string, identity: string, customerKey: string): Promise<void>;
  /** Records that the conversation is the customer's; idempotent. */
  addCustomerConversation(tenantId: string, customerKey: string, ref: CustomerConversationRef): Promise<void>;
  /** The customer's conversations, newest first. */
  listCustomerConversations(tenantId: string, customerKey: string, limit: number): Promise<CustomerConversationRef[]>;
  /** The customer's identities. */
  listCustomerIdentities(tenantId: string, customerKey: string): Promise<string[]>;
  /**
   * Records that the customer exists (a conditional write): true only the first time for this customer key, so
   * `customer.created` is published once per customer however many conversations and retries link them.
   */
  createCustomer?(tenantId: string, customerKey: string, first: { readonly identity: string; readonly conversationId: string }): Promise<boolean>;
}

export interface IdentityDeps {
  readonly identities: IdentityStore;
  readonly conversations: Pick<ConversationStore, 'getConversation'>;
}

/** The identity of a sender on a channel: `whatsapp:+34600111222`, `messenger:<PSID>`. */
export const identityOf = (channel: MessagingChannel, from: string): string => `${channel}:${from}`;

/** The identity behind a conversation: channel conversations store it as their visitor id; web ones a widget visitor id. */
export const conversationIdentity = (c: Pick<ConversationRecord, 'channel' | 'visitorId'>): string => (c.channel === 'web' ? `web:${c.visitorId}` : c.visitorId);

/** The verified phone of a phone-channel identity (`whatsapp:+34…` / `sms:+34…`); undefined otherwise. */
export function verifiedPhoneOf(identity: string): string | undefined {
  const match = /^(?:whatsapp|sms):(\+[1-9]\d{6,14})$/.exec(identity);
  return match?.[1];
}

/** A short, human label for the inbox: "WhatsApp +34 …1222", "SMS +34 …1222", "Messenger user", or undefined for the web. */
export function identityLabel(identity: string): string | undefined {
  const phone = verifiedPhoneOf(identity);
  if (identity.startsWith('whatsapp:') && phone) return `WhatsApp ${phone}`;
  if (identity.startsWith('sms:') && phone) return `SMS ${phone}`;
  if (identity.startsWith('messenger:')) return `Messenger ${identity.slice('messenger:'.length, 'messenger:'.length + 6)}`;
  return undefined;
}

/**
 * The visitor pointer as read: the conversation id it holds (kept even when retention already hides that
 * conversation, so a new one can be started over it) and the conversation, when there is one to show.
 */
export async function visitorPointerOf(
  deps: { readonly conversations: Pick<ConversationStore, 'getVisitorConversation' | 'getConversation'> },
  tenantId: string,
  visitorId: string,
): Promise<{ readonly pointer: string | undefined; readonly current: ConversationRecord | undefined }> {
  const pointer = await deps.conversations.getVisitorConversation(tenantId, visitorId);
  return { pointer, current: pointer ? await deps.conversations.getConversation(tenantId, pointer) : undefined };
}

/**
 * The identity's conversation to write in: `keep` says whether the one its pointer holds will do; otherwise a new one is started over that pointer. When another message started one in the same moment
 * (two texts from a new number within a second, a webhook delivered twice at once), the pointer is read again and
 * its conversation, the winner's, is kept: one conversation, not two answering in parallel (decision 93).
 */
export async function conversationOfIdentity(
  deps: { readonly conversations: Pick<ConversationStore, 'getVisitorConversation' | 'getConversation'> },
  tenantId: string,
  identity: string,
  keep: (current: ConversationRecord) => Promise<boolean>,
  start: (replacing: string | undefined) => Promise<ConversationRecord>,
): Promise<{ readonly conversation: ConversationRecord; readonly started: boolean }> {
  for (let attempt = 1; ; attempt++) {
    const { pointer, current } = await visitorPointerOf(deps, tenantId, identity);
    if (current && (await keep(current))) return { conversation: current, started: false };
    try {
      return { conversation: await start(pointer), started: true };
    } catch (error) {
      // A loser re-reads once or twice; a pointer that keeps moving under it is a fault worth surfacing.
      if (!(error instanceof ConversationStartRaced) || attempt >= 3) throw error;
    }
  }
}

/**
 * Starts a channel identity's conversation: a phone channel's verified number goes in its context (the booking
 * dialog knows it) and the conversation is recorded under that customer (`linkConversation`). `beforeLink` runs
 * between the two (an inbound message publishes `conversation.started` there).
 */
export async function startChannelConversation(
  deps: Pick<IdentityDeps, 'identities'> & {
    readonly conversations: Pick<ConversationStore, 'startConversation' | 'updateConversationContext'>;
    readonly events?: EventPublisher;
  },
  tenantId: string,
  channel: MessagingChannel,
  identity: string,
  lang: string,
  options: StartConversationOptions,
  beforeLink?: (conversation: ConversationRecord) => Promise<void>,
): Promise<ConversationRecord> {
  const started = await deps.conversations.startConversation(tenantId, identity, lang, channel, options);
  const phone = verifiedPhoneOf(identity);
  const conversation: ConversationRecord = phone ? { ...started, context: { contact: { phone } } } : started;
  if (phone) await deps.conversations.updateConversationContext?.(tenantId, conversation.conversationId, { contact: { phone } });
  await beforeLink?.(conversation);
  await linkConversation(deps, conversation, phone ? { phone } : {});
  return conversation;
}

/**
 * Records the conversation under its customer: the verified phone of a phone channel, else the contact the
 * customer gave (phone, then e-mail), else the customer the identity was linked to before. Returns the key.
 */
export async function linkConversation(
  deps: Pick<IdentityDeps, 'identities'> & { readonly events?: EventPublisher },
  conversation: Pick<ConversationRecord, 'tenantId' | 'conversationId' | 'channel' | 'visitorId' | 'createdAt'>,
  contact: { readonly phone?: string | undefined; readonly email?: string | undefined; readonly name?: string | undefined } = {},
): Promise<string | undefined> {
  const identity = conversationIdentity(conversation);
  const verified = verifiedPhoneOf(identity);
  const given = customerKeyOf({ phone: contact.phone }) ?? customerKeyOf({ email: contact.email });
  const customerKey = (verified ? customerKeyOf({ phone: verified }) : undefined) ?? given ?? (await deps.identities.getIdentityCustomer(conversation.tenantId, identity));
  if (!customerKey) return undefined;
  await deps.identities.linkIdentity(conversation.tenantId, identity, customerKey);
  await announceCustomer(deps, conversation, identity, customerKey, contact.name);
  await deps.identities.addCustomerConversation(conversation.tenantId, customerKey, {
    conversationId: conversation.conversationId,
    channel: conversation.channel,
    identity,
    createdAt: conversation.createdAt,
  });
  // Every other contact given is another way to reach the same person: a phone given on a phone channel that differs
  // from the sender's number, an e-mail given with a phone. The conversation is recorded under each, so a data request
  // by any of them finds it (decision 99); the identity stays linked to the first.
  const others = [customerKeyOf({ phone: contact.phone }), customerKeyOf({ email: contact.email })].filter((k): k is string => k !== undefined && k !== customerKey);
  for (const other of new Set(others)) {
    await deps.identities.addCustomerConversation(conversation.tenantId, other, {
      conversationId: conversation.conversationId,
      channel: conversation.channel,
      identity,
      createdAt: conversation.createdAt,
    });
  }
  return customerKey;
}

/**
 * Publishes `customer.created` when this link made the customer (the store's conditional write says so). A crash
 * between the write and the publish loses the event: at most once, like every first-write signal here.
 */
async function announceCustomer(
  deps: Pick<IdentityDeps, 'identities'> & { readonly events?: EventPublisher },
  conversation: Pick<ConversationRecord, 'tenantId' | 'conversationId' | 'channel'>,
  identity: string,
  customerKey: string,
  name: string | undefined,
): Promise<void> {
  if (!deps.events || !deps.identities.createCustomer) return;
  const created = await deps.identities.createCustomer(conversation.tenantId, customerKey, { identity, conversationId: conversation.conversationId });
  if (!created) return;
  await deps.events.publish([
    {
      type: 'customer.created',
      tenantId: conversation.tenantId,
      detail: { customerKey, identity, channel: conversation.channel, conversationId: conversation.conversationId, ...(name?.trim() ? { name: name.trim() } : {}) },
    },
  ]);
}

/** The customer behind a conversation, their identities, and their conversations on every channel (newest first). */
export async function listCustomerConversations(
  deps: IdentityDeps,
  tenantId: string,
  conversationId: string,
  limit = 20,
): Promise<{ customerKey?: string; identities: string[]; conversations: (CustomerConversationRef & Pick<ConversationRecord, 'mode' | 'lastMessageAt' | 'lastMessagePreview'>)[] }> {
  const conversation = await deps.conversations.getConversation(tenantId, conversationId);
  if (!conversation) return { identities: [], conversations: [] };
  const identity = conversationIdentity(conversation);
  const verified = verifiedPhoneOf(identity);
  const customerKey = (verified ? customerKeyOf({ phone: verified }) : undefined) ?? (await deps.identities.getIdentityCustomer(tenantId, identity));
  if (!customerKey) return { identities: [identity], conversations: [] };
  const [refs, identities] = await Promise.all([
    deps.identities.listCustomerConversations(tenantId, customerKey, limit),
    deps.identities.listCustomerIdentities(tenantId, customerKey),
  ]);
  const records = await Promise.all(refs.map((r) => deps.conversations.getConversation(tenantId, r.conversationId)));
  const conversations = refs.flatMap((ref, i) => {
    const record = records[i];
    return record ? [{ ...ref, mode: record.mode, lastMessageAt: record.lastMessageAt, lastMessagePreview: record.lastMessagePreview }] : [];
  });
  return { customerKey, identities: [...new Set([identity, ...identities])].sort(), conversations };
}
