/**
 * Configuration read from the environment once, at module load, and checked:
 * a missing variable fails the cold start with its name, not a request later.
 */
import { z } from 'zod';

const schema = z.object({
  TABLE_NAME: z.string().min(1),
  EVENT_BUS_NAME: z.string().min(1),
  WS_MANAGEMENT_ENDPOINT: z.url(),
  USER_POOL_ID: z.string().min(1),
  USER_POOL_CLIENT_ID: z.string().min(1),
  /** JSON object: state machine name → ARN. */
  STATE_MACHINE_ARNS: z.string().transform((s, ctx) => {
    try {
      return z.record(z.string(), z.string()).parse(JSON.parse(s));
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object of name → ARN' });
      return z.NEVER;
    }
  }),
  /**
   * JSON array of the origins that may call the REST API from a browser (the widget's and the admin UI's): a
   * response carries `Access-Control-Allow-Origin` only for a request from one of them. Absent (local cloud): `*`.
   */
  CORS_ALLOWED_ORIGINS: z.string().transform((s, ctx) => {
    try {
      return z.array(z.url()).parse(JSON.parse(s)).map((o) => o.replace(/\/$/, '').toLowerCase());
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON array of origins' });
      return z.NEVER;
    }
  }),
  /** Local Cognito only: its issuer and key set URL (AWS uses the pool's standard ones). */
  COGNITO_ISSUER: z.url().optional(),
  COGNITO_JWKS_URI: z.url().optional(),
  LLM_PROVIDER: z.enum(['embedded', 'bedrock', 'openai']).default('embedded'),
  /** Bedrock model or inference profile id; adapters/llm/bedrock.ts has the default. */
  BEDROCK_MODEL_ID: z.string().regex(/^[A-Za-z0-9.:/_-]{1,2048}$/, 'must be a Bedrock model id, inference profile id or ARN').optional(),
  /** The OpenAI API key itself (local cloud); in AWS the stack gives OPENAI_SECRET_ARN instead. One of them is required when LLM_PROVIDER is openai. */
  OPENAI_API_KEY: z.string().min(1).optional(),
  /** A Secrets Manager secret holding the OpenAI API key (the whole secret string, or JSON with `apiKey`), read on the first answer. */
  OPENAI_SECRET_ARN: z.string().regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/, 'must be a Secrets Manager secret ARN').optional(),
  /** adapters/llm/openai.ts has the default. */
  OPENAI_MODEL: z.string().min(1).optional(),
  /** An OpenAI-compatible endpoint instead of api.openai.com. */
  OPENAI_BASE_URL: z.url().optional(),
  VECTOR_STORE: z.enum(['embedded', 'opensearch-serverless']).default('embedded'),
  /** The OpenSearch Serverless collection endpoint (`https://<id>.<region>.aoss.amazonaws.com`); required with VECTOR_STORE=opensearch-serverless. */
  OPENSEARCH_ENDPOINT: z.url().optional(),
  /** The index in that collection holding every tenant's passages (the adapter creates it on the first write). */
  OPENSEARCH_INDEX: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,254}$/, 'must be a lower-case OpenSearch index name')
    .default('concierge-passages'),
  /** The Bedrock embedding model of the OpenSearch index (Titan Text Embeddings v2 by default). */
  EMBEDDING_MODEL_ID: z.string().regex(/^[A-Za-z0-9.:/_-]{1,2048}$/, 'must be a Bedrock model id').optional(),
  /**
   * How long one knowledge write (an import, an FAQ or document edit) may spend embedding before it stores the rest
   * without vectors for the knowledge indexer. The default fits adminApi's 29 s timeout; 0 leaves all to the indexer.
   */
  KNOWLEDGE_EMBED_BUDGET_MS: z
    .string()
    .regex(/^\d+$/, 'must be a whole number of milliseconds')
    .transform(Number)
    .pipe(z.number().max(20_000))
    .default(12_000),
  /** Local cloud only: a folder where passage vectors are remembered across restarts (adapters/embeddings/disk-cache.ts). */
  EMBEDDING_CACHE_DIR: z.string().min(1).optional(),
  /** Local cloud only: a folder where trained intent models are remembered across restarts (adapters/nlu/intent-model-cache.ts). */
  INTENT_MODEL_CACHE_DIR: z.string().min(1).optional(),
  /** The region of the collection and of Bedrock; Lambda sets it. */
  AWS_REGION: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region').optional(),
  /** Deposits through Stripe Checkout when set (adapters/payments); the local checkout page otherwise. */
  STRIPE_SECRET_KEY: z.string().regex(/^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/, 'must be a Stripe secret or restricted key (sk_… / rk_…)').optional(),
  /** The webhook endpoint's signing secret (`whsec_…`); the local cloud makes one per start. */
  STRIPE_WEBHOOK_SECRET: z.string().regex(/^whsec_[A-Za-z0-9_]+$/, 'must be a webhook signing secret (whsec_…)').optional(),
  /** Tests only: a fake Stripe API (`http://127.0.0.1:PORT`) instead of api.stripe.com. */
  STRIPE_API_BASE: z.url().optional(),
  /** Where Stripe Checkout sends the customer back (`?checkout=paid|cancelled` is added); required with STRIPE_SECRET_KEY. */
  CHECKOUT_RETURN_URL: z.url().optional(),
  /** The local cloud's checkout page (`<url>/<checkoutId>`), used when STRIPE_SECRET_KEY is not set. */
  LOCAL_CHECKOUT_URL: z.url().optional(),
  /** The business's external calendar (adapters/calendar); `builtin`: bookings are the calendar. */
  CALENDAR_PROVIDER: z.enum(['builtin', 'google', 'microsoft', 'calendly']).default('builtin'),
  /** Google Calendar: the calendar id (an address, or `primary`) and an OAuth access token allowed to write it. */
  GOOGLE_CALENDAR_ID: z.string().min(1).max(1024).optional(),
  GOOGLE_ACCESS_TOKEN: z.string().min(1).optional(),
  /** Tests only: a fake Calendar API v3 base (`http://127.0.0.1:PORT/calendar/v3`). */
  GOOGLE_CALENDAR_API_BASE: z.url().optional(),
  /** Microsoft Graph (Outlook): an access token with Calendars.ReadWrite, and the mailbox (UPN or id; absent: `/me`). */
  MS_GRAPH_TOKEN: z.string().min(1).optional(),
  MS_CALENDAR_USER: z.string().min(1).max(320).optional(),
  /** Tests only: a fake Graph base (`http://127.0.0.1:PORT/v1.0`). */
  MS_GRAPH_API_BASE: z.url().optional(),
  /** Calendly: a personal access / OAuth token and the event type bookings become invitees of. */
  CALENDLY_TOKEN: z.string().min(1).optional(),
  CALENDLY_EVENT_TYPE_URI: z.url().optional(),
  /** Tests only: a fake Calendly API base. */
  CALENDLY_API_BASE: z.url().optional(),
  /** `ses`: e-mail through Amazon SES from EMAIL_FROM; `outbox` (default): kept in the table and shown in the admin UI. */
  EMAIL_PROVIDER: z.enum(['outbox', 'ses']).default('outbox'),
  /** The sender address (an SES-verified identity, or an address of a verified domain); required with EMAIL_PROVIDER=ses. */
  EMAIL_FROM: z.email('must be an e-mail address').optional(),
  /** An SES configuration set (event publishing, dedicated IPs). */
  SES_CONFIGURATION_SET: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an SES configuration set name').optional(),
  /**
   * Team invitations (core/team.ts): `cognito` (default) lets Cognito e-mail its invitation with a temporary
   * password; `email`: we choose the temporary password and send it through the EmailSender (the local cloud: its outbox).
   */
  STAFF_INVITE_DELIVERY: z.enum(['cognito', 'email']).default('cognito'),
  /** The admin UI's address, for links in e-mails we send (team invitations). */
  ADMIN_UI_URL: z.url().optional(),
  /** The widget's `loader.js` (`https://<widget host>/widget/loader.js`), for the embed snippet on the admin Widget page. */
  WIDGET_LOADER_URL: z.url().optional(),
  // ---- channels outbound (adapters/channels): the environment's defaults when a tenant has no credentials of its own ----
  /** Twilio account SID (AC…); with TWILIO_AUTH_TOKEN, WhatsApp / SMS go out through Twilio, else to the channel outbox. */
  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be a Twilio account SID (AC…)').optional(),
  /** The environment's Twilio auth token: signs inbound webhooks and status callbacks (verified with it), authenticates sends. */
  TWILIO_AUTH_TOKEN: z.string().regex(/^[0-9a-fA-F]{32}$/, 'must be a Twilio auth token (32 hex characters)').optional(),
  /** E.164 senders of the environment's Twilio account. */
  TWILIO_SMS_FROM: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +353861234567').optional(),
  TWILIO_WHATSAPP_FROM: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +353861234567').optional(),
  /** Tests only: a fake Twilio API (`http://127.0.0.1:PORT`). */
  TWILIO_API_BASE: z.url().optional(),
  /** A Facebook Page access token for Messenger replies; else they go to the channel outbox. */
  META_PAGE_ACCESS_TOKEN: z.string().min(1).optional(),
  /** Tests only: a fake Graph API (`http://127.0.0.1:PORT`). */
  META_GRAPH_API_BASE: z.url().optional(),
  // ---- channels inbound (handlers/twilio-webhook.ts, handlers/meta-webhook.ts): defaults when a tenant has no credentials ----
  /** The Meta app's secret: verifies `X-Hub-Signature-256` of Messenger webhooks (the local cloud makes one per start). */
  META_APP_SECRET: z.string().regex(/^[0-9a-fA-F]{32}$/, 'must be the app secret (32 hex characters)').optional(),
  /** The Facebook Page the environment's Meta app serves: Messenger deliveries for another page are dropped. */
  META_PAGE_ID: z.string().regex(/^\d{1,32}$/, 'must be a numeric Facebook Page id').optional(),
  /** The verify token Meta echoes in the webhook subscription check (8-128 printable characters). */
  META_VERIFY_TOKEN: z.string().regex(/^[\x21-\x7e]{8,128}$/, 'must be 8-128 printable characters').optional(),
  /** The REST API's public base URL (`https://…/live`): Twilio's StatusCallback points under it. */
  PUBLIC_API_URL: z.url().optional(),
  /** Endpoint overrides, set only by the local cloud. */
  AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: z.url().optional(),
  AWS_ENDPOINT_URL_DYNAMODB: z.url().optional(),
  AWS_ENDPOINT_URL_EVENTBRIDGE: z.url().optional(),
  AWS_ENDPOINT_URL_SFN: z.url().optional(),
  AWS_ENDPOINT_URL_BEDROCK_RUNTIME: z.url().optional(),
  AWS_ENDPOINT_URL_SESV2: z.url().optional(),
  AWS_ENDPOINT_URL_KMS: z.url().optional(),
  AWS_ENDPOINT_URL_SECRETS_MANAGER: z.url().optional(),
  /** Per-tenant integration credentials (adapters/integrations): the KMS key of their envelope encryption (id, ARN or alias). */
  INTEGRATIONS_KMS_KEY_ID: z.string().regex(/^[A-Za-z0-9:/_-]{1,2048}$/, 'must be a KMS key id, key ARN or alias').optional(),
  /** The local cloud's key for integration credentials instead of KMS: 32 bytes, base64 or 64 hex characters. */
  LOCAL_SECRETS_KEY: z
    .string()
    .regex(/^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/, 'must be 32 bytes as base64 or 64 hex characters')
    .optional(),
  // ---- outbound webhooks and CRM sync (core/webhooks, adapters/crm) ----
  /** `local` (the local cloud only): webhook URLs may be `http://127.0.0.1` / `http://localhost`. Default `public`: https to public addresses only. */
  WEBHOOK_URL_POLICY: z.enum(['public', 'local']).default('public'),
  /** Tests only: a fake HubSpot API (`http://127.0.0.1:PORT`) instead of https://api.hubapi.com. */
  HUBSPOT_API_BASE: z.url().optional(),
});

export type Config = z.infer<typeof schema>;
type Key = keyof Config;

/** Reads and checks just the variables a function needs; throws naming every missing or invalid one. */
export function loadConfig<K extends Key>(required: readonly K[], env: NodeJS.ProcessEnv = process.env): Pick<Config, K> & Partial<Config> {
  const picked = schema.partial().safeParse(env);
  const missing = required.filter((k) => env[k] === undefined || env[k] === '');
  if (!picked.success || missing.length > 0) {
    const problems = [
      ...missing.map((k) => `${k} is not set`),
      ...(picked.success ? [] : picked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)),
    ];
    throw new Error(`configuration error: ${problems.join('; ')}`);
  }
  return picked.data as Pick<Config, K> & Partial<Config>;
}
