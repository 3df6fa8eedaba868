/**
 * Knowledge-base items through the admin REST API, end to end in the local
 * cloud: local Cognito tokens, the local gateway, the real handlers, DynamoDB
 * Local. An FAQ or a document (Markdown or PDF) changed through the API is
 * what the concierge answers from right after.
 */
import { z } from 'zod';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { store } from '../../lambdas/adapters/container';
import { minimalPdf } from '../support/minimal-pdf';
import { signIn, testQuestion, type TestAnswer } from '../support/staff';

let cloud: LocalCloud;
let admin: string;
let agent: string;

beforeAll(async () => {
  cloud = await startLocalCloud({ quiet: true });
  admin = await signIn(cloud, cloud.demo.staffEmail, cloud.demo.staffPassword);
  agent = await signIn(cloud, 'agent@harbour-dental.example', 'Harbour-Agent-2026!');
}, 240_000);

afterAll(async () => {
  await cloud?.stop();
});

interface Reply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

async function call(method: string, path: string, token: string, body?: unknown): Promise<Reply> {
  const res = await fetch(`${cloud.urls.rest}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: z.record(z.string(), z.unknown()).parse(text ? JSON.parse(text) : {}) };
}

const errorOf = (reply: Reply): unknown => reply.body['error'];

const ask = (question: string): Promise<TestAnswer> => testQuestion(cloud, admin, question);

const version = async (): Promise<number> => (await store().getProfile(cloud.demo.tenantId))?.kbVersion ?? -1;

describe('FAQs through the admin API', () => {
  it('creates an FAQ that the concierge answers from right away, replaces it, and deletes it', async () => {
    const before = await version();
    const question = 'Can I bring my dog to the appointment?';
    const created = await call('PUT', '/v1/admin/knowledge/faqs/dogs', admin, {
      question,
      answer: 'Yes, well-behaved dogs on a lead are welcome in the waiting room.',
      category: 'Visiting',
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      faq: { id: 'dogs', question, answer: 'Yes, well-behaved dogs on a lead are welcome in the waiting room.', category: 'Visiting' },
      created: true,
      kbVersion: before + 1,
    });
    const first = await ask('Can I bring my dog?');
    expect(first.answered).toBe(true);
    expect(first.sources[0]).toEqual({ id: 'dogs', kind: 'faq' });
    expect(first.text).toContain('waiting room');

    const replaced = await call('PUT', '/v1/admin/knowledge/faqs/dogs', admin, {
      question,
      answer: 'Sorry, only assistance dogs are allowed inside the clinic.',
      category: 'Visiting',
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ created: false, kbVersion: before + 2 });
    const second = await ask('Can I bring my dog?');
    expect(second.sources[0]).toEqual({ id: 'dogs', kind: 'faq' });
    expect(second.text).toContain('assistance dogs');
    expect((await store().getKnowledgeBase(cloud.demo.tenantId))?.faqs.filter((f) => f.id === 'dogs')).toHaveLength(1);

    const deleted = await call('DELETE', '/v1/admin/knowledge/faqs/dogs', admin);
    expect(deleted).toEqual({ status: 200, body: { deleted: { kind: 'faq', id: 'dogs' }, kbVersion: before + 3 } });
    const third = await ask('Can I bring my dog?');
    expect(third.sources.map((s) => s.id)).not.toContain('dogs');
    expect((await call('DELETE', '/v1/admin/knowledge/faqs/dogs', admin)).status).toBe(404);
    expect(await version()).toBe(before + 3);
  });
});

describe('documents through the admin API', () => {
  it('adds a Markdown document whose sections become passages the concierge cites', async () => {
    const text = [
      '# Sports mouthguards',
      '## Who needs one',
      'We make custom sports mouthguards for rugby, hockey and boxing players of every age.',
      '## Fitting',
      'A custom mouthguard needs one fitting visit of about twenty minutes, and it is ready to collect after ten working days.',
    ].join('\n\n');
    const reply = await call('PUT', '/v1/admin/knowledge/documents/mouthguards', admin, { title: 'Mouthguards', format: 'markdown', text });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ document: { id: 'mouthguards', title: 'Mouthguards', format: 'markdown', characters: text.length, chunks: 2 }, created: true });
    const answer = await ask('How long until my custom mouthguard is ready to collect?');
    expect(answer.answered).toBe(true);
    expect(answer.sources[0]).toEqual({ id: 'mouthguards#2', kind: 'document' });
    expect(answer.text).toContain('ten working days');
  });

  it('reads the text of an uploaded PDF, answers from it, and deletes it with its chunks', async () => {
    const pdf = minimalPdf([
      [
        { text: 'Night guard care', size: 18 },
        { text: 'Brush your night guard every morning with cold water and a soft', spaceBefore: 8 },
        { text: 'toothbrush, then keep it dry in its ventilated case.' },
        { text: 'Bring the night guard to every check-up so we can inspect it for cracks.', spaceBefore: 12 },
      ],
    ]);
    const reply = await call('PUT', '/v1/admin/knowledge/documents/night-guard', admin, { title: 'Night guard care', format: 'pdf', pdfBase64: pdf.toString('base64') });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ document: { id: 'night-guard', format: 'pdf', chunks: 1 }, created: true });
    const stored = (await store().getKnowledgeBase(cloud.demo.tenantId))?.documents.find((d) => d.id === 'night-guard');
    expect(stored?.text).toBe(
      '## Night guard care\n\nBrush your night guard every morning with cold water and a soft toothbrush, then keep it dry in its ventilated case.\n\nBring the night guard to every check-up so we can inspect it for cracks.',
    );

    const answer = await ask('How should I clean my night guard?');
    expect(answer.answered).toBe(true);
    expect(answer.sources[0]).toEqual({ id: 'night-guard#1', kind: 'document' });

    const deleted = await call('DELETE', '/v1/admin/knowledge/documents/night-guard', admin);
    expect(deleted.status).toBe(200);
    const { passages } = await store().listPassages(cloud.demo.tenantId);
    expect(passages.filter((p) => p.sourceId === 'night-guard')).toEqual([]);
    expect((await call('DELETE', '/v1/admin/knowledge/documents/night-guard', admin)).status).toBe(404);
  });
});

describe('refusals', () => {
  it('keeps agents off all four routes (403) and changes nothing', async () => {
    const before = await version();
    const faq = { question: 'Is there Wi-Fi?', answer: 'Yes.', category: 'Visiting' };
    expect((await call('PUT', '/v1/admin/knowledge/faqs/wifi', agent, faq)).status).toBe(403);
    expect((await call('DELETE', '/v1/admin/knowledge/faqs/parking', agent)).status).toBe(403);
    expect((await call('PUT', '/v1/admin/knowledge/documents/wifi', agent, { title: 'Wi-Fi', format: 'text', text: 'Yes.' })).status).toBe(403);
    expect((await call('DELETE', '/v1/admin/knowledge/documents/new-patient-guide', agent)).status).toBe(403);
    expect(await version()).toBe(before);
  });

  it.each([
    ['a missing answer', 'PUT', '/v1/admin/knowledge/faqs/wifi', { question: 'Is there Wi-Fi?', category: 'Visiting' }, 'answer'],
    // The tenant is the token's: a body naming one is refused (zod names the unknown key in the message).
    ['a tenant in the body', 'PUT', '/v1/admin/knowledge/faqs/wifi', { question: 'Is there Wi-Fi?', answer: 'Yes.', category: 'Visiting', tenantId: 'other' }, ''],
    ['an id that is not an item id', 'PUT', '/v1/admin/knowledge/faqs/Not%20An%20Id', { question: 'Is there Wi-Fi?', answer: 'Yes.', category: 'Visiting' }, 'faqId'],
    ['a Markdown document without text', 'PUT', '/v1/admin/knowledge/documents/wifi', { title: 'Wi-Fi', format: 'markdown' }, 'text'],
    ['a PDF document with text', 'PUT', '/v1/admin/knowledge/documents/wifi', { title: 'Wi-Fi', format: 'pdf', text: 'x', pdfBase64: 'JVBERi0=' }, 'text'],
    ['an unknown format', 'PUT', '/v1/admin/knowledge/documents/wifi', { title: 'Wi-Fi', format: 'docx', text: 'x' }, 'format'],
    ['a PDF that is not base64', 'PUT', '/v1/admin/knowledge/documents/wifi', { title: 'Wi-Fi', format: 'pdf', pdfBase64: 'not base64!' }, 'pdfBase64'],
    ['a file that is not a PDF', 'PUT', '/v1/admin/knowledge/documents/wifi', { title: 'Wi-Fi', format: 'pdf', pdfBase64: Buffer.from('just some text').toString('base64') }, 'pdfBase64'],
    ['a PDF without text', 'PUT', '/v1/admin/knowledge/documents/wifi', { title: 'Wi-Fi', format: 'pdf', pdfBase64: minimalPdf([[]]).toString('base64') }, 'pdfBase64'],
    ['an empty title', 'PUT', '/v1/admin/knowledge/documents/wifi', { title: ' ', format: 'text', text: 'Yes, ask at reception.' }, 'title'],
    ['a body that is not JSON', 'PUT', '/v1/admin/knowledge/faqs/wifi', '{"question": ', ''],
  ])('answers %s with 400 naming the field, writing nothing', async (_what, method, path, body, field) => {
    const before = await version();
    const reply = await call(method, path, admin, body);
    expect(reply.status).toBe(400);
    expect(errorOf(reply)).toEqual(expect.objectContaining({ code: 'bad_request', ...(field ? { field } : {}) }));
    if (typeof body === 'object' && 'tenantId' in body) expect(JSON.stringify(errorOf(reply))).toContain('tenantId');
    expect(await version()).toBe(before);
  });

  it('answers an oversized PDF with 413 before reading it', async () => {
    const before = await version();
    const big = Buffer.alloc(5 * 1024 * 1024 + 1, 0x20);
    big.write('%PDF-1.4\n', 0, 'latin1');
    const reply = await call('PUT', '/v1/admin/knowledge/documents/huge', admin, { title: 'Huge', format: 'pdf', pdfBase64: big.toString('base64') });
    expect(reply.status).toBe(413);
    expect(errorOf(reply)).toEqual(expect.objectContaining({ code: 'payload_too_large', field: 'pdfBase64' }));
    expect(await version()).toBe(before);
  });
});
