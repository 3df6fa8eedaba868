/** Choosing the LanguageModel from configuration, as the composition root does. */
import { loadConfig } from '../../lambdas/adapters/config';
import { ExtractiveAnswerer } from '../../lambdas/adapters/llm/extractive';
import { languageModelFromConfig } from '../../lambdas/adapters/llm/language-model';
import { startFakeBedrock } from '../support/fake-bedrock';
import { startFakeOpenAi } from '../support/fake-openai';
import { composeInput, parking } from './fixtures';

describe('languageModelFromConfig', () => {
  it('is the embedded extractive answerer by default', () => {
    expect(languageModelFromConfig(loadConfig([], {}))).toBeInstanceOf(ExtractiveAnswerer);
    expect(languageModelFromConfig(loadConfig([], { LLM_PROVIDER: 'embedded' }))).toBeInstanceOf(ExtractiveAnswerer);
  });

  it('refuses openai without OPENAI_API_KEY, and an unknown provider, at start-up', () => {
    expect(() => languageModelFromConfig(loadConfig([], { LLM_PROVIDER: 'openai' }))).toThrow(/OPENAI_API_KEY is not set/);
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

  it('does not answer twice when the stream broke after text reached the customer', async () => {
    const fake = await startFakeBedrock();
    try {
      fake.script({ kind: 'stream-exception', deltas: ['Behind '], exceptionType: 'ModelStreamErrorException' });
      const model = languageModelFromConfig(loadConfig([], { LLM_PROVIDER: 'bedrock', AWS_ENDPOINT_URL_BEDROCK_RUNTIME: fake.endpoint }));
      const seen: string[] = [];
      await expect(model.compose({ ...composeInput(), onDelta: (t) => seen.push(t) })).rejects.toThrow();
      expect(seen.join('').trim()).toBe('Behind');
    } finally {
      await fake.close();
    }
  });
});
