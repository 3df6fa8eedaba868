import { createApiClient, type FetchLike } from '../../frontend/src/api/client';
import { ApiError } from '../../frontend/src/lib/api-error';

interface Call {
  url: string;
  init: RequestInit | undefined;
}

/** Token n (1-based) is `token-n` unless `tokens` says otherwise. */
function setup(responses: Array<Response | Error | DOMException>, tokens?: Array<string | undefined>) {
  const calls: Call[] = [];
  const tokenCalls: boolean[] = [];
  const fetchFn: FetchLike = async (url, init) => {
    calls.push({ url, init });
    const next = responses.shift();
    if (next === undefined) throw new Error('no more responses');
    if (next instanceof Response) return next;
    throw next;
  };
  const api = createApiClient({
    apiUrl: 'https://api.example.com/prod/',
    fetch: fetchFn,
    getIdToken: async ({ forceRefresh }) => {
      tokenCalls.push(forceRefresh);
      return tokens !== undefined ? tokens[tokenCalls.length - 1] : `token-${tokenCalls.length}`;
    },
  });
  return { api, calls, tokenCalls };
}

const json = (body: unknown, status = 200): Response => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
const me = { email: 'owner@luna.example', tenantId: 't1', groups: ['admin'], business: { name: 'Luna Hair', slug: 'luna-hair' } };

function headersOf(call: Call | undefined): Record<string, string> {
  const headers = call?.init?.headers;
  if (headers === undefined || headers instanceof Headers || Array.isArray(headers)) throw new Error('expected a plain headers object');
  return headers;
}

describe('createApiClient', () => {
  it('sends the id token as a bearer token and decodes the answer', async () => {
    const { api, calls } = setup([json(me)]);
    await expect(api.getMe()).resolves.toEqual(me);
    expect(calls[0]?.url).toBe('https://api.example.com/prod/v1/admin/me');
    expect(calls[0]?.init?.method).toBe('GET');
    expect(headersOf(calls[0])).toMatchObject({ Authorization: 'Bearer token-1', Accept: 'application/json' });
    expect(calls[0]?.init?.body).toBeUndefined();
  });

  it('reads the knowledge indexing status, refusing a state it does not know', async () => {
    const status = { version: 12, passages: 1040, withVectors: 430, state: 'indexing' };
    const { api, calls } = setup([json(status), json({ ...status, state: 'stuck' })]);
    await expect(api.getKnowledgeStatus()).resolves.toEqual(status);
    expect(calls[0]?.url).toBe('https://api.example.com/prod/v1/admin/knowledge/status');
    await expect(api.getKnowledgeStatus()).rejects.toMatchObject({ code: 'bad_response' });
  });

  it('pages conversations with limit and cursor, and escapes conversation ids', async () => {
    const { api, calls } = setup([json({ items: [] }), json({ items: [], nextCursor: 'n2' }), json({ conversation: undefined, messages: [] })]);
    await api.listConversations();
    await api.listConversations({ cursor: 'a b/c' });
    await expect(api.getConversation('id/../x')).rejects.toMatchObject({ code: 'bad_response' });
    expect(calls.map((c) => c.url)).toEqual([
      'https://api.example.com/prod/v1/admin/conversations?limit=50',
      'https://api.example.com/prod/v1/admin/conversations?limit=50&cursor=a+b%2Fc',
      'https://api.example.com/prod/v1/admin/conversations/id%2F..%2Fx',
    ]);
  });

  it('PUTs the knowledge file as JSON and returns the counts', async () => {
    const counts = { faqs: 12, documents: 2, chunks: 9, services: 4, staff: 3 };
    const { api, calls } = setup([json({ imported: counts })]);
    const file = { business: { name: 'x' } };
    await expect(api.importKnowledge(file)).resolves.toEqual(counts);
    expect(calls[0]?.init?.method).toBe('PUT');
    expect(headersOf(calls[0])['Content-Type']).toBe('application/json');
    expect(calls[0]?.init?.body).toBe(JSON.stringify(file));
  });

  it('POSTs a test question and returns the answer', async () => {
    const answer = { text: 'We open at 9.', answered: true, confidence: 0.9, sources: [{ id: 'hours', title: 'Opening hours', kind: 'faq' }] };
    const { api, calls } = setup([json({ answer })]);
    await expect(api.testQuestion({ question: 'When do you open?', lang: 'en' })).resolves.toEqual(answer);
    expect(calls[0]?.url).toBe('https://api.example.com/prod/v1/admin/knowledge/test');
    expect(calls[0]?.init?.body).toBe(JSON.stringify({ question: 'When do you open?', lang: 'en' }));
  });

  it('turns the error envelope into an ApiError with its field', async () => {
    const { api } = setup([json({ error: { code: 'bad_request', message: 'duplicate id "cut"', field: 'services.1.id', correlationId: 'r-9' } }, 400)]);
    const err: unknown = await api.importKnowledge({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, code: 'bad_request', message: 'duplicate id "cut"', field: 'services.1.id', correlationId: 'r-9' });
  });

  it('refreshes the token once after a 401 and retries', async () => {
    const { api, calls, tokenCalls } = setup([json({ message: 'Unauthorized' }, 401), json(me)]);
    await expect(api.getMe()).resolves.toEqual(me);
    expect(tokenCalls).toEqual([false, true]);
    expect(headersOf(calls[1]).Authorization).toBe('Bearer token-2');
  });

  it('gives up after a second 401', async () => {
    const { api, calls } = setup([json({}, 401), json({}, 401)]);
    await expect(api.getMe()).rejects.toMatchObject({ status: 401, code: 'http_401' });
    expect(calls).toHaveLength(2);
  });

  it('refuses to call without a token', async () => {
    const { api, calls } = setup([], [undefined]);
    await expect(api.getMe()).rejects.toMatchObject({ status: 401, code: 'unauthenticated' });
    expect(calls).toHaveLength(0);
  });

  it('reports network failures and unexpected answers clearly', async () => {
    const { api } = setup([new TypeError('Failed to fetch'), json({ email: 1 })]);
    await expect(api.getMe()).rejects.toMatchObject({ status: 0, code: 'network' });
    await expect(api.getMe()).rejects.toMatchObject({ code: 'bad_response', message: expect.stringContaining('email: expected a string') });
  });

  it('lets aborts through untouched', async () => {
    const abort = new DOMException('The operation was aborted.', 'AbortError');
    const { api } = setup([abort]);
    await expect(api.getKnowledge()).rejects.toBe(abort);
  });
});
