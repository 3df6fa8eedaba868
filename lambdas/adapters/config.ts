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
  /** Local Cognito only: its issuer and key set URL (AWS uses the pool's standard ones). */
  COGNITO_ISSUER: z.url().optional(),
  COGNITO_JWKS_URI: z.url().optional(),
  LLM_PROVIDER: z.enum(['embedded', 'bedrock', 'openai']).default('embedded'),
  /** Bedrock model or inference profile id; adapters/llm/bedrock.ts has the default. */
  BEDROCK_MODEL_ID: z.string().regex(/^[A-Za-z0-9.:/_-]{1,2048}$/, 'must be a Bedrock model id, inference profile id or ARN').optional(),
  /** Required when LLM_PROVIDER is openai. */
  OPENAI_API_KEY: z.string().min(1).optional(),
  /** adapters/llm/openai.ts has the default. */
  OPENAI_MODEL: z.string().min(1).optional(),
  /** An OpenAI-compatible endpoint instead of api.openai.com. */
  OPENAI_BASE_URL: z.url().optional(),
  VECTOR_STORE: z.enum(['embedded', 'opensearch-serverless']).default('embedded'),
  /** Endpoint overrides, set only by the local cloud. */
  AWS_ENDPOINT_URL_DYNAMODB: z.url().optional(),
  AWS_ENDPOINT_URL_EVENTBRIDGE: z.url().optional(),
  AWS_ENDPOINT_URL_SFN: z.url().optional(),
  AWS_ENDPOINT_URL_BEDROCK_RUNTIME: z.url().optional(),
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
