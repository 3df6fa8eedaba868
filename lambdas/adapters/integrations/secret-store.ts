/**
 * `IntegrationSecrets` on the single table: one item per tenant and provider (keys.integration) holding the
 * credentials encrypted by a SecretCipher under the context {tenantId, provider}, when and by whom they were
 * written, and non-secret hints to recognise them by. Decrypted credentials are cached in memory for 60 s per
 * container (bounded), and dropped by `put`/`remove` in the same process; other containers see a change
 * within the cache's lifetime.
 */
import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import {
  integrationProviders,
  integrationSchemas,
  storedIntegrationSchemas,
  type IntegrationCredentials,
  type IntegrationProvider,
  type IntegrationSecrets,
  type IntegrationSummary,
  type SecretCipher,
} from '../../core/integrations';
import type { Clock } from '../../core/ports';
import { keys } from '../dynamo/keys';
import { queryPartition } from '../dynamo/query';

export interface DynamoIntegrationSecretsOptions {
  /** How long decrypted credentials (and their absence) are kept in memory. @default 60_000 */
  readonly cacheTtlMs?: number;
  /** At most this many tenant+provider entries in memory; the oldest goes first. @default 500 */
  readonly cacheMaxEntries?: number;
}

const providerSchema = z.enum(integrationProviders);

/** What an integration item holds (validated when read back: the table is an input too). */
const itemSchema = z.object({
  provider: providerSchema,
  ciphertext: z.string().min(1),
  updatedAt: z.string(),
  updatedBy: z.string(),
  hints: z.record(z.string(), z.string()).default({}),
});

/** The last four characters, for recognising a key without revealing it. */
const last4 = (value: string): string => value.slice(-4);

/**
 * The non-secret identifiers of a provider's credentials. Parsed per provider, so each case sees its own
 * fields; tokens, auth tokens and app secrets never appear here (a Stripe key only as its mode and last four).
 */
export function hintsOf(provider: IntegrationProvider, credentials: unknown): Record<string, string> {
  switch (provider) {
    case 'stripe': {
      const c = integrationSchemas.stripe.parse(credentials);
      return { mode: c.secretKey.includes('_live_') ? 'live' : 'test', keyType: c.secretKey.startsWith('rk_') ? 'restricted' : 'secret', keyLast4: last4(c.secretKey) };
    }
    case 'twilio': {
      const c = integrationSchemas.twilio.parse(credentials);
      const templates = Object.entries(c.templates ?? {}).filter((t): t is [string, string] => t[1] !== undefined);
      return {
        accountSid: c.accountSid,
        ...(c.smsFrom ? { smsFrom: c.smsFrom } : {}),
        ...(c.whatsappFrom ? { whatsappFrom: c.whatsappFrom } : {}),
        ...(templates.length > 0 ? { templates: templates.map(([name]) => name).join(', ') } : {}),
        // Each template's Content SID (an identifier, not a secret), so a form replacing the auth token can keep them.
        ...Object.fromEntries(templates.map(([name, sid]) => [`templates.${name}`, sid])),
      };
    }
    case 'meta':
      return { pageId: integrationSchemas.meta.parse(credentials).pageId };
    case 'google':
      return { calendarId: integrationSchemas.google.parse(credentials).calendarId };
    case 'microsoft':
      return { user: integrationSchemas.microsoft.parse(credentials).user };
    case 'calendly':
      return { eventTypeUri: integrationSchemas.calendly.parse(credentials).eventTypeUri };
    case 'hubspot': {
      // The token's region (`pat-na1-…`) and its last four characters; never the token.
      const c = integrationSchemas.hubspot.parse(credentials);
      return { region: c.accessToken.split('-')[1] ?? '', tokenLast4: last4(c.accessToken) };
    }
  }
}

type Parsers = { readonly [P in IntegrationProvider]: (value: unknown) => z.ZodSafeParseResult<IntegrationCredentials<P>> };

/** One parser per provider, typed for it (a mapped type: indexing it with a generic provider keeps the type). */
function parsersOf(schemas: typeof integrationSchemas | typeof storedIntegrationSchemas): Parsers {
  return {
    stripe: (v) => schemas.stripe.safeParse(v),
    twilio: (v) => schemas.twilio.safeParse(v),
    meta: (v) => schemas.meta.safeParse(v),
    google: (v) => schemas.google.safeParse(v),
    microsoft: (v) => schemas.microsoft.safeParse(v),
    calendly: (v) => schemas.calendly.safeParse(v),
    hubspot: (v) => schemas.hubspot.safeParse(v),
  };
}
/** What may be written, and what is read back (a token saved before the header-safe check still reads). */
const writeParsers = parsersOf(integrationSchemas);
const readParsers = parsersOf(storedIntegrationSchemas);

/** Parses credentials with the provider's schema (`stored`: as read back), typed for that provider. */
function credentialsOf<P extends IntegrationProvider>(provider: P, value: unknown, stored = false): IntegrationCredentials<P> {
  const parse: (value: unknown) => z.ZodSafeParseResult<IntegrationCredentials<P>> = (stored ? readParsers : writeParsers)[provider];
  const parsed = parse(value);
  // Only the paths, never an issue's input or message: either could carry a secret.
  if (!parsed.success) throw new Error(`${provider} credentials do not match their schema (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')})`);
  return parsed.data;
}

const contextOf = (tenantId: string, provider: IntegrationProvider): Record<string, string> => ({ tenantId, provider });

interface CacheEntry {
  readonly expiresAt: number;
  /** The parsed credentials, or undefined when the tenant has none for the provider. */
  readonly value: unknown;
}

/** A cipher for environments that configured none: reading a stored secret fails with the reason. */
export const noCipher: SecretCipher = {
  encrypt: () => Promise.reject(new Error('configuration error: neither INTEGRATIONS_KMS_KEY_ID nor LOCAL_SECRETS_KEY is set')),
  decrypt: () => Promise.reject(new Error('configuration error: neither INTEGRATIONS_KMS_KEY_ID nor LOCAL_SECRETS_KEY is set')),
};

export class DynamoIntegrationSecrets implements IntegrationSecrets {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly cipher: SecretCipher,
    private readonly clock: Clock,
    options: DynamoIntegrationSecretsOptions = {},
  ) {
    this.ttlMs = options.cacheTtlMs ?? 60_000;
    this.maxEntries = Math.max(1, options.cacheMaxEntries ?? 500);
  }

  async get<P extends IntegrationProvider>(tenantId: string, provider: P): Promise<IntegrationCredentials<P> | undefined> {
    const cacheKey = `${tenantId}\u0000${provider}`;
    const now = this.clock.now().getTime();
    const hit = this.cache.get(cacheKey);
    if (hit && hit.expiresAt > now) return hit.value === undefined ? undefined : credentialsOf(provider, hit.value);
    if (hit) this.cache.delete(cacheKey);

    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.integration(tenantId, provider) }));
    let value: IntegrationCredentials<P> | undefined;
    if (out.Item) {
      const item = itemSchema.parse(out.Item);
      const plaintext = await this.cipher.decrypt(item.ciphertext, contextOf(tenantId, provider));
      let json: unknown;
      try {
        json = JSON.parse(plaintext);
      } catch {
        throw new Error(`stored ${provider} credentials are not JSON`);
      }
      value = credentialsOf(provider, json, true);
    }
    this.remember(cacheKey, { expiresAt: now + this.ttlMs, value });
    return value;
  }

  async put<P extends IntegrationProvider>(tenantId: string, provider: P, credentials: IntegrationCredentials<P>, by: string): Promise<IntegrationSummary> {
    const valid = credentialsOf(provider, credentials);
    const ciphertext = await this.cipher.encrypt(JSON.stringify(valid), contextOf(tenantId, provider));
    const summary: IntegrationSummary = { provider, updatedAt: this.clock.now().toISOString(), updatedBy: by, hints: hintsOf(provider, valid) };
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.integration(tenantId, provider), entity: 'Integration', ciphertext, provider, updatedAt: summary.updatedAt, updatedBy: by, hints: summary.hints },
      }),
    );
    this.cache.delete(`${tenantId}\u0000${provider}`);
    return summary;
  }

  async remove(tenantId: string, provider: IntegrationProvider): Promise<boolean> {
    const out = await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: keys.integration(tenantId, provider), ReturnValues: 'ALL_OLD' }));
    this.cache.delete(`${tenantId}\u0000${provider}`);
    return out.Attributes !== undefined;
  }

  async list(tenantId: string): Promise<IntegrationSummary[]> {
    const items = await queryPartition(this.db, this.tableName, keys.integrationPartition(tenantId), { prefix: keys.integrationPrefix, consistent: true });
    const summaries: IntegrationSummary[] = [];
    for (const raw of items) {
      const parsed = itemSchema.safeParse(raw);
      if (parsed.success) summaries.push({ provider: parsed.data.provider, updatedAt: parsed.data.updatedAt, updatedBy: parsed.data.updatedBy, hints: parsed.data.hints });
    }
    return summaries.sort((a, b) => integrationProviders.indexOf(a.provider) - integrationProviders.indexOf(b.provider));
  }

  private remember(cacheKey: string, entry: CacheEntry): void {
    this.cache.delete(cacheKey);
    while (this.cache.size >= this.maxEntries) {
      const oldest = this.cache.keys().next();
      if (oldest.done) break;
      this.cache.delete(oldest.value);
    }
    this.cache.set(cacheKey, entry);
  }
}
