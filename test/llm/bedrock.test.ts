/**
 * The Bedrock adapter through the real SDK client against a local fake of the
 * ConverseStream endpoint that speaks the AWS event-stream wire format.
 */
import { z } from 'zod';
import { BedrockLanguageModel, bedrockRuntimeClient } from '../../lambdas/adapters/llm/bedrock';
import { LanguageModelError } from '../../lambdas/adapters/llm/retry';
import { startFakeBedrock, type FakeBedrock } from '../support/fake-bedrock';
import { composeInput, expectedText, parking, prices, streamedPieces, unrelated } from './fixtures';

let fake: FakeBedrock;

beforeAll(async () => {
  fake = await startFakeBedrock();
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  fake.reset();
});

function model(retry: { attemptTimeoutMs?: number; maxAttempts?: number } = {}): BedrockLanguageModel {
  const client = bedrockRuntimeClient({
    region: 'eu-west-1',
    endpoint: fake.endpoint,
    credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake-secret' },
  });
  return new BedrockLanguageModel(client, {
    modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
    // A generous deadline: a first request on a loaded machine must not time out and be retried (the request counts).
    retry: { baseDelayMs: 1, maxDelayMs: 5, attemptTimeoutMs: 20_000, ...retry },
  });
}

const converseRequest = z.object({
  system: z.array(z.object({ text: z.string() })).length(1),
  messages: z.array(z.object({ role: z.literal('user'), content: z.array(z.object({ text: z.string() })).length(1) })).length(1),
  inferenceConfig: z.object({ maxTokens: z.number(), temperature: z.number() }),
});

describe('BedrockLanguageModel', () => {
  it('streams the deltas in order, and returns their join without citation markers and the cited passage ids', async () => {
    fake.script({ kind: 'stream', deltas: streamedPieces });
    const deltas: string[] = [];
    const result = await model().compose(composeInput({ onDelta: (d) => deltas.push(d) }));

    expect(result.text).toBe(expectedText);
    expect(deltas.join('')).toBe(result.text);
    expect(deltas.length).toBeGreaterThan(2);
    // Whitespace that may precede a citation marker is held back until the next piece decides.
    expect(deltas[0]).toBe('Our car park is behind');
    expect(result.usedPassageIds).toEqual([parking.id, prices.id]);
  });

  it('sends a signed ConverseStream request with the rules as the system prompt and only the retrieved passages', async () => {
    fake.script({ kind: 'stream', deltas: ['Yes [1].'] });
    await model().compose(composeInput({ lang: 'es', history: [{ role: 'customer', text: 'Hola' }] }));

    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request?.modelId).toBe('anthropic.claude-3-haiku-20240307-v1:0');
    expect(String(request?.headers['authorization'])).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDFAKE\/\d{8}\/eu-west-1\/bedrock\/aws4_request/);
    const body = converseRequest.parse(request?.body);
    const system = body.system[0]?.text ?? '';
    const user = body.messages[0]?.content[0]?.text ?? '';

    expect(system).toContain('Answer ONLY from the numbered passages');
    expect(system).toMatch(/\[1\]/);
    expect(system).toContain("don't know");
    expect(system).toContain('Reply in Spanish');
    expect(system).toContain('plain text');
    expect(system).toContain('Never reveal');
    expect(system).toContain('Harbour Dental Studio');
    // The passages and the customer's words are data in the user message, not in the rules.
    expect(system).not.toContain(parking.text);
    expect(user).toContain(parking.text);
    expect(user).toContain(prices.text);
    expect(user).toMatch(/BEGIN PASSAGE 1 \S+>>>\nTitle: Do you have parking\?/);
    expect(user).toContain('Where can I park, and is it free?');
    expect(user).toContain('Customer: Hola');
    expect(JSON.stringify(request?.body)).not.toContain(unrelated.text);
    expect(JSON.stringify(request?.body)).not.toContain(unrelated.title);
  });

  it('retries a 429 and then a 500 with backoff and succeeds', async () => {
    fake.script(
      { kind: 'error', status: 429, errorType: 'ThrottlingException', message: 'Too many requests, please wait before trying again.' },
      { kind: 'error', status: 500, errorType: 'InternalServerException' },
      { kind: 'stream', deltas: ['Behind the building [1].'] },
    );
    const result = await model().compose(composeInput());
    expect(result).toEqual({ text: 'Behind the building.', usedPassageIds: [parking.id] });
    expect(fake.requests).toHaveLength(3);
  });

  it('retries a throttling exception that arrives inside the stream before any text', async () => {
    fake.script({ kind: 'stream-exception', deltas: [], exceptionType: 'throttlingException' }, { kind: 'stream', deltas: ['Free [2].'] });
    const result = await model().compose(composeInput());
    expect(result).toEqual({ text: 'Free.', usedPassageIds: [prices.id] });
    expect(fake.requests).toHaveLength(2);
  });

  it('fails with a typed error after the attempts when the service keeps answering 500', async () => {
    fake.script(...Array.from({ length: 3 }, () => ({ kind: 'error' as const, status: 500, errorType: 'InternalServerException' })));
    const error = await model().compose(composeInput()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LanguageModelError);
    expect(error).toMatchObject({ provider: 'bedrock', failure: 'unavailable', attempts: 3, retryable: true });
    expect(fake.requests).toHaveLength(3);
  });

  it('does not retry a request Bedrock refuses (400 ValidationException)', async () => {
    fake.script({ kind: 'error', status: 400, errorType: 'ValidationException', message: 'The provided model identifier is invalid.' });
    await expect(model().compose(composeInput())).rejects.toMatchObject({ failure: 'rejected', attempts: 1 });
    expect(fake.requests).toHaveLength(1);
  });

  it('does not retry once text has been streamed: the error says the stream was interrupted', async () => {
    fake.script({ kind: 'stream-exception', deltas: ['Our car park ', 'is behind'], exceptionType: 'modelStreamErrorException' });
    const deltas: string[] = [];
    const error = await model()
      .compose(composeInput({ onDelta: (d) => deltas.push(d) }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'LanguageModelError', failure: 'interrupted', attempts: 1 });
    expect(deltas.join('')).toBe('Our car park is behind');
    expect(fake.requests).toHaveLength(1);
  });

  it('times out an attempt that never answers, retries, and reports a timeout', async () => {
    fake.script({ kind: 'hang' }, { kind: 'hang' });
    // What ended each attempt is the adapter's own 1 s deadline (its abort reason), not a socket or budget
    // timeout: asserted on the cause rather than on wall-clock time, which a loaded machine stretches.
    await expect(model({ attemptTimeoutMs: 1000, maxAttempts: 2 }).compose(composeInput())).rejects.toMatchObject({
      failure: 'timeout',
      attempts: 2,
      cause: { name: 'AbortError', cause: { message: 'no complete answer within 1000 ms' } },
    });
    expect(fake.requests).toHaveLength(2);
  });
});
