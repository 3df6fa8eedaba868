/**
 * The one declaration of what Concierge is made of: functions, REST routes,
 * WebSocket routes, EventBridge rules, the single table and the state machines.
 *
 * It is plain data with no CDK or AWS SDK imports. `lib/` turns it into AWS
 * resources; `local-cloud/` wires its gateway, bus and workflow runner from it.
 * `test/declaration.test.ts` proves both sides see the same set.
 */

/** Who may call a REST route. */
export type RouteAuth = 'public' | 'staff' | 'admin';

export interface FunctionDecl {
  /** Handler module, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  /** @default 512 */
  readonly memoryMb?: number;
  /** @default 10 */
  readonly timeoutSeconds?: number;
  /** What the function touches; CDK grants exactly these. */
  readonly grants: readonly Grant[];
}

export type Grant =
  | 'table:read'
  | 'table:write'
  | 'bus:put'
  | 'ws:post'
  | 'workflows:start'
  | 'workflows:callback'
  | 'llm:invoke'
  /** Embed knowledge passages and write the search index: the embedding model and, with OpenSearch Serverless, the vector collection (not the answering model). */
  | 'knowledge:index'
  /** Send e-mail: SES on the configured sender identity when the environment names one, else the table's outbox (table:write). */
  | 'email:send'
  /** Manage staff accounts of the user pool: invite, list the staff groups, change groups, disable (core/team.ts). */
  | 'staff:manage'
  /** Read tenants' integration credentials (core/integrations.ts): KMS Decrypt under the integrations key, only with a {tenantId, provider} context. */
  | 'secrets:decrypt'
  /** Store tenants' integration credentials: KMS GenerateDataKey under the integrations key, only with a {tenantId, provider} context. */
  | 'secrets:encrypt'
  /** Append audit log entries only: PutItem on the tenants' audit partitions (`T#*#AUDIT`), nothing else of the table. */
  | 'audit:append';

export const functions = {
  wsAuthorizer: {
    entry: 'lambdas/handlers/ws-authorizer.ts',
    description: 'WebSocket $connect authorizer: public widget key and allowed origin',
    grants: ['table:read'],
  },
  wsConnect: {
    entry: 'lambdas/handlers/ws-connect.ts',
    description: 'WebSocket $connect: records the connection',
    grants: ['table:write'],
  },
  wsDisconnect: {
    entry: 'lambdas/handlers/ws-disconnect.ts',
    description: 'WebSocket $disconnect: removes the connection and its subscription',
    grants: ['table:write'],
  },
  wsMessage: {
    entry: 'lambdas/handlers/ws-message.ts',
    description: 'WebSocket actions: hello/resume, sendMessage, newConversation, ping, customerTyping, feedback',
    timeoutSeconds: 29,
    memoryMb: 1024,
    grants: ['table:write', 'bus:put', 'ws:post', 'llm:invoke', 'secrets:decrypt'],
  },
  staffAuthorizer: {
    entry: 'lambdas/handlers/staff-authorizer.ts',
    description: 'REST authorizer: verifies Cognito staff JWTs and their tenant claim; records each sign-in in the audit log',
    // audit:append: one `login` entry per sign-in (core/audit.ts loginEntry); nothing else of the table.
    grants: ['audit:append'],
  },
  publicApi: {
    entry: 'lambdas/handlers/public-api.ts',
    description: 'Public REST routes: health and widget configuration',
    grants: ['table:read'],
  },
  adminApi: {
    entry: 'lambdas/handlers/admin-api.ts',
    description: 'Staff REST routes: conversations, knowledge base, tenant profile',
    timeoutSeconds: 29,
    memoryMb: 1024,
    grants: ['table:write', 'llm:invoke', 'bus:put'],
  },
  statsProjector: {
    entry: 'lambdas/handlers/stats-projector.ts',
    description: 'EventBridge target: projects conversation, handoff, booking and payment events into analytics (day counters, conversation facts, knowledge gaps)',
    grants: ['table:write'],
  },
  workflowTask: {
    entry: 'lambdas/handlers/workflow-task.ts',
    description: 'Step Functions task steps for the booking and handoff workflows',
    // A customer of a booking without a conversation is told by e-mail (email:send) or, with only a phone, by SMS:
    // the text goes into their SMS conversation (table:write) and `message.send` (bus:put) hands it to channelSender,
    // which alone calls Twilio (secrets:decrypt for the tenant's credentials) or writes the channel outbox.
    grants: ['table:write', 'bus:put', 'ws:post', 'email:send', 'secrets:decrypt'],
  },
  staffApi: {
    entry: 'lambdas/handlers/staff-api.ts',
    description: 'Staff REST routes: live inbox, accept / take over / reply / return / close, handoff settings, follow-ups, outbox',
    grants: ['table:write', 'bus:put', 'ws:post', 'workflows:callback'],
  },
  staffWs: {
    entry: 'lambdas/handlers/staff-ws.ts',
    description: 'WebSocket actions of staff inboxes: watch a conversation, typing, keep-alive',
    // bus:put: the handoff's ports (core/handoff.ts) publish, and are built for every staff action.
    grants: ['table:write', 'ws:post', 'bus:put'],
  },
  handoffEvents: {
    entry: 'lambdas/handlers/handoff-events.ts',
    description: 'EventBridge target: customer messages while a person is involved (CSAT answers, callback contacts, inbox news)',
    grants: ['table:write', 'bus:put', 'ws:post'],
  },
  bookingEvents: {
    entry: 'lambdas/handlers/booking-events.ts',
    description: 'EventBridge target: deposit payments answer the booking workflow (late payments are refunded)',
    // email:send, or table:write + bus:put for an SMS through channelSender: the customer told of a late payment's refund.
    grants: ['table:write', 'bus:put', 'ws:post', 'workflows:callback', 'email:send', 'secrets:decrypt'],
  },
  stripeWebhook: {
    entry: 'lambdas/handlers/stripe-webhook.ts',
    description: 'Public REST route: verified Stripe webhooks become payment.succeeded / payment.failed events (once per Stripe event)',
    grants: ['table:write', 'bus:put', 'secrets:decrypt'],
  },
  // ---- channels inbound: WhatsApp / SMS (Twilio) and Messenger (Meta) webhooks, and the conversation on them ----
  twilioWebhook: {
    entry: 'lambdas/handlers/twilio-webhook.ts',
    description: "Public REST route: Twilio's signed incoming SMS / WhatsApp messages become channel.message.received events (once per MessageSid)",
    grants: ['table:write', 'bus:put', 'secrets:decrypt'],
  },
  metaWebhook: {
    entry: 'lambdas/handlers/meta-webhook.ts',
    description: "Public REST routes: Meta's Messenger subscription check and signed messages, as channel.message.received events (once per mid)",
    grants: ['table:write', 'bus:put', 'secrets:decrypt'],
  },
  channelMessage: {
    entry: 'lambdas/handlers/channel-message.ts',
    description: 'EventBridge target: an inbound WhatsApp / SMS / Messenger message joins its conversation and is answered like a web message',
    timeoutSeconds: 29,
    memoryMb: 1024,
    grants: ['table:write', 'bus:put', 'ws:post', 'llm:invoke', 'secrets:decrypt'],
  },
  bookingsApi: {
    entry: 'lambdas/handlers/bookings-api.ts',
    description: 'Staff REST routes of bookings: calendar, manual bookings, cancel and reschedule, free slots, booking settings',
    timeoutSeconds: 29,
    // ws:post + email:send: a customer whose booking staff cancel is told, in their conversation or by e-mail; with
    // only a phone, by SMS: table:write + bus:put put the text in their SMS conversation for channelSender to send.
    grants: ['table:write', 'bus:put', 'secrets:decrypt', 'ws:post', 'email:send'],
  },
  widgetSettingsApi: {
    entry: 'lambdas/handlers/widget-settings-api.ts',
    description: "Staff REST routes of the widget's settings: colours, position, greetings, languages, logo, allowed origins",
    grants: ['table:write'],
  },
  teamApi: {
    entry: 'lambdas/handlers/team-api.ts',
    description: 'Staff REST routes of the team: list the staff, invite, change a role, disable an account',
    // table:write + email:send: invitations we deliver ourselves (STAFF_INVITE_DELIVERY=email) go through the outbox or SES.
    grants: ['staff:manage', 'table:write', 'email:send'],
  },
  // ---- channels outbound: senders, delivery statuses, the channel outbox ------------------------------
  channelSender: {
    entry: 'lambdas/handlers/channel-sender.ts',
    description: 'EventBridge target: delivers message.send to WhatsApp / SMS (Twilio), Messenger (Meta) or the channel outbox, once per segment',
    // Provider calls retry with backoff inside the invocation (bounded), so it gets more than the default 10 s.
    timeoutSeconds: 30,
    grants: ['table:write', 'ws:post', 'secrets:decrypt'],
  },
  twilioStatus: {
    entry: 'lambdas/handlers/twilio-status.ts',
    description: "Public REST route: Twilio's signed delivery-status callbacks update the message's delivery record",
    grants: ['table:write', 'secrets:decrypt'],
  },
  channelOutboxApi: {
    entry: 'lambdas/handlers/channel-outbox-api.ts',
    description: 'Staff REST routes of channel delivery: the channel outbox, failed deliveries, a conversation\'s delivery state',
    grants: ['table:read'],
  },
  // ---- integrations: tenants' credentials for Stripe, Twilio, Meta and calendars (write-only) ----------
  integrationsApi: {
    entry: 'lambdas/handlers/integrations-api.ts',
    description: "Admin REST routes of the tenant's integrations: list, set or replace, remove credentials (never returned)",
    grants: ['table:write', 'secrets:encrypt'],
  },
  // ---- audit log: read-only API (every REST change is recorded by handlers/lib/rest.ts) ----------------
  auditApi: {
    entry: 'lambdas/handlers/audit-api.ts',
    description: 'Admin REST route of the audit log: who changed what and when, newest first, filtered (read only)',
    grants: ['table:read'],
  },
  // ---- outbound webhooks and CRM sync (core/webhooks, adapters/crm) ------------------------------------
  webhooksApi: {
    entry: 'lambdas/handlers/webhooks-api.ts',
    description: 'Admin REST routes of outbound webhooks: subscriptions (secret shown once), test pings, failed deliveries and redelivery',
    // A test ping or a redelivery waits for the receiver (10 s at most); encrypt: new secrets, decrypt: signing.
    timeoutSeconds: 29,
    grants: ['table:write', 'secrets:encrypt', 'secrets:decrypt'],
  },
  webhookDispatcher: {
    entry: 'lambdas/handlers/webhook-dispatcher.ts',
    description: 'EventBridge target: signed POSTs to the tenant\'s webhook subscriptions and the HubSpot contact upsert, once per event and target',
    // Up to 3 tries of 10 s per target, with backoff, inside the invocation.
    timeoutSeconds: 120,
    grants: ['table:write', 'secrets:decrypt'],
  },
  // ---- analytics (core/analytics, docs/metrics.md) -----------------------------------------------------
  analyticsApi: {
    entry: 'lambdas/handlers/analytics-api.ts',
    description: 'Staff REST routes of analytics: the report over a date range (JSON or CSV), knowledge gaps and resolving them',
    // A year's report reads up to a year of conversation facts.
    timeoutSeconds: 29,
    grants: ['table:write'],
  },
  // ---- privacy: retention, subject-access export, erasure (core/privacy) --------------------------------
  privacyApi: {
    entry: 'lambdas/handlers/privacy-api.ts',
    description: "Admin REST routes of privacy: the retention period, a customer's data (counts, JSON export, erasure)",
    // An export or an erasure reads every store of one customer; bus:put: privacy.retention.changed, customer.erased.
    timeoutSeconds: 29,
    grants: ['table:write', 'bus:put'],
  },
  retentionSweeper: {
    entry: 'lambdas/handlers/retention-sweeper.ts',
    description: 'EventBridge target: deletes conversations older than the tenant\'s retention period and re-stamps the rest',
    // A full sweep re-stamps every live conversation of the tenant. bus:put: the daily schedule fans out one
    // privacy.retention.due per tenant with a period (DailyRetentionSweep).
    timeoutSeconds: 300,
    grants: ['table:write', 'bus:put'],
  },
  knowledgeIndexer: {
    entry: 'lambdas/handlers/knowledge-indexer.ts',
    description: "EventBridge target: embeds the passages an import or edit stored without vectors, keeps them in the table, and writes the search collection's copy",
    // A 10,000-chunk import is ~20,000 embeddings: minutes, not seconds. Vectors are kept a batch at a time, so a
    // retry after a timeout starts where this one stopped. 2 GB: USE-lite embeds on the CPU.
    timeoutSeconds: 900,
    memoryMb: 2048,
    grants: ['table:write', 'knowledge:index'],
  },
} as const satisfies Record<string, FunctionDecl>;

export type FunctionName = keyof typeof functions;

export interface RestRouteDecl {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** API Gateway path syntax: `/v1/admin/conversations/{conversationId}`. */
  readonly path: string;
  readonly fn: FunctionName;
  readonly auth: RouteAuth;
  /** OpenAPI operation id; unique. */
  readonly operationId: string;
  readonly summary: string;
}

/**
 * Request headers a browser on another origin (the admin UI on Amplify, the widget on a customer's site) may send
 * to the REST API, answered in the CORS preflight by API Gateway and by the local gateway alike; and the response
 * headers its scripts may read.
 */
export const corsAllowHeaders: readonly string[] = ['Content-Type', 'Authorization', 'If-Match', 'If-None-Match', 'X-Correlation-Id'];
export const corsExposeHeaders: readonly string[] = ['ETag'];

/**
 * What API Gateway itself answers, before any function runs, in the API's own error shape
 * (`{"error":{"code","message"}}`, docs/openapi.yaml): its default bodies are `{"message":"Unauthorized"}` and the
 * like, with no code. The CDK stack sets each as a gateway response template, the local gateway answers the same.
 * `message: undefined` keeps API Gateway's own message (`$context.error.messageString`).
 */
export interface GatewayErrorDecl {
  readonly type: 'UNAUTHORIZED' | 'ACCESS_DENIED' | 'MISSING_AUTHENTICATION_TOKEN' | 'REQUEST_TOO_LARGE' | 'THROTTLED' | 'DEFAULT_4XX' | 'DEFAULT_5XX';
  /** The status answered (locally, and in AWS where it differs from API Gateway's own: `overridesStatus`). */
  readonly status: number;
  /** API Gateway answers a route it does not have (a path, or a method of a path) 403 "Missing Authentication Token". */
  readonly overridesStatus?: boolean;
  readonly code: string;
  readonly message: string | undefined;
}

export const gatewayErrors: readonly GatewayErrorDecl[] = [
  { type: 'UNAUTHORIZED', status: 401, code: 'unauthorized', message: 'Sign in again: the token is missing, expired or not valid.' },
  { type: 'ACCESS_DENIED', status: 403, code: 'forbidden', message: 'This account may not use this route.' },
  { type: 'MISSING_AUTHENTICATION_TOKEN', status: 404, overridesStatus: true, code: 'not_found', message: 'There is no such route (path and method).' },
  { type: 'REQUEST_TOO_LARGE', status: 413, code: 'payload_too_large', message: 'The request body is over the 10 MB API Gateway accepts.' },
  { type: 'THROTTLED', status: 429, code: 'rate_limited', message: 'Too many requests. Please try again in a few seconds.' },
  { type: 'DEFAULT_4XX', status: 400, code: 'bad_request', message: undefined },
  { type: 'DEFAULT_5XX', status: 500, code: 'internal', message: undefined },
];

/** The body a gateway error answers with (`gatewayMessage`: API Gateway's own, for the types that keep it). */
export function gatewayErrorBody(type: GatewayErrorDecl['type'], gatewayMessage: string): { error: { code: string; message: string } } {
  const decl = gatewayErrors.find((e) => e.type === type);
  if (!decl) throw new Error(`no gateway error ${type}`);
  return { error: { code: decl.code, message: decl.message ?? gatewayMessage } };
}

export const restRoutes: readonly RestRouteDecl[] = [
  { method: 'GET', path: '/v1/health', fn: 'publicApi', auth: 'public', operationId: 'getHealth', summary: 'Liveness of the API' },
  {
    method: 'GET',
    path: '/v1/public/widget/{widgetKey}/config',
    fn: 'publicApi',
    auth: 'public',
    operationId: 'getWidgetConfig',
    summary: "The widget's look and languages for a tenant's public widget key",
  },
  { method: 'GET', path: '/v1/admin/me', fn: 'adminApi', auth: 'staff', operationId: 'getMe', summary: 'The signed-in staff member and tenant' },
  {
    method: 'GET',
    path: '/v1/admin/conversations',
    fn: 'adminApi',
    auth: 'staff',
    operationId: 'listConversations',
    summary: 'Conversations, most recent first',
  },
  {
    method: 'GET',
    path: '/v1/admin/conversations/{conversationId}',
    fn: 'adminApi',
    auth: 'staff',
    operationId: 'getConversation',
    summary: 'One conversation with its messages',
  },
  {
    method: 'GET',
    path: '/v1/admin/conversations/{conversationId}/related',
    fn: 'adminApi',
    auth: 'staff',
    operationId: 'listRelatedConversations',
    summary: "The same customer's other conversations on every channel, newest first",
  },
  {
    method: 'GET',
    path: '/v1/admin/knowledge',
    fn: 'adminApi',
    auth: 'staff',
    operationId: 'getKnowledgeBase',
    summary: "The tenant's knowledge base (business, hours, services, staff, FAQs, documents)",
  },
  {
    method: 'GET',
    path: '/v1/admin/knowledge/status',
    fn: 'adminApi',
    auth: 'staff',
    operationId: 'getKnowledgeStatus',
    summary: 'How far indexing of the current knowledge base has got (passages with vectors)',
  },
  {
    method: 'PUT',
    path: '/v1/admin/knowledge',
    fn: 'adminApi',
    auth: 'admin',
    operationId: 'importKnowledgeBase',
    summary: 'Replace the knowledge base with a knowledge-base file',
  },
  {
    method: 'GET',
    path: '/v1/admin/knowledge/faqs/{faqId}',
    fn: 'adminApi',
    auth: 'staff',
    operationId: 'getFaq',
    summary: 'One FAQ as it is now, with its entity tag (ETag) for If-Match',
  },
  {
    method: 'PUT',
    path: '/v1/admin/knowledge/faqs/{faqId}',
    fn: 'adminApi',
    auth: 'admin',
    operationId: 'putFaq',
    summary: 'Create or replace one FAQ',
  },
  {
    method: 'DELETE',
    path: '/v1/admin/knowledge/faqs/{faqId}',
    fn: 'adminApi',
    auth: 'admin',
    operationId: 'deleteFaq',
    summary: 'Delete one FAQ',
  },
  {
    method: 'GET',
    path: '/v1/admin/knowledge/documents/{documentId}',
    fn: 'adminApi',
    auth: 'staff',
    operationId: 'getDocument',
    summary: 'One document (its text) as it is now, with its entity tag (ETag) for If-Match',
  },
  {
    method: 'PUT',
    path: '/v1/admin/knowledge/documents/{documentId}',
    fn: 'adminApi',
    auth: 'admin',
    operationId: 'putDocument',
    summary: 'Create or replace one document (text, Markdown or PDF)',
  },
  {
    method: 'DELETE',
    path: '/v1/admin/knowledge/documents/{documentId}',
    fn: 'adminApi',
    auth: 'admin',
    operationId: 'deleteDocument',
    summary: 'Delete one document',
  },
  {
    method: 'POST',
    path: '/v1/admin/knowledge/test',
    fn: 'adminApi',
    auth: 'staff',
    operationId: 'testQuestion',
    summary: 'Ask the concierge a question and see the answer and its sources',
  },
  // ---- the live inbox and the human handoff (staffApi) -----------------------------------------
  { method: 'GET', path: '/v1/admin/inbox', fn: 'staffApi', auth: 'staff', operationId: 'listInbox', summary: 'Inbox queues: waiting, mine, all' },
  {
    method: 'GET',
    path: '/v1/admin/inbox/{conversationId}',
    fn: 'staffApi',
    auth: 'staff',
    operationId: 'getInboxConversation',
    summary: 'One conversation with its full history, customer details, handoff and transitions',
  },
  {
    method: 'POST',
    path: '/v1/admin/inbox/{conversationId}/accept',
    fn: 'staffApi',
    auth: 'staff',
    operationId: 'acceptHandoff',
    summary: 'Accept a conversation waiting for a person',
  },
  {
    method: 'POST',
    path: '/v1/admin/inbox/{conversationId}/takeover',
    fn: 'staffApi',
    auth: 'staff',
    operationId: 'takeOverConversation',
    summary: 'Take a conversation over from the bot',
  },
  {
    method: 'POST',
    path: '/v1/admin/inbox/{conversationId}/messages',
    fn: 'staffApi',
    auth: 'staff',
    operationId: 'sendAgentMessage',
    summary: 'Reply to the customer in a conversation you own',
  },
  {
    method: 'POST',
    path: '/v1/admin/inbox/{conversationId}/return',
    fn: 'staffApi',
    auth: 'staff',
    operationId: 'returnToBot',
    summary: 'Return the conversation to the bot',
  },
  {
    method: 'POST',
    path: '/v1/admin/inbox/{conversationId}/close',
    fn: 'staffApi',
    auth: 'staff',
    operationId: 'closeConversation',
    summary: 'Close the conversation (the customer is asked one satisfaction question)',
  },
  { method: 'GET', path: '/v1/admin/handoff-settings', fn: 'staffApi', auth: 'staff', operationId: 'getHandoffSettings', summary: 'Handoff SLA and canned replies' },
  {
    method: 'PUT',
    path: '/v1/admin/handoff-settings',
    fn: 'staffApi',
    auth: 'admin',
    operationId: 'putHandoffSettings',
    summary: 'Change the handoff SLA and canned replies',
  },
  { method: 'GET', path: '/v1/admin/follow-ups', fn: 'staffApi', auth: 'staff', operationId: 'listFollowUps', summary: 'Callbacks promised when nobody could join' },
  {
    method: 'POST',
    path: '/v1/admin/follow-ups/{followUpId}/done',
    fn: 'staffApi',
    auth: 'staff',
    operationId: 'completeFollowUp',
    summary: 'Mark a follow-up task done',
  },
  { method: 'GET', path: '/v1/admin/outbox', fn: 'staffApi', auth: 'admin', operationId: 'listOutbox', summary: 'E-mails sent through the local outbox, newest first' },
  // ---- bookings for staff and owners (bookingsApi) ------------------------------------------------
  {
    method: 'GET',
    path: '/v1/admin/bookings',
    fn: 'bookingsApi',
    auth: 'staff',
    operationId: 'listBookings',
    summary: 'Bookings in a date range, by start (the calendar)',
  },
  { method: 'POST', path: '/v1/admin/bookings', fn: 'bookingsApi', auth: 'staff', operationId: 'createBooking', summary: 'Book a slot for a customer (manual booking)' },
  { method: 'GET', path: '/v1/admin/bookings/{bookingId}', fn: 'bookingsApi', auth: 'staff', operationId: 'getBooking', summary: 'One booking' },
  {
    method: 'POST',
    path: '/v1/admin/bookings/{bookingId}/cancel',
    fn: 'bookingsApi',
    auth: 'staff',
    operationId: 'cancelBooking',
    summary: "Cancel a booking on the customer's behalf",
  },
  {
    method: 'POST',
    path: '/v1/admin/bookings/{bookingId}/reschedule',
    fn: 'bookingsApi',
    auth: 'staff',
    operationId: 'rescheduleBooking',
    summary: 'Move a booking to another time (or staff member)',
  },
  {
    method: 'GET',
    path: '/v1/admin/availability',
    fn: 'bookingsApi',
    auth: 'staff',
    operationId: 'getAvailability',
    summary: 'Free slots of a service (for the booking form)',
  },
  {
    method: 'GET',
    path: '/v1/admin/booking-settings',
    fn: 'bookingsApi',
    auth: 'staff',
    operationId: 'getBookingSettings',
    summary: 'Booking policy, buffers and exceptions (holidays, time off)',
  },
  {
    method: 'PUT',
    path: '/v1/admin/booking-settings',
    fn: 'bookingsApi',
    auth: 'admin',
    operationId: 'putBookingSettings',
    summary: 'Change the booking policy, buffers and exceptions',
  },
  // ---- the team: staff accounts (teamApi) -------------------------------------------------------------
  { method: 'GET', path: '/v1/admin/team', fn: 'teamApi', auth: 'staff', operationId: 'listTeam', summary: 'The staff of the business: admins and agents' },
  { method: 'POST', path: '/v1/admin/team', fn: 'teamApi', auth: 'admin', operationId: 'inviteStaff', summary: 'Invite a person to the team as an admin or an agent' },
  {
    method: 'PUT',
    path: '/v1/admin/team/{userId}/role',
    fn: 'teamApi',
    auth: 'admin',
    operationId: 'changeStaffRole',
    summary: "Change a team member's role",
  },
  {
    method: 'POST',
    path: '/v1/admin/team/{userId}/disable',
    fn: 'teamApi',
    auth: 'admin',
    operationId: 'disableStaff',
    summary: "Disable a team member's account",
  },
  // ---- integrations: per-tenant credentials, write-only (integrationsApi) ---------------------------------
  {
    method: 'GET',
    path: '/v1/admin/integrations',
    fn: 'integrationsApi',
    auth: 'admin',
    operationId: 'listIntegrations',
    summary: 'Which integrations are configured, when and by whom, with non-secret hints (never a secret)',
  },
  {
    method: 'PUT',
    path: '/v1/admin/integrations/{provider}',
    fn: 'integrationsApi',
    auth: 'admin',
    operationId: 'putIntegration',
    summary: "Set or replace one provider's credentials (stored encrypted, never returned)",
  },
  {
    method: 'DELETE',
    path: '/v1/admin/integrations/{provider}',
    fn: 'integrationsApi',
    auth: 'admin',
    operationId: 'deleteIntegration',
    summary: "Remove one provider's credentials",
  },
  // ---- payments: Stripe's webhook (the body is read raw: its signature covers the exact bytes) ----
  {
    method: 'POST',
    path: '/v1/webhooks/stripe/{tenantId}',
    fn: 'stripeWebhook',
    auth: 'public',
    operationId: 'receiveStripeWebhook',
    summary: 'Stripe webhook deliveries for a tenant (signed with Stripe-Signature)',
  },
  // ---- channels inbound: Twilio (form body, X-Twilio-Signature) and Meta (JSON, X-Hub-Signature-256), read raw ----
  {
    method: 'POST',
    path: '/v1/webhooks/twilio/{tenantId}',
    fn: 'twilioWebhook',
    auth: 'public',
    operationId: 'receiveTwilioMessage',
    summary: 'Incoming SMS and WhatsApp messages from Twilio for a tenant (signed with X-Twilio-Signature)',
  },
  {
    method: 'GET',
    path: '/v1/webhooks/meta/{tenantId}',
    fn: 'metaWebhook',
    auth: 'public',
    operationId: 'verifyMetaWebhook',
    summary: "Meta's webhook subscription check (hub.mode, hub.verify_token, hub.challenge)",
  },
  {
    method: 'POST',
    path: '/v1/webhooks/meta/{tenantId}',
    fn: 'metaWebhook',
    auth: 'public',
    operationId: 'receiveMetaMessage',
    summary: 'Incoming Messenger messages from Meta for a tenant (signed with X-Hub-Signature-256)',
  },
  // ---- channels outbound: Twilio delivery statuses (raw form body, X-Twilio-Signature) and the channel outbox ----
  {
    method: 'POST',
    path: '/v1/webhooks/twilio/{tenantId}/status',
    fn: 'twilioStatus',
    auth: 'public',
    operationId: 'receiveTwilioStatus',
    summary: 'Twilio delivery-status callbacks of messages sent to customers (signed with X-Twilio-Signature)',
  },
  {
    method: 'GET',
    path: '/v1/admin/channel-outbox',
    fn: 'channelOutboxApi',
    auth: 'admin',
    operationId: 'listChannelOutbox',
    summary: 'WhatsApp / SMS / Messenger messages kept in the channel outbox, and failed or parked deliveries, newest first',
  },
  {
    method: 'GET',
    path: '/v1/admin/conversations/{conversationId}/delivery',
    fn: 'channelOutboxApi',
    auth: 'staff',
    operationId: 'getConversationDelivery',
    summary: "A channel conversation's 24-hour window and the delivery status of its messages",
  },
  // ---- the widget's look and allowed origins (widgetSettingsApi) ---------------------------------
  { method: 'GET', path: '/v1/admin/widget', fn: 'widgetSettingsApi', auth: 'staff', operationId: 'getWidgetSettings', summary: "The widget's settings, key and embed snippet" },
  {
    method: 'PUT',
    path: '/v1/admin/widget',
    fn: 'widgetSettingsApi',
    auth: 'admin',
    operationId: 'putWidgetSettings',
    summary: "Change the widget's colour, position, greetings, languages, logo and allowed origins",
  },
  // ---- the audit log (auditApi): read only, there is no route that changes or removes an entry ----------
  {
    method: 'GET',
    path: '/v1/admin/audit',
    fn: 'auditApi',
    auth: 'admin',
    operationId: 'listAuditEntries',
    summary: 'The audit log, newest first: filter by actor, action and time; page with the cursor',
  },
  // ---- outbound webhooks (webhooksApi): subscriptions, test pings, the dead-letter view ------------------
  { method: 'GET', path: '/v1/admin/webhooks', fn: 'webhooksApi', auth: 'admin', operationId: 'listWebhooks', summary: "The tenant's webhook subscriptions (never their secrets)" },
  {
    method: 'POST',
    path: '/v1/admin/webhooks',
    fn: 'webhooksApi',
    auth: 'admin',
    operationId: 'createWebhook',
    summary: 'Subscribe an https URL to events; the answer shows the signing secret, once',
  },
  { method: 'DELETE', path: '/v1/admin/webhooks/{webhookId}', fn: 'webhooksApi', auth: 'admin', operationId: 'deleteWebhook', summary: 'Delete a webhook subscription' },
  {
    method: 'POST',
    path: '/v1/admin/webhooks/{webhookId}/test',
    fn: 'webhooksApi',
    auth: 'admin',
    operationId: 'testWebhook',
    summary: 'Send a signed ping to a subscription now and see its answer',
  },
  {
    method: 'GET',
    path: '/v1/admin/webhooks/deliveries',
    fn: 'webhooksApi',
    auth: 'admin',
    operationId: 'listWebhookDeliveries',
    summary: 'Webhook and CRM deliveries by status, newest first (failed: the dead-letter view)',
  },
  {
    method: 'POST',
    path: '/v1/admin/webhooks/deliveries/{deliveryId}/redeliver',
    fn: 'webhooksApi',
    auth: 'admin',
    operationId: 'redeliverWebhook',
    summary: 'Send a failed delivery again now',
  },
  // ---- analytics (analyticsApi; docs/metrics.md) ----------------------------------------------------------
  { method: 'GET', path: '/v1/admin/analytics', fn: 'analyticsApi', auth: 'staff', operationId: 'getAnalytics', summary: 'Analytics of a date range: counters per day, totals, rates, top questions' },
  {
    method: 'GET',
    path: '/v1/admin/analytics/export',
    fn: 'analyticsApi',
    auth: 'staff',
    operationId: 'exportAnalytics',
    summary: 'The same analytics as CSV: one row per day, one column per counter',
  },
  { method: 'GET', path: '/v1/admin/analytics/gaps', fn: 'analyticsApi', auth: 'staff', operationId: 'listKnowledgeGaps', summary: 'Questions the concierge could not answer, most asked first' },
  {
    method: 'POST',
    path: '/v1/admin/analytics/gaps/{gapId}/resolve',
    fn: 'analyticsApi',
    auth: 'admin',
    operationId: 'resolveKnowledgeGap',
    summary: 'Close a knowledge gap: the FAQ that now answers it, or a dismissal',
  },
  {
    method: 'POST',
    path: '/v1/admin/bookings/{bookingId}/no-show',
    fn: 'bookingsApi',
    auth: 'staff',
    operationId: 'markBookingNoShow',
    summary: 'Mark a confirmed booking whose start has passed as a no-show',
  },
  // ---- privacy (privacyApi): retention and data requests about one customer ----------------------------
  { method: 'GET', path: '/v1/admin/privacy', fn: 'privacyApi', auth: 'staff', operationId: 'getPrivacySettings', summary: 'The retention period of conversations' },
  {
    method: 'PUT',
    path: '/v1/admin/privacy',
    fn: 'privacyApi',
    auth: 'admin',
    operationId: 'putPrivacySettings',
    summary: 'Change the retention period (7..3650 days, or null to keep conversations)',
  },
  {
    method: 'GET',
    path: '/v1/admin/customers/{customerKey}',
    fn: 'privacyApi',
    auth: 'admin',
    operationId: 'getCustomer',
    summary: 'What is held about a customer (phone:+…, email:… or a channel identity), as counts per store',
  },
  {
    method: 'GET',
    path: '/v1/admin/customers/{customerKey}/export',
    fn: 'privacyApi',
    auth: 'admin',
    operationId: 'exportCustomer',
    summary: "Subject-access export: everything about the customer as a JSON download (recorded in the audit log)",
  },
  {
    method: 'DELETE',
    path: '/v1/admin/customers/{customerKey}',
    fn: 'privacyApi',
    auth: 'admin',
    operationId: 'eraseCustomer',
    summary: "Erase the customer's data in every store (bookings anonymised); the body repeats the customer to confirm",
  },
];

export interface WsRouteDecl {
  /** `$connect`, `$disconnect`, `$default` or an `action` value. */
  readonly route: string;
  readonly fn: FunctionName;
}

/** Route selection expression: `$request.body.action`. */
export const wsRouteSelectionExpression = '$request.body.action';

export const wsRoutes: readonly WsRouteDecl[] = [
  { route: '$connect', fn: 'wsConnect' },
  { route: '$disconnect', fn: 'wsDisconnect' },
  { route: '$default', fn: 'wsMessage' },
  { route: 'hello', fn: 'wsMessage' },
  { route: 'sendMessage', fn: 'wsMessage' },
  { route: 'newConversation', fn: 'wsMessage' },
  { route: 'ping', fn: 'wsMessage' },
  { route: 'customerTyping', fn: 'wsMessage' },
  { route: 'feedback', fn: 'wsMessage' },
  { route: 'markRead', fn: 'wsMessage' },
  // Staff inboxes (connected with `key=staff.<ID token>`).
  { route: 'staffWatch', fn: 'staffWs' },
  { route: 'staffTyping', fn: 'staffWs' },
  { route: 'staffPing', fn: 'staffWs' },
];

/**
 * The REQUEST authorizer guarding `$connect`; its identity sources are query parameters. `key` is a
 * widget key, or `staff.<Cognito ID token>` for a staff inbox (API Gateway requires every identity source).
 */
export const wsAuthorizer = { fn: 'wsAuthorizer', identityQueryParams: ['key'] } as const satisfies {
  fn: FunctionName;
  identityQueryParams: readonly string[];
};

/** The REQUEST authorizer guarding staff REST routes (`Authorization: Bearer <Cognito token>`). */
export const restAuthorizer = { fn: 'staffAuthorizer', identityHeader: 'Authorization' } as const;

/** Source of every event Concierge puts on its bus. */
export const eventSource = 'concierge';

export interface EventPattern {
  readonly source?: readonly string[];
  readonly 'detail-type'?: readonly string[];
  readonly detail?: Record<string, unknown>;
}

export interface RuleDecl {
  /** Logical name; unique. */
  readonly name: string;
  readonly description: string;
  readonly pattern: EventPattern;
  readonly target: { readonly fn: FunctionName } | { readonly stateMachine: StateMachineName };
  /**
   * The target's retry policy and its own dead-letter queue (CDK: an encrypted SQS queue with a depth alarm).
   * @default the shared dead-letter queue, 8 retries within 2 hours
   */
  readonly delivery?: { readonly retryAttempts: number; readonly maxEventAgeSeconds: number };
}

/** The events the analytics projector reads (lambdas/core/analytics/projector.ts), routed by ConversationStats. */
export const analyticsEvents = [
  'conversation.started',
  'message.received',
  'message.answered',
  'message.unanswered',
  'message.feedback',
  'handoff.requested',
  'handoff.transition',
  'handoff.csat',
  'booking.confirmed',
  'booking.cancelled',
  'booking.noshow',
  'payment.succeeded',
  'payment.refunded',
] as const;

export const eventRules: readonly RuleDecl[] = [
  {
    name: 'ConversationStats',
    description: 'Conversation, handoff, booking and payment events update the analytics (docs/metrics.md)',
    pattern: {
      source: [eventSource],
      'detail-type': analyticsEvents,
    },
    target: { fn: 'statsProjector' },
  },
  {
    name: 'HandoffRequested',
    description: 'A request for a person starts the handoff workflow',
    pattern: { source: [eventSource], 'detail-type': ['handoff.requested'] },
    target: { stateMachine: 'handoff' },
  },
  {
    name: 'HandoffCustomerMessages',
    description: 'A customer message while a person is involved: CSAT answers, callback contacts, inbox news',
    pattern: { source: [eventSource], 'detail-type': ['message.received'], detail: { mode: ['waiting_for_human', 'human', 'closed'] } },
    target: { fn: 'handoffEvents' },
  },
  {
    name: 'BookingRequested',
    description: 'A booking request starts the booking workflow',
    pattern: { source: [eventSource], 'detail-type': ['booking.requested'] },
    target: { stateMachine: 'booking' },
  },
  {
    name: 'BookingPayments',
    description: 'A verified deposit payment (or its failure) answers the booking workflow waiting for it',
    pattern: { source: [eventSource], 'detail-type': ['payment.succeeded', 'payment.failed'] },
    target: { fn: 'bookingEvents' },
  },
  {
    name: 'ChannelMessages',
    description: 'An inbound WhatsApp / SMS / Messenger message joins its conversation (it then counts as message.received)',
    pattern: { source: [eventSource], 'detail-type': ['channel.message.received'] },
    target: { fn: 'channelMessage' },
  },
  {
    name: 'ChannelSend',
    description: 'A message for a customer on WhatsApp, SMS or Messenger goes to its sender',
    pattern: { source: [eventSource], 'detail-type': ['message.send'] },
    target: { fn: 'channelSender' },
    // A reply is worth little after an hour; what still fails lands in the sender's own dead-letter queue.
    delivery: { retryAttempts: 4, maxEventAgeSeconds: 3600 },
  },
  {
    name: 'OutboundWebhooks',
    description: "Customer, conversation, handoff, booking and payment events go to the tenant's webhook subscriptions and CRM",
    // handoff.transition: the dispatcher keeps only those into `closed` (conversation.closed).
    // The same list as core/webhooks/events.ts `webhookSourceEvents` (test/unit/webhook-signature.test.ts).
    pattern: {
      source: [eventSource],
      'detail-type': ['customer.created', 'handoff.transition', 'handoff.requested', 'booking.confirmed', 'booking.changed', 'booking.cancelled', 'payment.succeeded'],
    },
    target: { fn: 'webhookDispatcher' },
    // Receivers' failures are recorded by the dispatcher (the dead-letter view); the bus retries only its own
    // failures, for a day, then the rule's own dead-letter queue keeps the event.
    delivery: { retryAttempts: 8, maxEventAgeSeconds: 86_400 },
  },
  {
    name: 'KnowledgeIndexing',
    description: 'An import or an edit of the knowledge base: the knowledge indexer embeds what the write left and updates the search collection',
    pattern: { source: [eventSource], 'detail-type': ['knowledge.changed'] },
    target: { fn: 'knowledgeIndexer' },
  },
  {
    name: 'RetentionSweep',
    description: "A changed retention period re-stamps and sweeps the tenant's conversations; the daily schedule's per-tenant event sweeps what has become too old",
    pattern: { source: [eventSource], 'detail-type': ['privacy.retention.changed', 'privacy.retention.due'] },
    target: { fn: 'retentionSweeper' },
  },
];

/**
 * A rule on a schedule (the account's default bus: EventBridge runs schedules only there). The target receives
 * EventBridge's scheduled event: `source: 'aws.events'`, `detail-type: 'Scheduled Event'`, `detail: {}`, the rule's ARN
 * in `resources`. The local cloud runs the same list (local-cloud/scheduler.ts).
 */
export interface ScheduleDecl {
  /** Logical name; unique among rules and schedules. */
  readonly name: string;
  readonly description: string;
  /** EventBridge syntax, the subset {@link parseScheduleExpression} accepts. */
  readonly expression: string;
  readonly target: { readonly fn: FunctionName };
  /** As {@link RuleDecl.delivery}. @default the shared dead-letter queue, 8 retries within 2 hours */
  readonly delivery?: RuleDecl['delivery'];
}

export const schedules: readonly ScheduleDecl[] = [
  {
    name: 'DailyRetentionSweep',
    description: 'Once a day: one privacy.retention.due per tenant with a retention period, so idle tenants are swept too',
    expression: 'rate(1 day)',
    target: { fn: 'retentionSweeper' },
  },
];

/** A schedule expression understood: a fixed rate, or a daily time of day (UTC). */
export type ParsedSchedule = { readonly kind: 'rate'; readonly everyMs: number } | { readonly kind: 'daily'; readonly hour: number; readonly minute: number };

const RATE_UNIT_MS: Readonly<Record<string, number>> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/**
 * Parses the subset of EventBridge schedule expressions Concierge declares: `rate(<n> minute|minutes|hour|hours|day|days)`
 * (singular exactly when n is 1, as EventBridge requires) and `cron(<minute> <hour> * * ? *)` (every day at that UTC time).
 * Throws, naming the expression, on anything else.
 */
export function parseScheduleExpression(expression: string): ParsedSchedule {
  const rate = /^rate\(([1-9]\d{0,5}) (minute|hour|day)(s?)\)$/.exec(expression);
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2] ?? '';
    const unitMs = RATE_UNIT_MS[unit] ?? 0;
    if ((n === 1) !== (rate[3] === '')) throw new Error(`Schedule expression ${JSON.stringify(expression)}: write "1 ${unit}" or "<n> ${unit}s"`);
    return { kind: 'rate', everyMs: n * unitMs };
  }
  const cron = /^cron\((\d{1,2}) (\d{1,2}) \* \* \? \*\)$/.exec(expression);
  if (cron) {
    const minute = Number(cron[1]);
    const hour = Number(cron[2]);
    if (minute <= 59 && hour <= 23) return { kind: 'daily', hour, minute };
  }
  throw new Error(`Schedule expression ${JSON.stringify(expression)} is not supported: use rate(<n> minutes|hours|days) or cron(<minute> <hour> * * ? *)`);
}

export interface TableDecl {
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly ttlAttribute: string;
  readonly globalIndexes: readonly { readonly name: string; readonly partitionKey: string; readonly sortKey: string }[];
}

export const table: TableDecl = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
  globalIndexes: [{ name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' }],
};

export interface StateMachineDecl {
  /** ASL file relative to the repository root. */
  readonly file: string;
  readonly description: string;
  /** `${Name}` in the ASL → the ARN of this function. */
  readonly functionSubstitutions: Readonly<Record<string, FunctionName>>;
  /** `${Name}` in the ASL (always inside a JSON string, so the file stays valid JSON) → a value. */
  readonly valueSubstitutions: Readonly<Record<string, string>>;
}

export const stateMachines = {
  booking: {
    file: 'state-machines/booking.asl.json',
    description: 'Hold a slot, take a deposit if due (payment timeout), confirm, add to the calendar, notify, remind; compensate on failure',
    functionSubstitutions: { WorkflowTaskArn: 'workflowTask' },
    valueSubstitutions: {},
  },
  handoff: {
    file: 'state-machines/handoff.asl.json',
    description: 'Queue a conversation for a person, notify staff, wait for an agent (SLA), escalate or fall back, follow it to close and CSAT',
    functionSubstitutions: { WorkflowTaskArn: 'workflowTask' },
    valueSubstitutions: {},
  },
} as const satisfies Record<string, StateMachineDecl>;

export type StateMachineName = keyof typeof stateMachines;

/** Environment variables every function receives; CDK fills them with resource attributes, the local cloud with local endpoints. */
export const sharedEnvironment = [
  'TABLE_NAME',
  'EVENT_BUS_NAME',
  'WS_MANAGEMENT_ENDPOINT',
  'STATE_MACHINE_ARNS',
  'USER_POOL_ID',
  'USER_POOL_CLIENT_ID',
  'LLM_PROVIDER',
  'VECTOR_STORE',
  'POWERTOOLS_SERVICE_NAME',
] as const;
