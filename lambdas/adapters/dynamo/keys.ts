/**
 * Every access pattern of the single table, named in one place. Every
 * partition key begins with `T#<tenantId>` so IAM `dynamodb:LeadingKeys` can
 * confine a tenant-scoped role. Tested offline in test/unit/keys.test.ts.
 */
import { isTenantId } from '../../core/ids';

export interface Key {
  readonly pk: string;
  readonly sk: string;
}

const SEQ_WIDTH = 10;

function t(tenantId: string): string {
  if (!isTenantId(tenantId)) throw new Error(`invalid tenant id in key: ${JSON.stringify(tenantId)}`);
  return `T#${tenantId}`;
}

function safe(part: string, what: string): string {
  if (part.length === 0 || part.includes('#')) throw new Error(`invalid ${what} in key: ${JSON.stringify(part)}`);
  return part;
}

export const pad = (n: number): string => String(n).padStart(SEQ_WIDTH, '0');

export const keys = {
  tenantProfile: (tenantId: string): Key => ({ pk: t(tenantId), sk: 'PROFILE' }),

  /** Knowledge base items of one version live in their own partition; switching version is one conditional update. */
  kbPartition: (tenantId: string, version: number): string => `${t(tenantId)}#KB#${version}`,
  kbItem: (tenantId: string, version: number, kind: 'BUSINESS' | 'HOURS' | 'SERVICE' | 'STAFF' | 'FAQ' | 'DOC' | 'PASSAGE', id = ''): Key => ({
    pk: keys.kbPartition(tenantId, version),
    sk: id ? `${kind}#${safeOrChunk(id)}` : kind,
  }),

  /**
   * Which partition holds the current knowledge base. `kbVersion` on the profile changes with every knowledge
   * change (indexes cache by it); the partition changes only with a whole import. Absent: the partition is `kbVersion`.
   */
  kbHead: (tenantId: string): Key => ({ pk: t(tenantId), sk: 'KBHEAD' }),
  /** The newest knowledge-base version the knowledge indexer has written to the search collection (OpenSearch only). */
  kbIndexed: (tenantId: string): Key => ({ pk: t(tenantId), sk: 'KBINDEXED' }),
  /** A document's live chunk generation (admin edits): its chunks of any other generation are invisible. */
  kbDocumentHead: (tenantId: string, partition: number, documentId: string): Key => keys.kbItem(tenantId, partition, 'DOC', safe(documentId, 'document id')),
  kbDocumentHeadPrefix: 'DOC#',
  /** Chunk n of one generation of a document, written by an admin edit; the passage id stays `<documentId>#<n>`. */
  kbChunk: (tenantId: string, partition: number, documentId: string, generation: string, n: number): Key => ({
    pk: keys.kbPartition(tenantId, partition),
    sk: `${keys.kbChunkPrefix(documentId)}${safe(generation, 'generation')}#${n}`,
  }),
  /** Begins the sort key of every chunk of the document, of any generation (and of whole imports: `PASSAGE#<documentId>#<n>`). */
  kbChunkPrefix: (documentId: string): string => `PASSAGE#${safe(documentId, 'document id')}#`,
  kbPassagePrefix: 'PASSAGE#',

  conversationPartition: (tenantId: string, conversationId: string): string => `${t(tenantId)}#C#${safe(conversationId, 'conversation id')}`,
  conversation: (tenantId: string, conversationId: string): Key => ({ pk: keys.conversationPartition(tenantId, conversationId), sk: 'META' }),
  message: (tenantId: string, conversationId: string, seq: number): Key => ({
    pk: keys.conversationPartition(tenantId, conversationId),
    sk: `MSG#${pad(seq)}`,
  }),
  messagePrefix: 'MSG#',
  clientMessage: (tenantId: string, conversationId: string, clientId: string): Key => ({
    pk: keys.conversationPartition(tenantId, conversationId),
    sk: `CLIENT#${safe(clientId, 'client id')}`,
  }),
  subscription: (tenantId: string, conversationId: string, connectionId: string): Key => ({
    pk: keys.conversationPartition(tenantId, conversationId),
    sk: `SUB#${safe(connectionId, 'connection id')}`,
  }),
  subscriptionPrefix: 'SUB#',
  /** GSI1: a tenant's conversations by last activity. */
  conversationsByActivity: (tenantId: string): string => `${t(tenantId)}#CONVS`,
  activitySortKey: (lastMessageAt: string, conversationId: string): string => `${lastMessageAt}#${conversationId}`,
  /**
   * The whole key (table and GSI1) of a conversation's entry in the activity index, rebuilt from its sort key
   * `<lastMessageAt>#<conversationId>`: what a page of that index may start after. Undefined when `gsi1sk` is not
   * such a sort key, so a page cursor can only ever name a conversation of the tenant it was given to.
   */
  conversationActivityStart: (tenantId: string, gsi1sk: string): { pk: string; sk: string; gsi1pk: string; gsi1sk: string } | undefined => {
    const match = /^([^#]{1,64})#([^#]{1,128})$/.exec(gsi1sk);
    const at = match?.[1];
    const conversationId = match?.[2];
    if (at === undefined || conversationId === undefined) return undefined;
    const { pk, sk } = keys.conversation(tenantId, conversationId);
    return { pk, sk, gsi1pk: keys.conversationsByActivity(tenantId), gsi1sk: keys.activitySortKey(at, conversationId) };
  },

  visitor: (tenantId: string, visitorId: string): Key => ({ pk: `${t(tenantId)}#V#${safe(visitorId, 'visitor id')}`, sk: 'VISITOR' }),
  connection: (tenantId: string, connectionId: string): Key => ({ pk: `${t(tenantId)}#CONN#${safe(connectionId, 'connection id')}`, sk: 'CONN' }),

  /** Token buckets expire by TTL once idle. */
  rateBucket: (tenantId: string, bucket: string): Key => ({ pk: `${t(tenantId)}#RL`, sk: safe(bucket, 'bucket') }),

  dailyStats: (tenantId: string, day: string): Key => ({ pk: `${t(tenantId)}#STATS`, sk: `DAY#${safe(day, 'day')}` }),
  statsEvent: (tenantId: string, eventId: string): Key => ({ pk: `${t(tenantId)}#STATS`, sk: `EVT#${safe(eventId, 'event id')}` }),

  // ---- human handoff and the staff inbox (adapters/dynamo/handoff-store.ts) -------------------
  /** The conversation's current handoff, beside its messages. */
  handoff: (tenantId: string, conversationId: string): Key => ({ pk: keys.conversationPartition(tenantId, conversationId), sk: 'HANDOFF' }),
  /** The workflow's task token the next staff action answers. */
  handoffToken: (tenantId: string, conversationId: string): Key => ({ pk: keys.conversationPartition(tenantId, conversationId), sk: 'HANDOFF#TOKEN' }),
  /**
   * A staff e-mail a handoff step sent (`kind`: `handoff.waiting`, `handoff.escalated`, `handoff.callback`) for one
   * handoff of the conversation (`handoff`: its execution or follow-up task), written right after the e-mail was
   * accepted so a retried step sends it once (TTL).
   */
  handoffStaffEmail: (tenantId: string, conversationId: string, kind: string, handoff: string): Key => ({
    pk: keys.conversationPartition(tenantId, conversationId),
    sk: `HANDOFF#EMAIL#${safe(kind, 'e-mail kind')}#${safe(handoff, 'handoff ref')}`,
  }),
  /** Append-only: every change of mode or handoff status, by time. */
  handoffTransition: (tenantId: string, conversationId: string, at: string, id: string): Key => ({
    pk: keys.conversationPartition(tenantId, conversationId),
    sk: `${keys.handoffTransitionPrefix}${safe(at, 'time')}#${safe(id, 'transition id')}`,
  }),
  handoffTransitionPrefix: 'TRANSITION#',
  /** Active handoffs of a tenant (waiting, escalated, callback, accepted): the staff inbox. */
  inboxPartition: (tenantId: string): string => `${t(tenantId)}#INBOX`,
  inboxEntry: (tenantId: string, conversationId: string): Key => ({ pk: keys.inboxPartition(tenantId), sk: `C#${safe(conversationId, 'conversation id')}` }),
  /** Staff connected to the live inbox (TTL), and every staff member seen. */
  staffPartition: (tenantId: string): string => `${t(tenantId)}#STAFF`,
  staffConnection: (tenantId: string, connectionId: string): Key => ({ pk: keys.staffPartition(tenantId), sk: `${keys.staffConnectionPrefix}${safe(connectionId, 'connection id')}` }),
  staffConnectionPrefix: 'CONN#',
  staffMember: (tenantId: string, sub: string): Key => ({ pk: keys.staffPartition(tenantId), sk: `${keys.staffMemberPrefix}${safe(sub, 'staff id')}` }),
  staffMemberPrefix: 'MEMBER#',
  /** A member's latest disable and role change, for tokens issued before them (core/team.ts `groupsNow`). */
  staffAccess: (tenantId: string, sub: string): Key => ({ pk: keys.staffPartition(tenantId), sk: `ACCESS#${safe(sub, 'staff id')}` }),
  /** E-mails sent without a provider (the local outbox), newest last. */
  outboxPartition: (tenantId: string): string => `${t(tenantId)}#OUTBOX`,
  outboxEmail: (tenantId: string, at: string, id: string): Key => ({ pk: keys.outboxPartition(tenantId), sk: `${safe(at, 'time')}#${safe(id, 'e-mail id')}` }),
  /** Follow-up tasks (callbacks promised when nobody could join). */
  followUpPartition: (tenantId: string): string => `${t(tenantId)}#FOLLOWUP`,
  followUp: (tenantId: string, id: string): Key => ({ pk: keys.followUpPartition(tenantId), sk: safe(id, 'follow-up id') }),
  /** Handoff settings (SLA, canned replies), next to the profile. */
  handoffSettings: (tenantId: string): Key => ({ pk: t(tenantId), sk: 'SETTINGS#HANDOFF' }),

  // ---- payments (adapters/payments/local.ts, handlers/stripe-webhook.ts) -----------------------
  /** The local cloud's checkouts (the page that plays Stripe Checkout) and refunds. */
  paymentPartition: (tenantId: string): string => `${t(tenantId)}#PAY`,
  localCheckout: (tenantId: string, checkoutId: string): Key => ({ pk: keys.paymentPartition(tenantId), sk: `CHECKOUT#${safe(checkoutId, 'checkout id')}` }),
  /** One refund per booking (refunds are idempotent per booking). */
  localRefund: (tenantId: string, bookingId: string): Key => ({ pk: keys.paymentPartition(tenantId), sk: `REFUND#${safe(bookingId, 'booking id')}` }),
  /**
   * The static partition of the Stripe webhook's Powertools idempotency records (one per Stripe event id,
   * sort key `stripe-event#<hash of the event id>`, TTL `expiresAt`).
   */
  stripeEventPartition: (tenantId: string): string => `${t(tenantId)}#STRIPE-EVENT`,

  // ---- bookings (adapters/dynamo/booking-store.ts) ---------------------------------------------
  /** A booking, its workflow's payment task token beside it. */
  bookingPartition: (tenantId: string, bookingId: string): string => `${t(tenantId)}#BOOKING#${safe(bookingId, 'booking id')}`,
  booking: (tenantId: string, bookingId: string): Key => ({ pk: keys.bookingPartition(tenantId, bookingId), sk: 'META' }),
  bookingPaymentToken: (tenantId: string, bookingId: string): Key => ({ pk: keys.bookingPartition(tenantId, bookingId), sk: 'PAYMENT#TOKEN' }),
  /**
   * An e-mail a booking workflow step sent (`to`: `customer` | `staff`; `notice`: `confirmed`, `reminder`, `ended`…),
   * written right after the e-mail was accepted so a retried step sends it once (TTL).
   */
  bookingEmail: (tenantId: string, bookingId: string, notice: string, to: string): Key => ({
    pk: keys.bookingPartition(tenantId, bookingId),
    sk: `EMAIL#${safe(to, 'recipient')}#${safe(notice, 'notice')}`,
  }),
  /** GSI1: a tenant's bookings by start (the calendar); sort key `<start ISO>#<bookingId>`. */
  bookingsByStart: (tenantId: string): string => `${t(tenantId)}#BOOKINGS`,
  bookingStartSortKey: (start: string, bookingId: string): string => `${isoInstant(start)}#${safe(bookingId, 'booking id')}`,
  /** A customer's bookings (`phone:+34…` / `email:…`), each a full copy of the booking kept in step with it. */
  customerPartition: (tenantId: string, customerKey: string): string => `${t(tenantId)}#CUSTOMER#${customerKeyPart(customerKey)}`,
  customerBooking: (tenantId: string, customerKey: string, start: string, bookingId: string): Key => ({
    pk: keys.customerPartition(tenantId, customerKey),
    sk: `${keys.customerBookingPrefix}${keys.bookingStartSortKey(start, bookingId)}`,
  }),
  customerBookingPrefix: 'BOOKING#',
  /** Slot locks: one partition per staff member per UTC day, one item per CELL_MINUTES cell, sorted by start. */
  cellPartition: (tenantId: string, staffId: string, day: string): string => `${t(tenantId)}#CELLS#${safe(staffId, 'staff id')}#${isoDay(day)}`,
  cell: (tenantId: string, staffId: string, start: string): Key => ({ pk: keys.cellPartition(tenantId, staffId, isoInstant(start).slice(0, 10)), sk: isoInstant(start) }),
  /** Booking settings (slot step, notice, holds, cancellation policy, exceptions), next to the profile. */
  bookingSettings: (tenantId: string): Key => ({ pk: t(tenantId), sk: 'SETTINGS#BOOKING' }),

  // ---- channels (adapters/dynamo/channel-store.ts, handlers/twilio-webhook.ts, handlers/meta-webhook.ts) ----
  /** Which customer a channel identity (`web:<visitorId>`, `whatsapp:+34…`, `sms:+34…`, `messenger:<PSID>`) belongs to. */
  channelIdentity: (tenantId: string, identity: string): Key => ({ pk: `${t(tenantId)}#IDENTITY#${safe(identity, 'identity')}`, sk: 'CUSTOMER' }),
  /** A customer's identities, in the customer's partition (beside their bookings). */
  customerIdentity: (tenantId: string, customerKey: string, identity: string): Key => ({
    pk: keys.customerPartition(tenantId, customerKey),
    sk: `${keys.customerIdentityPrefix}${safe(identity, 'identity')}`,
  }),
  customerIdentityPrefix: 'IDENTITY#',
  /** A customer's conversations on every channel, by start: `CONV#<createdAt>#<conversationId>`. */
  customerConversation: (tenantId: string, customerKey: string, createdAt: string, conversationId: string): Key => ({
    pk: keys.customerPartition(tenantId, customerKey),
    sk: `${keys.customerConversationPrefix}${isoInstant(createdAt)}#${safe(conversationId, 'conversation id')}`,
  }),
  customerConversationPrefix: 'CONV#',
  /**
   * The static partition of the channel webhooks' Powertools idempotency records (one per provider message id,
   * sort key `channel-message#<hash>`, TTL `expiresAt`).
   */
  channelEventPartition: (tenantId: string): string => `${t(tenantId)}#CHANNEL-EVENT`,

  // ---- integrations (adapters/integrations/secret-store.ts) ----------------------------------
  /** A tenant's stored integrations (encrypted credentials and non-secret hints), one item per provider. */
  integrationPartition: (tenantId: string): string => `${t(tenantId)}#INTEGRATIONS`,
  integration: (tenantId: string, provider: string): Key => ({ pk: keys.integrationPartition(tenantId), sk: `PROVIDER#${safe(provider, 'provider')}` }),
  integrationPrefix: 'PROVIDER#',

  // ---- channel outbox and delivery (adapters/channels/delivery-store.ts) -------------------------
  /** One outbound segment of a message on WhatsApp / SMS / Messenger, beside the message: `DELIVERY#<seq>#<segment>`. */
  channelDelivery: (tenantId: string, conversationId: string, seq: number, segment: number): Key => ({
    pk: keys.conversationPartition(tenantId, conversationId),
    sk: `${keys.channelDeliveryPrefix}${pad(seq)}#${String(segment).padStart(3, '0')}`,
  }),
  channelDeliveryPrefix: 'DELIVERY#',
  /** Messages "sent" without provider credentials (the local channel outbox), by time. */
  channelOutboxPartition: (tenantId: string): string => `${t(tenantId)}#CHANNEL-OUTBOX`,
  channelOutboxMessage: (tenantId: string, at: string, id: string): Key => ({ pk: keys.channelOutboxPartition(tenantId), sk: `${safe(at, 'time')}#${safe(id, 'message id')}` }),
  /** Deliveries that failed for good or were parked (window closed), by time: the admin UI's "Failed deliveries". */
  channelFailurePartition: (tenantId: string): string => `${t(tenantId)}#CHANNEL-FAILED`,
  channelFailure: (tenantId: string, at: string, conversationId: string, seq: number, segment: number): Key => ({
    pk: keys.channelFailurePartition(tenantId),
    sk: `${safe(at, 'time')}#${safe(conversationId, 'conversation id')}#${pad(seq)}#${segment}`,
  }),
  /** SMS opt-outs (STOP / START) per phone number. */
  smsOptOut: (tenantId: string, phone: string): Key => ({ pk: `${t(tenantId)}#SMS-OPTOUT`, sk: safe(phone, 'phone') }),

  // ---- privacy (adapters/dynamo/privacy-store.ts) -----------------------------------
  /** The tenant's privacy settings (retention period), next to the profile. */
  privacySettings: (tenantId: string): Key => ({ pk: t(tenantId), sk: 'SETTINGS#PRIVACY' }),

  // ---- audit log (adapters/dynamo/audit-store.ts) — append-only ---------------------------------
  /**
   * A tenant's audit log, by time: `<at ISO>#<auditId>`. IAM denies UpdateItem / DeleteItem / BatchWriteItem on
   * partitions matching `T#*#AUDIT` (AUDIT_LEADING_KEYS in lib/constructs/concierge-function.ts; test/cdk/audit.test.ts).
   */
  auditPartition: (tenantId: string): string => `${t(tenantId)}#AUDIT`,
  auditEntry: (tenantId: string, at: string, auditId: string): Key => ({
    pk: keys.auditPartition(tenantId),
    sk: `${isoInstant(at)}#${safe(auditId, 'audit id')}`,
  }),

  // ---- outbound webhooks and CRM sync (adapters/dynamo/webhook-store.ts) ------------
  /** A tenant's webhook subscriptions (signing secret encrypted) and their deliveries. */
  webhookPartition: (tenantId: string): string => `${t(tenantId)}#WEBHOOK`,
  webhookSubscription: (tenantId: string, webhookId: string): Key => ({ pk: keys.webhookPartition(tenantId), sk: `${keys.webhookSubscriptionPrefix}${safe(webhookId, 'webhook id')}` }),
  webhookSubscriptionPrefix: 'SUB#',
  /** One delivery per (event id, target): its id is a hash of both, so a replayed event finds its record. */
  webhookDelivery: (tenantId: string, deliveryId: string): Key => ({ pk: keys.webhookPartition(tenantId), sk: `DELIVERY#${safe(deliveryId, 'delivery id')}` }),
  /** GSI1: a tenant's deliveries of one status, by last change (`failed`: the dead-letter view). */
  webhookDeliveriesByStatus: (tenantId: string, status: string): string => `${t(tenantId)}#WEBHOOK-DELIVERIES#${safe(status, 'status')}`,
  webhookDeliverySortKey: (updatedAt: string, deliveryId: string): string => `${isoInstant(updatedAt)}#${safe(deliveryId, 'delivery id')}`,
  /** The customer record's marker: written once, conditionally — its first write emits `customer.created`. */
  customerRecord: (tenantId: string, customerKey: string): Key => ({ pk: keys.customerPartition(tenantId, customerKey), sk: 'CUSTOMER' }),

  // ---- analytics (adapters/dynamo/analytics-store.ts; docs/metrics.md) --------------
  // Day counters and event markers are `dailyStats` / `statsEvent` above, in the same `T#t#STATS` partition.
  /** One conversation's analytics facts, by its start: `CONV#<createdAt ISO>#<conversationId>` (a range is one Query). */
  analyticsConversation: (tenantId: string, startedAt: string, conversationId: string): Key => ({
    pk: `${t(tenantId)}#STATS`,
    sk: `${keys.analyticsConversationPrefix}${isoInstant(startedAt)}#${safe(conversationId, 'conversation id')}`,
  }),
  analyticsConversationPrefix: 'CONV#',
  /** Knowledge gaps (unanswered questions grouped by normalised text; TTL 180 days after the last asking). */
  gapPartition: (tenantId: string): string => `${t(tenantId)}#GAPS`,
  gap: (tenantId: string, gapId: string): Key => ({ pk: keys.gapPartition(tenantId), sk: `GAP#${safe(gapId, 'gap id')}` }),
  gapPrefix: 'GAP#',
  /** The customer's latest thumbs on a bot message, beside the message (erased with the conversation). */
  messageFeedback: (tenantId: string, conversationId: string, seq: number): Key => ({ pk: keys.conversationPartition(tenantId, conversationId), sk: `FEEDBACK#${pad(seq)}` }),

  // ---- retention schedule (adapters/dynamo/privacy-store.ts; docs/decisions.md 71) ------------------------
  /**
   * GSI1, sparse: the tenants with a retention period. The privacy settings item carries `gsi1pk` = this and
   * `gsi1sk` = the tenant id while its period is a number (the same PutItem drops both for null). The one
   * partition key not beginning with `T#<tenantId>`: it names no tenant's data, only tenant ids, and only the
   * retention sweeper reads it.
   */
  tenantsWithRetention: 'RETENTION',
  tenantWithRetentionSortKey: (tenantId: string): string => t(tenantId).slice(2),
} as const;

/** Document chunk ids contain `#` (`doc#3`); within a sort key that is harmless, so only emptiness is refused. */
function safeOrChunk(id: string): string {
  if (id.length === 0) throw new Error('empty item id in key');
  return id;
}

/** A UTC instant exactly as `Date.prototype.toISOString` writes it, so keys sort by time. */
function isoInstant(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(value) || Number.isNaN(Date.parse(value))) throw new Error(`invalid instant in key: ${JSON.stringify(value)}`);
  return value;
}

function isoDay(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new Error(`invalid day in key: ${JSON.stringify(value)}`);
  return value;
}

/** Customer keys hold ':' '@' '+' '.'; never '#' or white space, and at most 200 characters. */
function customerKeyPart(value: string): string {
  if (!/^(phone|email):[^#\s]{1,194}$/.test(value)) throw new Error(`invalid customer key in key: ${JSON.stringify(value)}`);
  return value;
}
