/**
 * Per-tenant-environment configuration. The zod schema is the type: a tenant
 * environment is whatever parses, and nothing else reaches the stack.
 */
import { z } from 'zod';

/** Log retention periods CloudWatch Logs accepts (days). */
export const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const origin = z
  .string()
  .regex(
    /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/,
    'must be an origin: scheme and host, optional port, no path or trailing slash (e.g. https://www.example.com)',
  );

const hostname = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'must be a lowercase DNS name like example.com');

/** Whether a verified SES identity (a domain or an address) lets `from` send: the address itself, its domain, or a parent domain. */
export function sesIdentityCovers(identity: string, from: string): boolean {
  const id = identity.toLowerCase();
  const address = from.toLowerCase();
  if (id.includes('@')) return id === address;
  const domain = address.slice(address.lastIndexOf('@') + 1);
  return domain === id || domain.endsWith(`.${id}`);
}

/** The SES identity `from` is sent under: the configured one, or the domain of `from`. */
export function sesIdentityOf(sender: { readonly from: string; readonly identity?: string }): string {
  return sender.identity ?? sender.from.slice(sender.from.lastIndexOf('@') + 1).toLowerCase();
}

export const tenantEnvironmentSchema = z
  .strictObject({
    /** Short name; the stack is `Concierge-<name>`. */
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,30}$/, 'must be 2-31 characters: lowercase letters, digits and dashes, starting with a letter'),
    /** AWS account; when absent the stack is account-agnostic and deploys to the CLI's account. */
    account: z
      .string()
      .regex(/^\d{12}$/, 'must be a 12-digit AWS account id')
      .optional(),
    region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region like us-east-1'),
    /** Custom domain; when set, the admin UI is served at `admin.<domain>` (Amplify-managed certificate). */
    domain: hostname.optional(),
    llmProvider: z.enum(['bedrock', 'openai', 'embedded']).default('bedrock'),
    /** Bedrock model (or cross-region inference profile, e.g. `us.anthropic...`) that writes answers. */
    bedrockModelId: z
      .string()
      .regex(/^[a-z0-9-]+(\.[A-Za-z0-9-]+)+(:\d+)?(:[a-z0-9]+)?$/, 'must be a Bedrock model id like amazon.nova-lite-v1:0')
      .default('amazon.nova-lite-v1:0'),
    /** Bedrock embedding model of the OpenSearch Serverless vector store (passages and questions), whatever `llmProvider` is. */
    embeddingModelId: z
      .string()
      .regex(/^[a-z0-9-]+(\.[A-Za-z0-9-]+)+(:\d+)?$/, 'must be a Bedrock model id like amazon.titan-embed-text-v2:0')
      .default('amazon.titan-embed-text-v2:0'),
    /**
     * Secrets Manager secret name holding the OpenAI API key; required when
     * `llmProvider` is openai. Created outside the stack so the key never enters a template.
     */
    openAiSecretName: z
      .string()
      .regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'must be a Secrets Manager secret name')
      .optional(),
    /**
     * Where knowledge vectors live. `embedded` keeps them with the knowledge
     * items in DynamoDB and avoids OpenSearch Serverless's standing cost
     * (roughly $175+ a month per collection): right for small knowledge bases.
     */
    vectorStore: z.enum(['opensearch-serverless', 'embedded']).default('opensearch-serverless'),
    /** OpenSearch Serverless standby replicas (high availability, double the OCUs). */
    opensearchStandbyReplicas: z.boolean().default(true),
    /**
     * Origins of the businesses' sites that embed the widget, for REST CORS (the widget reads its settings over
     * REST). The WebSocket origin check is per tenant: the origins in each tenant's widget settings.
     */
    allowedWidgetOrigins: z.array(origin).default([]),
    /** CloudWatch Logs retention for every log group of the stack. */
    retentionDays: z
      .number()
      .int()
      .refine((d) => RETENTION_DAYS.some((allowed) => allowed === d), {
        message: `must be one of ${RETENTION_DAYS.join(', ')}`,
      }),
    /** When set, alarms are created and notify this address. */
    alarmEmail: z.email('must be an email address').optional(),
    /** The REST API p99 latency (milliseconds) above which an alarm is raised, held for 15 minutes. */
    restLatencyP99AlarmMs: z.number().int().min(100, 'must be at least 100 ms').max(29_000, 'must be at most 29000 ms (the API Gateway timeout)').default(3000),
    /**
     * When set, e-mail (staff notifications, booking confirmations and reminders) goes out through Amazon SES
     * from `from`, and the functions that send it may call `ses:SendEmail` on this identity only; otherwise
     * e-mail is kept in the table's outbox and shown in the admin UI. The identity is verified in SES, in
     * this region, outside the stack (verification needs DNS records or a mailbox).
     */
    sesSender: z
      .strictObject({
        /** The From address. */
        from: z.email('must be an email address'),
        /**
         * The verified SES identity that covers `from`: its domain (or a parent domain), or the address itself.
         * @default the domain of `from`
         */
        identity: z.union([hostname, z.email('must be a domain or an email address')]).optional(),
        /** An SES configuration set (bounce and complaint events, dedicated IPs). */
        configurationSet: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an SES configuration set name')
          .optional(),
      })
      .refine((s) => s.identity === undefined || sesIdentityCovers(s.identity, s.from), {
        message: 'must be the domain of from (or a parent domain), or from itself',
        path: ['identity'],
      })
      .optional(),
    /** `customer-managed` creates a KMS key (with rotation) for the table. */
    tableEncryption: z.enum(['aws-managed', 'customer-managed']).default('aws-managed'),
    /** Staff multi-factor authentication (TOTP). */
    staffMfa: z.enum(['optional', 'required']).default('required'),
    /** Steady-state and burst request limits for the REST and WebSocket stages. */
    throttling: z
      .strictObject({
        rateLimit: z.number().int().positive(),
        burstLimit: z.number().int().positive(),
      })
      .default({ rateLimit: 50, burstLimit: 100 }),
  })
  .refine((env) => env.llmProvider !== 'openai' || env.openAiSecretName !== undefined, {
    message: 'is required when llmProvider is openai',
    path: ['openAiSecretName'],
  });

/** A validated tenant environment. */
export type TenantEnvironment = z.infer<typeof tenantEnvironmentSchema>;
/** What a tenant environment declaration may be written as (defaults not yet applied). */
export type TenantEnvironmentInput = z.input<typeof tenantEnvironmentSchema>;

/** Thrown when the requested tenant environment is unknown or its configuration is invalid. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Picks and validates one tenant environment.
 *
 * @throws ConfigError naming the valid environments, or every invalid field.
 */
export function resolveTenantEnvironment(
  requested: string,
  declared: Readonly<Record<string, unknown>>,
): TenantEnvironment {
  const valid = Object.keys(declared).sort();
  const input = Object.hasOwn(declared, requested) ? declared[requested] : undefined;
  if (input === undefined) {
    throw new ConfigError(
      `Unknown tenant environment "${requested}". Valid environments: ${valid.join(', ')}. ` +
        'Pick one with: npx cdk synth -c env=<name>',
    );
  }
  const parsed = tenantEnvironmentSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  - ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new ConfigError(`Tenant environment "${requested}" is invalid:\n${problems.join('\n')}`);
  }
  if (parsed.data.name !== requested) {
    throw new ConfigError(
      `Tenant environment declared under "${requested}" has name "${parsed.data.name}"; the key and the name must match.`,
    );
  }
  return parsed.data;
}
