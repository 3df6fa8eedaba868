/** Choosing the LanguageModel from configuration, as the composition root does. */
import { loadConfig } from '../../lambdas/adapters/config';
import { ExtractiveAnswerer } from '../../lambdas/adapters/llm/extractive';
import { languageModelFromConfig } from '../../lambdas/adapters/llm/language-model';
import { startFakeBedrock } from '../support/fake-bedrock';
import { startFakeOpenAi } from '../support/fake-openai';
import { startFakeSecretsManager } from '../support/fake-secrets-manager';
import { composeInput, parking, prices } from './fixtures';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:concierge/openai';

describe('languageModelFromConfig', () => {
  it('is the embedded extractive answerer by default', () => {
    expect(languageModelFromConfig(loadConfig([], {}))).toBeInstanceOf(ExtractiveAnswerer);
    expect(languageModelFromConfig(loadConfig([], { LLM_PROVIDER: 'embedded' }))).toBeInstanceOf(ExtractiveAnswerer);
  });

  it('refuses openai without OPENAI_API_KEY or OPENAI_SECRET_ARN, and an unknown provider, at start-up', () => {
    expect(() => languageModelFromConfig(loadConfig([], { LLM_PROVIDER: 'openai' }))).toThrow(/OPENAI_API_KEY or OPENAI_SECRET_ARN must be set/);
    expect(() => loadConfig([], { OPENAI_SECRET_ARN: 'openai-key' })).toThrow(/OPENAI_SECRET_ARN: must be a Secrets Manager secret ARN/);
    expect(() => loadConfig([], { LLM_PROVIDER: 'gemini' })).toThrow(/LLM_PROVIDER/);
    expect(() => loadConfig([], { BEDROCK_MODEL_ID: 'not a model id' })).toThrow(/BEDROCK_MODEL_ID/);
  });

  it('builds Bedrock with BEDROCK_MODEL_ID and the endpoint override', async () => {
    const fake = await startFakeBedrock();
    try {
      fake.script({ kind: 'stream', deltas: ['Behind the building [1].'] });
      const model = languageModelFromConfig(
        loadConfig([], { LLM_PROVIDER: 'bedrock', BEDROCK_MODEL_ID: 'eu.amazon.nova-lite-v1:0', AWS_ENDPOINT_URL_BEDROCK_RUNTIME: fake.endpoint }),
      );
      await expect(model.compose(composeInput())).resolves.toEqual({ text: 'Behind the building.', usedPassageIds: [parking.id] });
      expect(fake.requests.map((r) => r.modelId)).toEqual(['eu.amazon.nova-lite-v1:0']);
    } finally {
      await fake.close();
    }
  });

  it('uses the default Bedrock model when BEDROCK_MODEL_ID is not set', async () => {
    const fake = await startFakeBedrock();
    try {
      const model = languageModelFromConfig(loadConfig([], { LLM_PROVIDER: 'bedrock', AWS_ENDPOINT_URL_BEDROCK_RUNTIME: fake.endpoint }));
      await model.compose(composeInput());
      expect(fake.requests.map((r) => r.modelId)).toEqual(['amazon.nova-lite-v1:0']);
    } finally {
      await fake.close();
    }
  });

  it.each([
    ['the key itself', 'sk-from-secret'],
    ['JSON with apiKey', JSON.stringify({ apiKey: 'sk-from-secret' })],
  ])('reads the OpenAI key from Secrets Manager once, as the stack configures it (OPENAI_SECRET_ARN: %s)', async (_shape, secretString) => {
    const [openai, secrets] = await Promise.all([startFakeOpenAi(), startFakeSecretsManager(secretString)]);
    try {
      openai.script({ kind: 'stream', deltas: ['Behind the building [1].'] }, { kind: 'stream', deltas: ['Behind the building [1].'] });
      const model = languageModelFromConfig(
        loadConfig([], { LLM_PROVIDER: 'openai', OPENAI_SECRET_ARN: SECRET_ARN, OPENAI_BASE_URL: openai.baseURL, AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint }),
      );
      await expect(model.compose(composeInput())).resolves.toEqual({ text: 'Behind the building.', usedPassageIds: [parking.id] });
      await model.compose(composeInput());
      expect(secrets.requests).toHaveLength(1);
      expect(secrets.requests[0]?.body).toEqual({ SecretId: SECRET_ARN });
      expect(String(secrets.requests[0]?.headers['authorization'])).toMatch(/^AWS4-HMAC-SHA256 .*\/secretsmanager\/aws4_request/);
      expect(openai.requests.map((r) => r.headers['authorization'])).toEqual(['Bearer sk-from-secret', 'Bearer sk-from-secret']);
    } finally {
      await Promise.all([openai.close(), secrets.close()]);
    }
  });

  it('answers with the offline answerer when the secret holds no key, and tries the secret again on the next answer', async () => {
    const [openai, secrets] = await Promise.all([startFakeOpenAi(), startFakeSecretsManager(JSON.stringify({ key: 'misnamed' }))]);
    try {
      const fallbacks: unknown[] = [];
      const model = languageModelFromConfig(
        loadConfig([], { LLM_PROVIDER: 'openai', OPENAI_SECRET_ARN: SECRET_ARN, OPENAI_BASE_URL: openai.baseURL, AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint }),
        (error) => fallbacks.push(error),
      );
      const offline = await new ExtractiveAnswerer().compose(composeInput());
      await expect(model.compose(composeInput())).resolves.toEqual(offline);
      await expect(model.compose(composeInput())).resolves.toEqual(offline);
      expect(String(fallbacks[0])).toMatch(/the OpenAI secret holds no key/);
      expect(secrets.requests).toHaveLength(2);
      expect(openai.requests).toHaveLength(0);
    } finally {
      await Promise.all([openai.close(), secrets.close()]);
    }
  });

  it('judges relevance with a hosted model; its offline fallback answers only from passages above the extractive bar', async () => {
    expect(languageModelFromConfig(loadConfig([], {})).judgesRelevance).toBeFalsy();
    const fake = await startFakeOpenAi();
    try {
      const fallbacks: unknown[] = [];
      const model = languageModelFromConfig(loadConfig([], { LLM_PROVIDER: 'openai', OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: fake.baseURL }), (error) => fallbacks.push(error));
      expect(model.judgesRelevance).toBe(true);
      const refused = { kind: 'error', status: 400, type: 'invalid_request_error' } as const;
      // A candidate only the hosted model could judge: the fallback cites nothing, so the question counts as unanswered.
      const candidateOnly = composeInput({ passages: [{ passage: parking, score: 0.68, coverage: 0.17, similarity: 0.61 }] });
      fake.script(refused);
      await expect(model.compose(candidateOnly)).resolves.toEqual({ text: '', usedPassageIds: [] });
      // Beside a passage above the bar, the fallback answers from that one alone.
      const mixed = composeInput({ passages: [{ passage: prices, score: 0.8, coverage: 0.9, similarity: 0.7 }, { passage: parking, score: 0.7, coverage: 0.17, similarity: 0.5 }] });
      fake.script(refused);
      const answered = await model.compose(mixed);
      expect(answered.usedPassageIds).toEqual([prices.id]);
      expect(answered.text).toBe('Parking is free for patients for up to two hours.');
      expect(fallbacks).toHaveLength(2);
    } finally {
      await fake.close();
    }
  });

  it('builds OpenAI with OPENAI_API_KEY, OPENAI_MODEL and OPENAI_BASE_URL', async () => {
    const fake = await startFakeOpenAi();
    try {
      fake.script({ kind: 'stream', deltas: ['Behind ', 'the building [1].'] });
      const model = languageModelFromConfig(
        loadConfig([], { LLM_PROVIDER: 'openai', OPENAI_API_KEY: 'sk-from-env', OPENAI_MODEL: 'gpt-4.1-mini', OPENAI_BASE_URL: fake.baseURL }),
      );
      await expect(model.compose(composeInput())).resolves.toEqual({ text: 'Behind the building.', usedPassageIds: [parking.id] });
      expect(fake.requests[0]?.headers['authorization']).toBe('Bearer sk-from-env');
      expect(fake.requests[0]?.body).toEqual(expect.objectContaining({ model: 'gpt-4.1-mini', stream: true }));
    } finally {
      await fake.close();
    }
  });

  it('answers from the passages with the offline answerer when the hosted model keeps failing, and says so to the caller', async () => {
    const fake = await startFakeBedrock();
    try {
      fake.script(...Array.from({ length: 6 }, () => ({ kind: 'error' as const, status: 503, errorType: 'ServiceUnavailableException' })));
      const failures: unknown[] = [];
      const model = languageModelFromConfig(loadConfig([], { LLM_PROVIDER: 'bedrock', AWS_ENDPOINT_URL_BEDROCK_RUNTIME: fake.endpoint }), (e) => failures.push(e));
      const offline = await new ExtractiveAnswerer().compose(composeInput());
      await expect(model.compose(composeInput())).resolves.toEqual(offline);
      expect(offline.usedPassageIds).toEqual([parking.id]);
      expect(failures).toHaveLength(1);
      expect(fake.requests.length).toBeGreaterThan(1); // the adapter retried before giving up
    } finally {
      await fake.close();
    }
  });

  it('answers from the offline fallback, without streaming it after the broken preview, when the stream broke after text reached the customer', async () => {
    const fake = await startFakeBedrock();
    try {
      fake.script({ kind: 'stream-exception', deltas: ['Behind '], exceptionType: 'ModelStreamErrorException' });
      const failures: unknown[] = [];
      const model = languageModelFromConfig(loadConfig([], { LLM_PROVIDER: 'bedrock', AWS_ENDPOINT_URL_BEDROCK_RUNTIME: fake.endpoint }), (e) => failures.push(e));
      const seen: string[] = [];
      const offline = await new ExtractiveAnswerer().compose(composeInput());
      // The stored answer (the fallback's) replaces the preview; nothing more is streamed after "Behind".
      await expect(model.compose({ ...composeInput(), onDelta: (t) => seen.push(t) })).resolves.toEqual(offline);
      expect(offline.usedPassageIds).toEqual([parking.id]);
      expect(seen.join('').trim()).toBe('Behind');
      expect(failures).toEqual([expect.objectContaining({ failure: 'interrupted' })]);
      expect(fake.requests).toHaveLength(1); // never retried once text was sent
    } finally {
      await fake.close();
    }
  });
});
