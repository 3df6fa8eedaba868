/**
 * Picks the LanguageModel adapter from configuration (`LLM_PROVIDER`); used by
 * the composition root. Configuration problems fail here, at start-up; the
 * hosted adapters' modules (and their SDKs) load on the first answer, so a
 * function that never answers does not pay for them at cold start.
 */
import type { Config } from '../config';
import { usablePassages } from '../../core/answer/concierge';
import type { ComposeInput, LanguageModel } from '../../core/ports';
import { ExtractiveAnswerer } from './extractive';
import { LanguageModelError } from './retry';

type LlmConfig = Partial<
  Pick<
    Config,
    'LLM_PROVIDER' | 'BEDROCK_MODEL_ID' | 'OPENAI_API_KEY' | 'OPENAI_SECRET_ARN' | 'OPENAI_MODEL' | 'OPENAI_BASE_URL' | 'AWS_ENDPOINT_URL_BEDROCK_RUNTIME' | 'AWS_ENDPOINT_URL_SECRETS_MANAGER'
  >
>;

/**
 * The OpenAI key: given as is (local cloud), or read once from Secrets Manager (AWS: the stack grants the function
 * that secret and sets OPENAI_SECRET_ARN, so the key never enters a template or an environment variable). The
 * secret is the key itself, or JSON with an `apiKey` field.
 */
export async function openAiKey(config: LlmConfig): Promise<string> {
  if (config.OPENAI_API_KEY) return config.OPENAI_API_KEY;
  const secretId = config.OPENAI_SECRET_ARN;
  if (!secretId) throw new Error('configuration error: OPENAI_API_KEY or OPENAI_SECRET_ARN must be set (LLM_PROVIDER is openai)');
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const endpoint = config.AWS_ENDPOINT_URL_SECRETS_MANAGER;
  const client = new SecretsManagerClient({ maxAttempts: 3, ...(endpoint ? { endpoint } : {}) });
  const secret = (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString?.trim() ?? '';
  let key = secret;
  if (secret.startsWith('{')) {
    const parsed: unknown = JSON.parse(secret);
    const field = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>)['apiKey'] : undefined;
    key = typeof field === 'string' ? field.trim() : '';
  }
  if (!key) throw new Error('configuration error: the OpenAI secret holds no key (expected the key itself or JSON with "apiKey")');
  return key;
}

/** A LanguageModel built on first use. */
function lazily(make: () => Promise<LanguageModel>): LanguageModel {
  let model: Promise<LanguageModel> | undefined;
  return {
    compose: async (input: ComposeInput) => {
      model ??= make().catch((error: unknown) => {
        model = undefined;
        throw error;
      });
      return (await model).compose(input);
    },
  };
}

/**
 * A hosted model that still fails after its own retries (throttled, unavailable, timed out, refused) must not
 * leave the customer without an answer: the offline extractive answerer writes it from the retrieved passages
 * that clear the extractive answering bar, so the reply stays grounded and cited. The hosted model judges
 * relevance and may have been given candidates below that bar; the extractive answerer cannot, so without such a
 * passage the fallback cites nothing and the question counts as unanswered. A stream that broke after text
 * reached the customer (`interrupted`) is answered the same way, but the fallback's text is not streamed after the
 * broken preview: the stored answer replaces the preview (a `message` frame naming it in `replyTo`), and a
 * customer on SMS or WhatsApp, who never saw the preview, gets an answer instead of none.
 */
export function withExtractiveFallback(primary: LanguageModel, fallback: LanguageModel = new ExtractiveAnswerer(), onFallback?: (error: unknown) => void): LanguageModel {
  return {
    judgesRelevance: true,
    compose: async (input: ComposeInput) => {
      let streamed = false;
      const onDelta = input.onDelta;
      const tracked: ComposeInput = onDelta
        ? {
            ...input,
            onDelta: (text: string) => {
              streamed = true;
              onDelta(text);
            },
          }
        : input;
      try {
        return await primary.compose(tracked);
      } catch (error) {
        onFallback?.(error);
        const passages = usablePassages(input.passages, fallback.judgesRelevance === true);
        if (passages.length === 0) return { text: '', usedPassageIds: [] };
        const interrupted = streamed || (error instanceof LanguageModelError && error.failure === 'interrupted');
        const { onDelta: _unused, ...quiet } = input;
        return fallback.compose(interrupted ? { ...quiet, passages } : { ...input, passages });
      }
    },
  };
}

export function languageModelFromConfig(config: LlmConfig, onFallback?: (error: unknown) => void): LanguageModel {
  const provider = config.LLM_PROVIDER ?? 'embedded';
  switch (provider) {
    case 'embedded':
      return new ExtractiveAnswerer();
    case 'bedrock': {
      const endpoint = config.AWS_ENDPOINT_URL_BEDROCK_RUNTIME;
      const modelId = config.BEDROCK_MODEL_ID;
      return withExtractiveFallback(
        lazily(async () => {
          const { BedrockLanguageModel, bedrockRuntimeClient } = await import('./bedrock');
          return new BedrockLanguageModel(bedrockRuntimeClient(endpoint ? { endpoint } : {}), modelId ? { modelId } : {});
        }),
        undefined,
        onFallback,
      );
    }
    case 'openai': {
      if (!config.OPENAI_API_KEY && !config.OPENAI_SECRET_ARN) {
        throw new Error('configuration error: OPENAI_API_KEY or OPENAI_SECRET_ARN must be set (LLM_PROVIDER is openai)');
      }
      const { OPENAI_MODEL: model, OPENAI_BASE_URL: baseURL } = config;
      return withExtractiveFallback(
        lazily(async () => {
          const [{ OpenAiLanguageModel }, apiKey] = await Promise.all([import('./openai'), openAiKey(config)]);
          return new OpenAiLanguageModel({ apiKey, ...(model ? { model } : {}), ...(baseURL ? { baseURL } : {}) });
        }),
        undefined,
        onFallback,
      );
    }
  }
}
