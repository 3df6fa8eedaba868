/**
 * Ports of the privacy use cases (subject-access export, erasure, retention). The adapters find a customer's
 * items in every store; the core decides what an export shows, what erasure deletes or anonymises, and what
 * retention removes.
 */

/** The stores a customer's data is found in; an export and an erasure report a count per store. */
export const customerStores = [
  /** Channel identity → customer links (`T#t#IDENTITY#…`). */
  'identities',
  /** The customer's own partition: their identities, conversation refs and booking copies. */
  'customerRecords',
  /** Web visitors' (and channel identities') current-conversation records. */
  'visitors',
  'conversations',
  'messages',
  'handoffs',
  'transitions',
  'deliveries',
  /** Client-id guards, live subscriptions, workflow task tokens: erased, not exported. */
  'conversationInternals',
  /** Bookings are business records: anonymised, never deleted. */
  'bookings',
  /** Local checkouts (deleted: they hold the e-mail) and refunds (kept: amounts only). */
  'payments',
  'emails',
  'channelOutbox',
  'channelFailures',
  /** Outbound webhook / CRM deliveries whose kept payload names the customer (failed ones keep it 30 days). */
  'webhookDeliveries',
  'followUps',
  'inbox',
  'optOuts',
  /** Knowledge-gap samples of the customer's conversations (analytics). */
  'knowledgeGaps',
] as const;
export type CustomerStoreName = (typeof customerStores)[number];

/** One stored item: an opaque reference the adapter can delete or update by, and its attributes (keys removed). */
export interface FoundItem {
  readonly ref: { readonly pk: string; readonly sk: string };
  readonly data: Readonly<Record<string, unknown>>;
}

/**
 * Everything stored about one person of one tenant. `customerKey` is the subject the request named: a customer key,
 * or an unlinked web / Messenger identity (`web:<visitorId>`), which is a subject of its own (decision 59).
 */
export interface CustomerData {
  readonly customerKey: string;
  /**
   * The customer keys the person's data was found under, the one asked first: contacts given together on a booking
   * or in one conversation (a phone and an e-mail) are one person (decision 99). Empty for an identity subject.
   */
  readonly customerKeys: readonly string[];
  /** Channel identities linked to the customer (`web:…`, `whatsapp:+34…`). */
  readonly identities: readonly string[];
  /** Every conversation the customer's records name, also those already gone (their knowledge-gap samples may stay). */
  readonly conversationIds: readonly string[];
  readonly bookingIds: readonly string[];
  readonly found: Readonly<Record<Exclude<CustomerStoreName, 'knowledgeGaps'>, readonly FoundItem[]>>;
}

/** Counts per store of what an erasure deleted (bookings: anonymised). */
export type ErasureCounts = Readonly<Record<CustomerStoreName, number>>;

/** The name an erased customer's bookings keep. */
export const ERASED_CUSTOMER_NAME = 'Erased customer';

export interface CustomerDataStore {
  /** The customer key a channel identity (`web:…`, `messenger:…`) is linked to. */
  customerOfIdentity(tenantId: string, identity: string): Promise<string | undefined>;
  /**
   * Every item about the person in the tenant's partitions (never another tenant's). `subject` is a customer key
   * (also reaching the keys of the contacts given with it, `customerKeys`) or an unlinked `web:` / `messenger:`
   * identity (its conversations only).
   */
  findCustomerData(tenantId: string, subject: string): Promise<CustomerData>;
  /**
   * Deletes every found item except bookings (anonymised: the customer becomes `anonymous`, their contact,
   * conversation and notes removed) and refunds (amounts only). Idempotent, and resumable: what finds the
   * customer (identity links, their records, visitor records) is deleted last. Returns counts per store.
   */
  eraseCustomerData(tenantId: string, data: CustomerData, anonymous: { readonly customerKey: string; readonly name: string }): Promise<Omit<ErasureCounts, 'knowledgeGaps'>>;
}

/** Analytics' knowledge-gap samples (masked question text + conversation id), when analytics keeps them. */
export interface ConversationSamples {
  /** The samples taken from these conversations (for an export). */
  listConversationSamples?(tenantId: string, conversationIds: readonly string[]): Promise<readonly Readonly<Record<string, unknown>>[]>;
  /** Forgets the samples of these conversations; returns how many were removed when known. */
  forgetConversations(tenantId: string, conversationIds: readonly string[]): Promise<number | void>;
}

/** A conversation as the activity index lists it. */
export interface ConversationActivity {
  readonly conversationId: string;
  readonly visitorId: string;
  readonly channel: 'web' | 'whatsapp' | 'sms' | 'messenger';
  readonly createdAt: string;
  readonly lastMessageAt: string;
}

/** What the retention sweeper needs from the table. */
export interface RetentionStore {
  /**
   * One page of the tenant's conversations by last activity, oldest first: those active before `before`, or
   * from `from` on (neither: all). Paged with `cursor`, never by re-querying (the index is eventually consistent).
   */
  listConversationsByActivity(
    tenantId: string,
    range: { readonly before?: string; readonly from?: string },
    limit: number,
    cursor?: string,
  ): Promise<{ readonly items: readonly ConversationActivity[]; readonly cursor?: string }>;
  /** Deletes the conversation's partition, its inbox entry, its visitor record (while it points at it) and its customer ref. */
  deleteConversation(tenantId: string, conversation: ConversationActivity): Promise<void>;
  /** Sets `expiresAt` on the conversation's items (each from its own time; none when `retentionDays` is null). Returns items stamped. */
  stampConversation(tenantId: string, conversationId: string, retentionDays: number | null): Promise<number>;
  /** Deletes follow-ups, e-mails, channel-outbox messages and failed deliveries naming these conversations. */
  deleteItemsNaming(tenantId: string, conversationIds: readonly string[]): Promise<number>;
  /**
   * Replaces the customer copies of bookings that started before `before` with a reference holding only the
   * booking id, so a data request still finds the booking (the bookings themselves stay).
   */
  expireBookingCopies(tenantId: string, before: string): Promise<number>;
}

/** The tenants the daily retention schedule visits: those whose period is a number (never a scan). */
export interface RetentionTenants {
  /**
   * One page of the ids of tenants with a retention period, in id order, paged with `cursor`. The listing may lag
   * a change of period by a moment (an index): a tenant just set back to null costs one sweep that finds nothing.
   */
  listTenantsWithRetention(limit: number, cursor?: string): Promise<{ readonly tenantIds: readonly string[]; readonly cursor?: string }>;
}
