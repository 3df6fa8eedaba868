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

interface TaggedReply extends Reply {
  readonly etag: string | null;
}

async function call(method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}): Promise<TaggedReply> {
  const res = await fetch(`${cloud.urls.rest}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, etag: res.headers.get('etag'), body: z.record(z.string(), z.unknown()).parse(text ? JSON.parse(text) : {}) };
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
      etag: expect.stringMatching(/^"[A-Za-z0-9_-]{27}"$/),
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
    expect(deleted).toEqual({ status: 200, etag: null, body: { deleted: { kind: 'faq', id: 'dogs' }, kbVersion: before + 3 } });
    const third = await ask('Can I bring my dog?');
    expect(third.sources.map((s) => s.id)).not.toContain('dogs');
    expect((await call('DELETE', '/v1/admin/knowledge/faqs/dogs', admin)).status).toBe(404);
    expect(await version()).toBe(before + 3);
  });
});

describe('edits of different FAQs saved at the same moment', () => {
  it('all apply (was: half refused with 409 "kept changing")', async () => {
    const before = await version();
    const ids = ['towels', 'umbrellas', 'water', 'chargers', 'magazines', 'toys'];
    const replies = await Promise.all(ids.map((id) => call('PUT', `/v1/admin/knowledge/faqs/${id}`, admin, { question: `Do you have ${id} for patients?`, answer: `Yes, we have ${id} at reception.`, category: 'Visiting' })));
    expect(replies.map((r) => r.status)).toEqual(ids.map(() => 201));
    expect(await version()).toBe(before + ids.length);
    const faqs = (await store().getKnowledgeBase(cloud.demo.tenantId))?.faqs.map((f) => f.id) ?? [];
    expect(faqs).toEqual(expect.arrayContaining(ids));
    await Promise.all(ids.map((id) => call('DELETE', `/v1/admin/knowledge/faqs/${id}`, admin)));
    expect((await store().getKnowledgeBase(cloud.demo.tenantId))?.faqs.map((f) => f.id)).not.toContain('towels');
  });
});

describe('edits that name the version they were made from (If-Match)', () => {
  const faq = (answer: string) => ({ question: 'Do you lend umbrellas?', answer, category: 'Visiting' });
  const path = '/v1/admin/knowledge/faqs/umbrellas';

  it('gives each FAQ an ETag; an edit from an older one is refused with 412 and writes nothing', async () => {
    // Create only: the id is free.
    const created = await call('PUT', path, admin, faq('Yes, at reception.'), { 'If-None-Match': '*' });
    expect(created.status).toBe(201);
    const tag = created.etag;
    expect(created.body['etag']).toBe(tag);
    // Agents read it too (GET is a staff route), with the same tag; the tag follows the content, not the version.
    const read = await call('GET', path, agent);
    expect(read).toMatchObject({ status: 200, etag: tag, body: { faq: { id: 'umbrellas', ...faq('Yes, at reception.') }, etag: tag } });

    // Two people opened it at that tag. The first saves; the second's save is refused.
    const first = await call('PUT', path, admin, faq('Yes: ask at reception, return it next visit.'), { 'If-Match': tag ?? '' });
    expect(first.status).toBe(200);
    expect(first.etag).not.toBe(tag);
    const atVersion = await version();
    const second = await call('PUT', path, admin, faq('No, sorry.'), { 'If-Match': tag ?? '' });
    expect(second.status).toBe(412);
    expect(errorOf(second)).toEqual({ code: 'precondition_failed', message: 'the FAQ "umbrellas" was changed by someone else since you opened it: open it again to see the change' });
    expect(await version()).toBe(atVersion);
    expect((await call('GET', path, agent)).body).toMatchObject({ faq: faq('Yes: ask at reception, return it next visit.'), etag: first.etag });
    // A delete from the old tag is refused too; from the current one it goes through.
    expect((await call('DELETE', path, admin, undefined, { 'If-Match': tag ?? '' })).status).toBe(412);
    // Several tags may be named (RFC 9110): any one matching is enough.
    expect((await call('DELETE', path, admin, undefined, { 'If-Match': `${tag}, ${first.etag}` })).status).toBe(200);
    expect((await call('GET', path, agent)).status).toBe(404);
    // Saving over a deleted FAQ from its old tag does not bring it back.
    const revived = await call('PUT', path, admin, faq('Yes.'), { 'If-Match': first.etag ?? '' });
    expect(revived.status).toBe(412);
    expect(errorOf(revived)).toMatchObject({ message: 'the FAQ "umbrellas" no longer exists: it was deleted meanwhile' });
    expect((await call('GET', path, agent)).status).toBe(404);
  });

  it('refuses to create over an FAQ that exists (If-None-Match: *) and to edit one that does not (If-Match: *)', async () => {
    const taken = await call('PUT', '/v1/admin/knowledge/faqs/parking', admin, faq('Yes.'), { 'If-None-Match': '*' });
    expect(taken.status).toBe(412);
    expect(errorOf(taken)).toMatchObject({ code: 'precondition_failed', message: 'the FAQ "parking" already exists: open it to edit it' });
    expect((await call('GET', '/v1/admin/knowledge/faqs/parking', agent)).body).toMatchObject({ faq: { id: 'parking' } });
    expect((await call('PUT', '/v1/admin/knowledge/faqs/nothing-here', admin, faq('Yes.'), { 'If-Match': '*' })).status).toBe(412);
    expect((await call('GET', '/v1/admin/knowledge/faqs/nothing-here', agent)).status).toBe(404);
  });

  it('answers a malformed precondition with 400, naming the header', async () => {
    const cases: Record<string, string>[] = [{ 'If-Match': 'not-quoted' }, { 'If-Match': '""' }, { 'If-None-Match': '"abc"' }, { 'If-Match': '*', 'If-None-Match': '*' }];
    for (const headers of cases) {
      const reply = await call('PUT', path, admin, faq('Yes.'), headers);
      expect([headers, reply.status, (errorOf(reply) as { code?: string; field?: string }).code]).toEqual([headers, 400, 'bad_request']);
    }
    expect((await call('GET', path, agent)).status).toBe(404);
  });

  it('tags documents the same way', async () => {
    const body = { title: 'Umbrella policy', format: 'markdown', text: '# Umbrellas\n\nBorrow one at reception.' };
    const created = await call('PUT', '/v1/admin/knowledge/documents/umbrella-policy', admin, body, { 'If-None-Match': '*' });
    expect(created.status).toBe(201);
    const read = await call('GET', '/v1/admin/knowledge/documents/umbrella-policy', agent);
    expect(read).toMatchObject({ status: 200, etag: created.etag, body: { document: { id: 'umbrella-policy', title: 'Umbrella policy', text: body.text } } });
    const changed = await call('PUT', '/v1/admin/knowledge/documents/umbrella-policy', admin, { ...body, text: `${body.text} Return it next visit.` }, { 'If-Match': created.etag ?? '' });
    expect(changed.status).toBe(200);
    expect((await call('PUT', '/v1/admin/knowledge/documents/umbrella-policy', admin, body, { 'If-Match': created.etag ?? '' })).status).toBe(412);
    expect((await call('DELETE', '/v1/admin/knowledge/documents/umbrella-policy', admin, undefined, { 'If-Match': created.etag ?? '' })).status).toBe(412);
    expect((await call('DELETE', '/v1/admin/knowledge/documents/umbrella-policy', admin, undefined, { 'If-Match': changed.etag ?? '' })).status).toBe(200);
  });

  it('lets a browser on another origin send the preconditions and read the tag (CORS)', async () => {
    const preflight = await fetch(`${cloud.urls.rest}${path}`, { method: 'OPTIONS', headers: { origin: 'https://admin.example', 'access-control-request-headers': 'if-match' } });
    expect(preflight.headers.get('access-control-allow-headers')?.split(',')).toEqual(expect.arrayContaining(['if-match', 'if-none-match', 'authorization']));
    const read = await fetch(`${cloud.urls.rest}/v1/admin/knowledge/faqs/parking`, { headers: { authorization: `Bearer ${agent}` } });
    expect(read.headers.get('access-control-expose-headers')).toContain('etag');
  });
});

describe('a whole import that names the version it was made from (If-Match)', () => {
  it('tags the knowledge base with its version; an import from an older tag is refused with 412 and an FAQ saved meanwhile stays', async () => {
    const read = await call('GET', '/v1/admin/knowledge', agent);
    expect(read.status).toBe(200);
    expect(read.etag).toBe(`"kb-${await version()}"`);
    const kb = read.body;
    // Someone saves an FAQ after the Services page read the knowledge base.
    const saved = await call('PUT', '/v1/admin/knowledge/faqs/coat-hooks', admin, { question: 'Is there somewhere to hang my coat?', answer: 'Yes, by the door.', category: 'Visiting' });
    expect(saved.status).toBe(201);
    const atVersion = await version();
    const stale = await call('PUT', '/v1/admin/knowledge', admin, kb, { 'If-Match': read.etag ?? '' });
    expect(stale.status).toBe(412);
    expect(errorOf(stale)).toMatchObject({ code: 'precondition_failed' });
    expect(await version()).toBe(atVersion);
    expect((await call('GET', '/v1/admin/knowledge/faqs/coat-hooks', agent)).status).toBe(200);
    // Read again, the import applies, and answers with the new tag.
    const fresh = await call('GET', '/v1/admin/knowledge', agent);
    const imported = await call('PUT', '/v1/admin/knowledge', admin, fresh.body, { 'If-Match': fresh.etag ?? '' });
    expect(imported.status).toBe(200);
    expect(imported.etag).toBe(`"kb-${await version()}"`);
    expect((await call('GET', '/v1/admin/knowledge/faqs/coat-hooks', agent)).status).toBe(200);
    // "Create only" when one exists is refused too.
    expect((await call('PUT', '/v1/admin/knowledge', admin, fresh.body, { 'If-None-Match': '*' })).status).toBe(412);
  });

  it('refuses a service whose deposit is more than its price, naming the field, and writes nothing', async () => {
    const kb = (await call('GET', '/v1/admin/knowledge', agent)).body as { services: { depositCents: number; priceCents: number }[] };
    const atVersion = await version();
    const typo = { ...kb, services: kb.services.map((s, i) => (i === 1 ? { ...s, depositCents: s.priceCents * 100 } : s)) };
    const refused = await call('PUT', '/v1/admin/knowledge', admin, typo);
    expect(refused.status).toBe(400);
    expect(errorOf(refused)).toMatchObject({ code: 'bad_request', field: 'services.1.depositCents' });
    expect((errorOf(refused) as { message: string }).message).toMatch(/deposit .* is more than its price/);
    expect(await version()).toBe(atVersion);
  });

  it("keeps the Widget page's languages when an import does not change the file's, and takes the file's when it does", async () => {
    const profile = await store().getProfile(cloud.demo.tenantId);
    if (!profile) throw new Error('no demo profile');
    const kb = (await call('GET', '/v1/admin/knowledge', agent)).body as { business: { languages: string[] } };
    try {
      // The Widget page turns Spanish off; the file still lists both.
      await store().putProfile({ ...profile, languages: ['en'] });
      expect((await call('PUT', '/v1/admin/knowledge', admin, kb)).status).toBe(200);
      expect((await store().getProfile(cloud.demo.tenantId))?.languages).toEqual(['en']);
      // Listing them in another order is no change either.
      expect((await call('PUT', '/v1/admin/knowledge', admin, { ...kb, business: { ...kb.business, languages: [...kb.business.languages].reverse() } })).status).toBe(200);
      expect((await store().getProfile(cloud.demo.tenantId))?.languages).toEqual(['en']);
      // The Widget page turns Spanish back on; then a file that drops Spanish applies its languages.
      await store().putProfile({ ...((await store().getProfile(cloud.demo.tenantId)) ?? profile), languages: ['en', 'es'] });
      expect((await call('PUT', '/v1/admin/knowledge', admin, { ...kb, business: { ...kb.business, languages: ['en'] } })).status).toBe(200);
      expect((await store().getProfile(cloud.demo.tenantId))?.languages).toEqual(['en']);
    } finally {
      await call('PUT', '/v1/admin/knowledge', admin, kb);
      await store().putProfile({ ...((await store().getProfile(cloud.demo.tenantId)) ?? profile), languages: profile.languages });
    }
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

describe('a document’s format', () => {
  /** Plain text as an office types it: lines starting with "#" mean "number". */
  const club = [
    'Smile Club members',
    '# 1 crown per visit is covered in full.',
    '',
    '# of hygiene visits a year in the Smile Club: two are included.',
    '',
    'The Smile Club desk is at #2 Main Street.',
  ].join('\n');
  const passagesOf = async (sourceId: string) => (await store().listPassages(cloud.demo.tenantId)).passages.filter((p) => p.sourceId === sourceId);

  it('keeps a plain-text document plain: its "#" lines are words, not headings, in its passages and its answers (was: read as Markdown)', async () => {
    const reply = await call('PUT', '/v1/admin/knowledge/documents/smile-club', admin, { title: 'Smile Club', format: 'text', text: club });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ document: { id: 'smile-club', format: 'text', characters: club.length, chunks: 1 } });
    const read = await call('GET', '/v1/admin/knowledge/documents/smile-club', agent);
    expect(read.body).toMatchObject({ document: { id: 'smile-club', title: 'Smile Club', format: 'text', text: club } });
    expect((await passagesOf('smile-club')).map((p) => [p.id, p.title, p.format])).toEqual([['smile-club#1', 'Smile Club', 'text']]);

    const answer = await ask('How many hygiene visits a year are included in the Smile Club?');
    expect(answer.sources[0]).toEqual({ id: 'smile-club#1', kind: 'document' });
    expect(answer.text).toContain('# of hygiene visits a year in the Smile Club: two are included.');

    // The same text saved as Markdown is a change: its "# " lines are then headings.
    const markdown = await call('PUT', '/v1/admin/knowledge/documents/smile-club', admin, { title: 'Smile Club', format: 'markdown', text: club }, { 'If-Match': reply.etag ?? '' });
    expect(markdown.status).toBe(200);
    expect((await passagesOf('smile-club')).map((p) => p.title)).toEqual(['Smile Club', 'Smile Club › 1 crown per visit is covered in full.', 'Smile Club › of hygiene visits a year in the Smile Club: two are included.']);
    expect((await call('DELETE', '/v1/admin/knowledge/documents/smile-club', admin)).status).toBe(200);
  });

  it('is taken from an imported file and given back by its export; a bad one is a 400 naming the field, writing nothing', async () => {
    const kb = (await call('GET', '/v1/admin/knowledge', agent)).body as { documents: unknown[] };
    const before = await version();
    const bad = await call('PUT', '/v1/admin/knowledge', admin, { ...kb, documents: [...kb.documents, { id: 'smile-club', title: 'Smile Club', format: 'docx', text: club }] });
    expect(bad.status).toBe(400);
    expect(errorOf(bad)).toEqual(expect.objectContaining({ code: 'bad_request', field: `documents.${kb.documents.length}.format`, message: expect.stringContaining('must be one of text, markdown, pdf') }));
    expect(await version()).toBe(before);

    const imported = await call('PUT', '/v1/admin/knowledge', admin, { ...kb, documents: [...kb.documents, { id: 'smile-club', title: 'Smile Club', format: 'text', text: club }] });
    expect(imported.status).toBe(200);
    expect((await passagesOf('smile-club')).map((p) => [p.title, p.format])).toEqual([['Smile Club', 'text']]);
    // Documents imported without a format are still Markdown, chunked as before.
    expect((await passagesOf('new-patient-guide')).every((p) => p.format === undefined && p.title.startsWith('New patient guide ›'))).toBe(true);
    const exported = (await call('GET', '/v1/admin/knowledge', agent)).body as { documents: { id: string; format?: string }[] };
    expect(exported.documents.find((d) => d.id === 'smile-club')?.format).toBe('text');
    expect(exported.documents.find((d) => d.id === 'new-patient-guide')).not.toHaveProperty('format');
    expect((await call('DELETE', '/v1/admin/knowledge/documents/smile-club', admin)).status).toBe(200);
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

  it('answers a whole import larger than can be stored with 413 naming the limit (was a 500 "try again"), and keeps the knowledge base', async () => {
    const before = await version();
    const kb = (await call('GET', '/v1/admin/knowledge', agent)).body as { documents: unknown[] };
    const manual = (n: number) => ({ id: `manual-${n}`, title: `Manual ${n}`, text: Array.from({ length: 60 }, (_, i) => `## Part ${i}\n${'The unit is cleaned after every patient and checked weekly. '.repeat(45)}`).join('\n\n') });
    const reply = await call('PUT', '/v1/admin/knowledge', admin, { ...kb, documents: [...kb.documents, manual(1), manual(2), manual(3)] });
    expect(reply.status).toBe(413);
    expect(errorOf(reply)).toEqual(expect.objectContaining({ code: 'payload_too_large', message: expect.stringMatching(/at most 390 KB can be stored/) }));
    expect(await version()).toBe(before);
    expect((await call('GET', '/v1/admin/knowledge/faqs/parking', agent)).status).toBe(200);
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
