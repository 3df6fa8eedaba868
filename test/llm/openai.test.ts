/**
 * The OpenAI adapter through the real `openai` client against a local fake of
 * the chat completions endpoint that streams server-sent events.
 */
import { z } from 'zod';
import { OpenAiLanguageModel } from '../../lambdas/adapters/llm/openai';
import { LanguageModelError } from '../../lambdas/adapters/llm/retry';
import { startFakeOpenAi, type FakeOpenAi } from '../support/fake-openai';
import { composeInput, expectedText, parking, prices, streamedPieces, unrelated } from './fixtures';

let fake: FakeOpenAi;

beforeAll(async () => {
  fake = await startFakeOpenAi();
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  fake.reset();
});

function model(retry: { attemptTimeoutMs?: number; maxAttempts?: number } = {}): OpenAiLanguageModel {
  return new OpenAiLanguageModel({
    apiKey: 'sk-test-fake',
    baseURL: fake.baseURL,
    model: 'gpt-4o-mini',
    // A generous deadline: a first request on a loaded machine must not time out and be retried (the request counts).
    retry: { baseDelayMs: 1, maxDelayMs: 5, attemptTimeoutMs: 20_000, ...retry },
  });
}

const chatRequest = z.object({
  model: z.string(),
  stream: z.literal(true),
  messages: z.tuple([z.object({ role: z.literal('system'), content: z.string() }), z.object({ role: z.literal('user'), content: z.string() })]),
});

describe('OpenAiLanguageModel', () => {
  it('streams the deltas in order, and returns their join without citation markers and the cited passage ids', async () => {
    fake.script({ kind: 'stream', deltas: streamedPieces });
    const deltas: string[] = [];
    const result = await model().compose(composeInput({ onDelta: (d) => deltas.push(d) }));
    expect(result.text).toBe(expectedText);
    expect(deltas.join('')).toBe(result.text);
    expect(deltas.length).toBeGreaterThan(2);
    expect(result.usedPassageIds).toEqual([parking.id, prices.id]);
  });

  it('sends the rules as the system message and only the retrieved passages, with the API key', async () => {
    fake.script({ kind: 'stream', deltas: ['Sí [1].'] });
    await model().compose(composeInput({ lang: 'es' }));
    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request?.headers['authorization']).toBe('Bearer sk-test-fake');
    const body = chatRequest.parse(request?.body);
    expect(body.model).toBe('gpt-4o-mini');
    const [system, user] = body.messages;
    expect(system.content).toContain('Answer ONLY from the numbered passages');
    expect(system.content).toContain('Reply in Spanish');
    expect(system.content).toContain('Never reveal');
    expect(system.content).not.toContain(parking.text);
    expect(user.content).toContain(parking.text);
    expect(user.content).toContain(prices.text);
    expect(user.content).toContain('Where can I park, and is it free?');
    expect(JSON.stringify(request?.body)).not.toContain(unrelated.text);
  });

  it('retries a 429 and then a 500 and succeeds', async () => {
    fake.script(
      { kind: 'error', status: 429, type: 'requests', code: 'rate_limit_exceeded', message: 'Rate limit reached for requests' },
      { kind: 'error', status: 500, type: 'server_error' },
      { kind: 'stream', deltas: ['Behind the building [1].'] },
    );
    const result = await model().compose(composeInput());
    expect(result).toEqual({ text: 'Behind the building.', usedPassageIds: [parking.id] });
    expect(fake.requests).toHaveLength(3);
  });

  it('fails with a typed error after the attempts when the service keeps answering 500', async () => {
    fake.script(...Array.from({ length: 3 }, () => ({ kind: 'error' as const, status: 500, type: 'server_error' })));
    const error = await model().compose(composeInput()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LanguageModelError);
    expect(error).toMatchObject({ provider: 'openai', failure: 'unavailable', attempts: 3 });
    expect(fake.requests).toHaveLength(3);
  });

  it('does not retry a refused request (401 invalid key)', async () => {
    fake.script({ kind: 'error', status: 401, type: 'invalid_request_error', code: 'invalid_api_key', message: 'Incorrect API key provided' });
    await expect(model().compose(composeInput())).rejects.toMatchObject({ failure: 'rejected', attempts: 1 });
    expect(fake.requests).toHaveLength(1);
  });

  it('does not retry once text has been streamed', async () => {
    fake.script({ kind: 'stream-error', deltas: ['Our car park ', 'is behind'] });
    const deltas: string[] = [];
    await expect(model().compose(composeInput({ onDelta: (d) => deltas.push(d) }))).rejects.toMatchObject({ failure: 'interrupted', attempts: 1 });
    expect(deltas.join('')).toBe('Our car park is behind');
    expect(fake.requests).toHaveLength(1);
  });

  it('times out an attempt that never answers, retries, and reports a timeout', async () => {
    fake.script({ kind: 'hang' }, { kind: 'hang' });
    await expect(model({ attemptTimeoutMs: 1000, maxAttempts: 2 }).compose(composeInput())).rejects.toMatchObject({ failure: 'timeout', attempts: 2 });
    expect(fake.requests).toHaveLength(2);
  });
});
