/**
 * Per-tenant credentials of the outside services a business connects (Stripe, Twilio, Meta, calendars):
 * written by admins through the admin API, stored encrypted (KMS envelope in AWS, AES-256-GCM with a local key
 * in the local cloud), never returned, never logged. Adapters read them through `IntegrationSecrets`; when a
 * tenant has none, the environment's defaults (environment variables) or the local stand-ins apply.
 */
import { z } from 'zod';

/**
 * A credential: it is sent as an HTTP header value (a bearer token, a basic-auth password), so anything beyond
 * printable ASCII without spaces (a control character, a bidi mark, an emoji, a lone surrogate) could only fail
 * later, at the provider, after the admin was told it was saved.
 */
function credentialSchemas(headerSafe: boolean) {
  const secret = (what: string, pattern?: RegExp) =>
    (pattern
      ? z.string().trim().regex(pattern, `must be ${what}`)
      : headerSafe
        ? z.string().trim().min(1, `${what} is required`).regex(/^[\x21-\x7e]+$/, `must be ${what}: printable ASCII characters, no spaces`)
        : z.string().trim().min(1, `${what} is required`)
    ).max(4096);
  return {
    stripe: z.strictObject({
      secretKey: secret('a Stripe secret or restricted key (sk_… / rk_…)', /^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/),
      webhookSecret: secret('a webhook signing secret (whsec_…)', /^whsec_[A-Za-z0-9_]+$/),
    }),
    twilio: z.strictObject({
      accountSid: secret('a Twilio account SID (AC…)', /^AC[0-9a-fA-F]{32}$/),
      authToken: secret('a Twilio auth token (32 hex characters)', /^[0-9a-fA-F]{32}$/),
      /** E.164 sender for SMS. */
      smsFrom: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +353861234567').optional(),
      /** E.164 WhatsApp sender (without the `whatsapp:` prefix). */
      whatsappFrom: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +353861234567').optional(),
      /** Approved WhatsApp templates (Twilio Content SIDs, HX…) used outside the 24-hour window. */
      templates: z
        .strictObject({
          reminder: z.string().regex(/^HX[0-9a-fA-F]{32}$/).optional(),
          csat: z.string().regex(/^HX[0-9a-fA-F]{32}$/).optional(),
          followUp: z.string().regex(/^HX[0-9a-fA-F]{32}$/).optional(),
          bookingUpdate: z.string().regex(/^HX[0-9a-fA-F]{32}$/).optional(),
        })
        .optional(),
    }),
    meta: z.strictObject({
      pageId: z.string().regex(/^\d{1,32}$/, 'must be a numeric Facebook Page id'),
      pageAccessToken: secret('a Page access token'),
      appSecret: secret('the app secret (32 hex characters)', /^[0-9a-fA-F]{32}$/),
      /** Chosen by the business; Meta echoes it in the webhook subscription check. */
      verifyToken: secret('a verify token of 8-128 characters', /^[\x21-\x7e]{8,128}$/),
    }),
    google: z.strictObject({ calendarId: z.string().trim().min(1).max(1024), accessToken: secret('an OAuth access token') }),
    microsoft: z.strictObject({ user: z.string().trim().min(1).max(320), accessToken: secret('an OAuth access token') }),
    calendly: z.strictObject({ token: secret('a personal access token'), eventTypeUri: z.url() }),
    /** HubSpot CRM (adapters/crm/hubspot.ts): a private app's access token with the contacts read / write scopes. */
    hubspot: z.strictObject({ accessToken: secret('a HubSpot private app access token (pat-…)', /^pat-[a-z0-9]{2,8}-[A-Za-z0-9-]{16,200}$/) }),
  } as const;
}

/** What an admin may save: every token as it can go out in a header. */
export const integrationSchemas = credentialSchemas(true);
/**
 * What is read back from the store: the same, except that a token saved before the header-safe check is still read
 * (refusing it on read would fail every webhook that needs the tenant's other credentials; it fails only at the
 * provider, as before, until the admin saves it again).
 */
export const storedIntegrationSchemas = credentialSchemas(false);

export type IntegrationProvider = keyof typeof integrationSchemas;
export const integrationProviders = Object.keys(integrationSchemas) as IntegrationProvider[];
export type IntegrationCredentials<P extends IntegrationProvider> = z.infer<(typeof integrationSchemas)[P]>;

/** What the admin API may show of a stored integration: that it exists, when it changed, by whom — never a secret. */
export interface IntegrationSummary {
  readonly provider: IntegrationProvider;
  readonly updatedAt: string;
  /** Cognito sub of the admin who wrote it. */
  readonly updatedBy: string;
  /** Non-secret identifiers to recognise it by (account SID, page id, sender numbers, calendar id, key mode test/live). */
  readonly hints: Readonly<Record<string, string>>;
}

export interface IntegrationSecrets {
  /** The tenant's decrypted credentials for the provider, or undefined when none are stored. */
  get<P extends IntegrationProvider>(tenantId: string, provider: P): Promise<IntegrationCredentials<P> | undefined>;
  /** Encrypts and stores (replacing) the credentials; the caller has validated them with `integrationSchemas[provider]`. */
  put<P extends IntegrationProvider>(tenantId: string, provider: P, credentials: IntegrationCredentials<P>, by: string): Promise<IntegrationSummary>;
  remove(tenantId: string, provider: IntegrationProvider): Promise<boolean>;
  list(tenantId: string): Promise<IntegrationSummary[]>;
}

/** Envelope encryption of small secrets, bound to an encryption context (tenant id and provider). */
export interface SecretCipher {
  encrypt(plaintext: string, context: Readonly<Record<string, string>>): Promise<string>;
  /** Throws when the ciphertext was not made with this context. */
  decrypt(ciphertext: string, context: Readonly<Record<string, string>>): Promise<string>;
}
