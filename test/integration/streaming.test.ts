/**
 * Streamed answers over the widget WebSocket, through the real local cloud with a hosted model (the OpenAI
 * adapter pointed at a local fake that speaks its streaming wire format, deltas a few tens of ms apart): the customer sees
 * `chunk` frames — batched (~100 ms, not one frame per token), in order, keyed by the question's message id —
 * and then the stored, guarded `message` frame that replaces them. Chunks are never stored.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeOpenAi, type FakeOpenAi } from '../support/fake-openai';

let fake: FakeOpenAi;
import { answerDeps, knowledgeStore, store } from '../../lambdas/adapters/container';
import { confident } from '../../lambdas/core/answer/concierge';
import { provisionTenant } from '../../lambdas/core/knowledge';
import { knowledgeBaseSchema } from '../../lambdas/core/knowledge-base';
import type { ServerFrame } from '../../lambdas/core/protocol';
import { newWidgetKey } from '../../lambdas/core/widget-key';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { connect, wsUrl, type TestSocket } from '../support/ws-client';

let cloud: LocalCloud;
let origin: string;
const tenantId = 'streaming-clinic';
const widgetKey = newWidgetKey(tenantId);

beforeAll(async () => {
  fake = await startFakeOpenAi();
  // The handlers read their configuration when the composition root first builds the answer path.
  process.env['LLM_PROVIDER'] = 'openai';
  process.env['OPENAI_API_KEY'] = 'sk-test-streaming';
  process.env['OPENAI_BASE_URL'] = fake.baseURL;
  cloud = await startLocalCloud({ quiet: true });
  origin = new URL(cloud.urls.demoSite).origin;
  const kb = knowledgeBaseSchema.parse(JSON.parse(readFileSync(join(__dirname, '..', '..', 'local-cloud', 'seed', 'demo-kb.json'), 'utf8')));
  await provisionTenant(knowledgeStore(), { tenantId, widgetKey, allowedOrigins: [origin], kb: { ...kb, business: { ...kb.business, slug: tenantId } } });
}, 240_000);

afterAll(async () => {
  await cloud?.stop();
  await fake?.close();
});

type Chunk = Extract<ServerFrame, { type: 'chunk' }>;

/** Cap of each wait for a frame: generous, a loaded CI machine answers many times slower. */
const STEP_MS = 120_000;
jest.setTimeout(300_000);

/** A customer who asked "do you have parking?": resolves once its (scripted, slow) answer has started streaming. */
async function askWhileStreaming(): Promise<TestSocket> {
  const socket = await connect(wsUrl(cloud.urls.ws, widgetKey, randomBytes(16).toString('hex')), origin);
  socket.send({ action: 'hello', lang: 'en' });
  await socket.next('session');
  const firstId = randomBytes(9).toString('base64url');
  socket.send({ action: 'sendMessage', clientId: firstId, text: 'do you have parking?' });
  await socket.next('ack', (a) => a.clientId === firstId, STEP_MS);
  await socket.next('chunk', undefined, STEP_MS);
  return socket;
}

describe('streaming answers', () => {
  it('sends batched chunk frames in order, then the stored answer that replaces them', async () => {
    const words = 'There are six free patient spaces in the small car park behind our building [1]. '.split(/(?<= )/);
    // Deltas 30 ms apart against ~100 ms windows: several deltas per frame even when timers run late on a
    // loaded machine, and the stream (15 × 30 ms, self-paced) still spans several windows.
    fake.script({ kind: 'stream', deltas: words, delayMs: 30 });
    const socket = await connect(wsUrl(cloud.urls.ws, widgetKey, randomBytes(16).toString('hex')), origin);
    try {
      socket.send({ action: 'hello', lang: 'en' });
      const session = await socket.next('session');
      const clientId = randomBytes(9).toString('base64url');
      socket.send({ action: 'sendMessage', clientId, text: 'do you have parking?' });
      const question = await socket.next('message', (m) => m.role === 'customer' && m.clientId === clientId, STEP_MS);
      const answer = await socket.next('message', (m) => m.role === 'bot' && m.seq > question.seq, STEP_MS);

      const chunks = socket.frames.filter((f): f is Chunk => f.type === 'chunk');
      // Batched: more than one frame (it streamed) but fewer than the deltas (not one frame per token).
      expect(chunks.length).toBeGreaterThan(1);
      expect(chunks.length).toBeLessThan(words.length);
      expect(chunks.map((c) => c.index)).toEqual(chunks.map((_, i) => i));
      expect(new Set(chunks.map((c) => c.replyTo))).toEqual(new Set([question.id]));
      // Every chunk arrived before the stored answer.
      const answerAt = socket.frames.indexOf(answer);
      expect(socket.frames.findIndex((f) => f.type === 'chunk')).toBeLessThan(answerAt);
      expect(socket.frames.findLastIndex((f) => f.type === 'chunk')).toBeLessThan(answerAt);

      const streamed = chunks.map((c) => c.text).join('');
      expect(streamed.replace(/\s+/g, ' ').trim()).toContain('six free patient spaces in the small car park');
      expect(answer.text).toContain('six free patient spaces in the small car park');
      expect(answer.sources?.length).toBeGreaterThan(0);

      // The preview is not stored: the history holds the question and the answer only.
      const history = await store().listMessages(tenantId, session.conversationId, 0);
      expect(history.map((m) => [m.role, m.text])).toEqual([
        ['customer', 'do you have parking?'],
        ['bot', answer.text],
      ]);
    } finally {
      await socket.close();
    }
  });

  it('answers two quick messages one at a time, in order, the second with the first answer in its history', async () => {
    fake.reset();
    const slow = 'There are six free patient spaces in the small car park behind our building [1]. '.split(/(?<= )/);
    // The first answer streams for 15 × 100 ms = 1.5 s: the second question is sent once it has started streaming, so it
    // arrives while the first answer is still being written, and well within the turn wait (8 s) of the product.
    fake.script({ kind: 'stream', deltas: slow, delayMs: 100 }, { kind: 'stream', deltas: ['Yes, the patient spaces behind our building are free [1].'] });
    const socket = await askWhileStreaming();
    try {
      // The second question arrives while the first answer is still being written.
      const secondId = randomBytes(9).toString('base64url');
      socket.send({ action: 'sendMessage', clientId: secondId, text: 'is the parking free for patients?' });
      const second = await socket.next('ack', (a) => a.clientId === secondId, STEP_MS);
      const firstAnswer = await socket.next('message', (m) => m.role === 'bot' && m.text.includes('six free patient spaces'), STEP_MS);
      const secondAnswer = await socket.next('message', (m) => m.role === 'bot' && m.text.includes('are free'), STEP_MS);

      // In order: the first question's answer is stored first, though the second question came before it.
      expect(second.seq).toBeLessThan(firstAnswer.seq);
      expect(firstAnswer.seq).toBeLessThan(secondAnswer.seq);
      // The model was asked the second question after the first answer was stored, and was shown that answer.
      expect(fake.requests).toHaveLength(2);
      expect(JSON.stringify(fake.requests[1]?.body)).toContain('six free patient spaces in the small car park');
    } finally {
      await socket.close();
    }
  });

  it('answers a burst of messages in the order they were sent, whatever order their invocations retry in', async () => {
    fake.reset();
    const slow = 'There are six free patient spaces in the small car park behind our building [1]. '.split(/(?<= )/);
    // Three, so that the last waits for two answers after the streamed one: well within the turn wait (8 s) even on a loaded machine.
    const burst = ['is the parking free for patients?', 'do you have parking for patients?', 'do you have parking spaces?'];
    fake.script(
      { kind: 'stream', deltas: slow, delayMs: 100 },
      ...burst.map((_, i) => ({ kind: 'stream' as const, deltas: [`Answer ${i + 2}: the patient spaces behind our building are free [1].`] })),
    );
    const socket = await askWhileStreaming();
    try {
      // Three more while the first answer is still being written: all of them wait for the turn at once.
      const sent: number[] = [];
      for (const text of burst) {
        const clientId = randomBytes(9).toString('base64url');
        socket.send({ action: 'sendMessage', clientId, text });
        sent.push((await socket.next('ack', (a) => a.clientId === clientId, STEP_MS)).seq);
      }
      const replies = (): string[] => socket.frames.filter((f): f is Extract<ServerFrame, { type: 'message' }> => f.type === 'message' && f.role === 'bot').map((m) => m.text);
      for (const deadline = Date.now() + STEP_MS; replies().length < burst.length + 1 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 50));
      // One answer per question, in the order the questions were sent.
      expect(replies().slice(1)).toEqual(burst.map((_, i) => expect.stringMatching(new RegExp(`^Answer ${i + 2}:`))));

      // The model was asked the questions in the order they were sent, each after the answer before it.
      expect(sent).toEqual([...sent].sort((a, b) => a - b));
      expect(fake.requests).toHaveLength(burst.length + 1);
      const asked = fake.requests.slice(1).map((r) => JSON.stringify(r.body));
      burst.forEach((question, i) => {
        expect(asked[i]).toContain(question);
        expect(asked[i]).not.toContain(burst[i + 1] ?? '\u0000');
      });
    } finally {
      await socket.close();
    }
  });
});

/** One question from a fresh customer; resolves with the concierge's stored reply. */
async function askOnce(text: string): Promise<Extract<ServerFrame, { type: 'message' }>> {
  const socket = await connect(wsUrl(cloud.urls.ws, widgetKey, randomBytes(16).toString('hex')), origin);
  try {
    socket.send({ action: 'hello', lang: 'en' });
    await socket.next('session');
    const clientId = randomBytes(9).toString('base64url');
    socket.send({ action: 'sendMessage', clientId, text });
    const question = await socket.next('message', (m) => m.role === 'customer' && m.clientId === clientId, STEP_MS);
    return await socket.next('message', (m) => m.role === 'bot' && m.seq > question.seq, STEP_MS);
  } finally {
    await socket.close();
  }
}

describe('a hosted model judges whether the passages answer', () => {
  it('is given a paraphrase the offline answerer would not vouch for, and answers it with its source', async () => {
    fake.reset();
    fake.script({ kind: 'stream', deltas: ['Yes: there are six free patient spaces ', 'in the car park behind our building [1].'] });
    const question = 'is there somewhere to leave the car when I come in?';
    // Below the extractive answering bar (the wording shares only "car" with the parking FAQ)…
    const hits = await answerDeps().index.search(tenantId, question, 5);
    expect(hits[0]?.passage.id).toBe('parking');
    expect(confident(hits[0], hits)).toBe(false);
    // …but a candidate for a model that judges relevance: it is asked, with the parking passage.
    const answer = await askOnce(question);
    expect(fake.requests).toHaveLength(1);
    expect(JSON.stringify(fake.requests[0]?.body)).toContain('Do you have parking?');
    expect(answer.text).toBe('Yes: there are six free patient spaces in the car park behind our building.');
    expect(answer.sources?.map((src) => src.id)).toEqual(['parking']);
  });

  it('says it does not know, and offers a person, when the model finds no answer in the candidates', async () => {
    fake.reset();
    fake.script({ kind: 'stream', deltas: ["I'm sorry, I don't have information about that. ", 'I can put you in touch with our team.'] });
    const answer = await askOnce('do you offer laughing gas?');
    expect(fake.requests).toHaveLength(1);
    expect(answer.sources ?? []).toEqual([]);
    expect(answer.text).toMatch(/^I'm not sure about that, and I'd rather not guess/);
    expect(answer.quickReplies?.[0]?.label).toBe('Talk to a person');
  });
});
