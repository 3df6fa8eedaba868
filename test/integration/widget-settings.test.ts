/**
 * The widget's settings through the admin REST API, end to end in the local cloud: local Cognito tokens, the
 * local gateway, the real handler and DynamoDB Local. Validation names the field (the colour's contrast with
 * white text is computed and refused below WCAG AA); agents read but cannot change; the tenant comes from the
 * token only; a saved change reaches the public widget config and the WebSocket $connect origin check at once.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { knowledgeStore, store } from '../../lambdas/adapters/container';
import { provisionTenant } from '../../lambdas/core/knowledge';
import { knowledgeBaseSchema, type KnowledgeBase } from '../../lambdas/core/knowledge-base';
import { newWidgetKey } from '../../lambdas/core/widget-key';
import { contrastRatio, revisionOf } from '../../lambdas/core/widget-settings';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { api, ensureStaff, signIn } from '../support/staff';
import { RefusedError, connect, wsUrl } from '../support/ws-client';

let cloud: LocalCloud;
let demoOrigin = '';
const B = 'widget-b';
const B_ADMIN = { email: 'owner@widget-b.example', password: 'Widget-B-Owner-2026!' };
const tokens = { admin: '', agent: '', adminB: '' };
let widgetKeyB = '';

const settingsReply = z.strictObject({
  widgetKey: z.string(),
  colour: z.string(),
  position: z.enum(['right', 'left']),
  greeting: z.record(z.string(), z.string()),
  languages: z.array(z.string()),
  logoUrl: z.string().optional(),
  allowedOrigins: z.array(z.string()),
  revision: z.string(),
  supportedLanguages: z.array(z.string()),
  loaderUrl: z.string().optional(),
  snippet: z.string().optional(),
});
const errorReply = z.object({ error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }) });
const publicConfig = z.object({
  name: z.string(),
  greeting: z.record(z.string(), z.string()),
  colour: z.string(),
  position: z.string(),
  languages: z.array(z.string()),
  logoUrl: z.string().optional(),
});

const visitor = (): string => randomBytes(16).toString('hex');

async function settings(token: string): Promise<z.infer<typeof settingsReply>> {
  const res = await api(cloud, 'GET', '/v1/admin/widget', token);
  expect(res.status).toBe(200);
  return settingsReply.parse(res.body);
}

/** A valid body for tenant A, with the demo site still allowed. */
function validBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    colour: '#1d4ed8',
    position: 'left',
    greeting: { en: 'Welcome to Harbour! Ask me anything.', es: '¡Bienvenido a Harbour! Pregúnteme lo que quiera.' },
    languages: ['en', 'es'],
    logoUrl: 'https://harbourdental.example/logo.svg',
    allowedOrigins: [demoOrigin, 'HTTPS://Shop.Example:443', 'https://www.example.com:8443/'],
    ...overrides,
  };
}

beforeAll(async () => {
  cloud = await startLocalCloud({ quiet: true });
  demoOrigin = new URL(cloud.urls.demoSite).origin;
  const demo: KnowledgeBase = knowledgeBaseSchema.parse(JSON.parse(readFileSync(join(__dirname, '..', '..', 'local-cloud', 'seed', 'demo-kb.json'), 'utf8')));
  widgetKeyB = newWidgetKey(B);
  await provisionTenant(knowledgeStore(), {
    tenantId: B,
    widgetKey: widgetKeyB,
    allowedOrigins: ['https://other-clinic.example'],
    kb: { ...demo, business: { ...demo.business, name: 'Other Clinic', slug: 'other-clinic-w' }, documents: [] },
  });
  await ensureStaff(cloud, [{ email: B_ADMIN.email, password: B_ADMIN.password, tenantId: B, groups: ['admin'] }]);
  [tokens.admin, tokens.agent, tokens.adminB] = await Promise.all([
    signIn(cloud, cloud.demo.staffEmail, cloud.demo.staffPassword),
    signIn(cloud, 'agent@harbour-dental.example', 'Harbour-Agent-2026!'),
    signIn(cloud, B_ADMIN.email, B_ADMIN.password),
  ]);
}, 240_000);

afterAll(async () => {
  await cloud?.stop();
});

describe('contrast with white text (WCAG 2.x)', () => {
  it('computes the published ratios', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrastRatio('#ffffff', '#ffffff')).toBeCloseTo(1, 5);
    // #767676 is the lightest grey with 4.5:1 on white; #777777 just misses it.
    expect(contrastRatio('#767676', '#ffffff')).toBeGreaterThanOrEqual(4.5);
    expect(contrastRatio('#777777', '#ffffff')).toBeLessThan(4.5);
  });
});

describe('GET /v1/admin/widget', () => {
  it('shows an agent the settings, the widget key and the snippet the loader expects', async () => {
    const s = await settings(tokens.agent);
    expect(s.widgetKey).toBe(cloud.demo.widgetKey);
    expect(s.allowedOrigins).toContain(demoOrigin);
    expect(s.supportedLanguages).toEqual(['en', 'es']);
    expect(s.loaderUrl).toBe(`${cloud.urls.rest}/widget/loader.js`);
    // widget/src/loader.ts reads `data-tenant` from its own script tag.
    expect(s.snippet).toBe(`<script src="${cloud.urls.rest}/widget/loader.js" data-tenant="${cloud.demo.widgetKey}" async></script>`);
    const loader = await fetch(s.loaderUrl ?? '');
    expect(loader.status).toBe(200);
    expect(await loader.text()).toContain('data-tenant');
  });
});

describe('PUT /v1/admin/widget validation', () => {
  const cases: readonly [string, Record<string, unknown>, string, RegExp][] = [
    ['a colour that is not #rrggbb', { colour: 'teal' }, 'colour', /#rrggbb/],
    ['a colour too light for white text', { colour: '#ffd700' }, 'colour', /contrast of 1\.\d\d:1.*4\.5:1/],
    ['a grey just under 4.5:1', { colour: '#777777' }, 'colour', /4\.48:1/],
    ['an unknown position', { position: 'top' }, 'position', /right|left/],
    ['a greeting over 200 characters', { greeting: { en: 'a'.repeat(201), es: 'hola' } }, 'greeting.en', /200/],
    ['markup in a greeting', { greeting: { en: 'Hi <b>there</b>', es: 'hola' } }, 'greeting.en', /plain text/],
    ['a two-line greeting', { greeting: { en: 'Hi\nthere', es: 'hola' } }, 'greeting.en', /one line/],
    ['a blank greeting', { greeting: { en: '   ', es: 'hola' } }, 'greeting.en', /empty/],
    ['a greeting in an unsupported language', { greeting: { en: 'Hi', es: 'Hola', fr: 'Salut' } }, 'greeting.fr', /fr/],
    ['a chosen language without a greeting', { greeting: { en: 'Hi' } }, 'greeting.es', /every chosen language/],
    ['no language', { languages: [] }, 'languages', /at least one/],
    ['an unsupported language', { languages: ['en', 'fr'] }, 'languages.1', /en|es/],
    ['a repeated language', { languages: ['en', 'en'] }, 'languages', /repeat/],
    ['a logo over http', { logoUrl: 'http://harbourdental.example/logo.svg' }, 'logoUrl', /https/],
    ['a logo that is not a URL', { logoUrl: 'javascript:alert(1)' }, 'logoUrl', /https/],
    ['an origin with a path', { allowedOrigins: ['https://shop.example/widget'] }, 'allowedOrigins.0', /no path/],
    ['a wildcard origin', { allowedOrigins: ['https://*.example.com'] }, 'allowedOrigins.0', /wildcard/],
    ['a bare wildcard', { allowedOrigins: ['*'] }, 'allowedOrigins.0', /wildcard/],
    ['an http origin that is not local', { allowedOrigins: ['http://shop.example'] }, 'allowedOrigins.0', /https/],
    ['an origin with a query', { allowedOrigins: ['https://shop.example?x=1'] }, 'allowedOrigins.0', /exact origin/],
    ['an origin listed twice (after normalising)', { allowedOrigins: ['https://shop.example', 'HTTPS://SHOP.example:443'] }, 'allowedOrigins.1', /twice/],
    ['more than 20 origins', { allowedOrigins: Array.from({ length: 21 }, (_, i) => `https://s${i}.example`) }, 'allowedOrigins', /20/],
    ['an attempt to change the widget key', { widgetKey: 'wk_demo_aaaaaaaaaaaaaaaaaaaa' }, '', /widgetKey/],
    ['a malformed revision', { revision: 'latest' }, 'revision', /revision/],
  ];

  it.each(cases)('refuses %s with 400 naming the field', async (_, overrides, field, message) => {
    const before = await settings(tokens.admin);
    const res = await api(cloud, 'PUT', '/v1/admin/widget', tokens.admin, validBody(overrides));
    expect(res.status).toBe(400);
    const { error } = errorReply.parse(res.body);
    expect(error.code).toBe('bad_request');
    if (field) expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
    expect((await settings(tokens.admin)).revision).toBe(before.revision);
  });

  it('refuses a body that is not JSON, or none', async () => {
    const none = await api(cloud, 'PUT', '/v1/admin/widget', tokens.admin);
    expect(none.status).toBe(400);
    const res = await fetch(`${cloud.urls.rest}/v1/admin/widget`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/json' },
      body: '{"colour":',
    });
    expect(res.status).toBe(400);
  });
});

describe('PUT /v1/admin/widget', () => {
  it('refuses an agent with 403 and changes nothing', async () => {
    const before = await settings(tokens.admin);
    const res = await api(cloud, 'PUT', '/v1/admin/widget', tokens.agent, validBody());
    expect(res.status).toBe(403);
    expect(await settings(tokens.admin)).toEqual(before);
  });

  it('saves the settings; GET and the public widget config show them; the rest of the profile is untouched', async () => {
    const before = await store().getProfile('demo');
    const res = await api(cloud, 'PUT', '/v1/admin/widget', tokens.admin, validBody({ revision: (await settings(tokens.admin)).revision }));
    expect(res.status).toBe(200);
    const saved = settingsReply.parse(res.body);
    expect(saved).toMatchObject({
      widgetKey: cloud.demo.widgetKey,
      colour: '#1d4ed8',
      position: 'left',
      greeting: { en: 'Welcome to Harbour! Ask me anything.', es: '¡Bienvenido a Harbour! Pregúnteme lo que quiera.' },
      languages: ['en', 'es'],
      logoUrl: 'https://harbourdental.example/logo.svg',
      // Stored as browsers send the Origin header: lower case, default port dropped.
      allowedOrigins: [demoOrigin, 'https://shop.example', 'https://www.example.com:8443'],
    });
    expect(await settings(tokens.agent)).toEqual(saved);

    const pub = await fetch(`${cloud.urls.rest}/v1/public/widget/${encodeURIComponent(cloud.demo.widgetKey)}/config`);
    expect(pub.status).toBe(200);
    expect(publicConfig.parse(await pub.json())).toMatchObject({
      colour: '#1d4ed8',
      position: 'left',
      greeting: saved.greeting,
      languages: ['en', 'es'],
      logoUrl: 'https://harbourdental.example/logo.svg',
    });

    const after = await store().getProfile('demo');
    expect(after?.kbVersion).toBe(before?.kbVersion);
    expect(after?.name).toBe(before?.name);
    expect(after?.widgetKey).toBe(before?.widgetKey);
  });

  it('drops the logo when it is left out, and can narrow the languages', async () => {
    const res = await api(cloud, 'PUT', '/v1/admin/widget', tokens.admin, { ...validBody({ languages: ['es'], greeting: { es: 'Hola' } }), logoUrl: undefined });
    expect(res.status).toBe(200);
    const pub = publicConfig.parse(await (await fetch(`${cloud.urls.rest}/v1/public/widget/${encodeURIComponent(cloud.demo.widgetKey)}/config`)).json());
    expect(pub.logoUrl).toBeUndefined();
    expect(pub.languages).toEqual(['es']);
    expect(pub.greeting).toEqual({ es: 'Hola' });
  });

  it('refuses an edit made on settings that changed since (409), and leaves the newer ones', async () => {
    const first = await settings(tokens.admin);
    const ok = await api(cloud, 'PUT', '/v1/admin/widget', tokens.admin, validBody({ colour: '#7c2d12', revision: first.revision }));
    expect(ok.status).toBe(200);
    const stale = await api(cloud, 'PUT', '/v1/admin/widget', tokens.admin, validBody({ colour: '#14532d', revision: first.revision }));
    expect(stale.status).toBe(409);
    expect(errorReply.parse(stale.body).error.message).toMatch(/reload/);
    expect((await settings(tokens.admin)).colour).toBe('#7c2d12');
  });

  it('never lets another tenant see or change tenant A: the tenant comes from the token', async () => {
    const a = await settings(tokens.admin);
    const b = await settings(tokens.adminB);
    expect(b.widgetKey).toBe(widgetKeyB);
    expect(JSON.stringify(b)).not.toContain(cloud.demo.widgetKey);
    expect(b.allowedOrigins).toEqual(['https://other-clinic.example']);

    const res = await api(cloud, 'PUT', '/v1/admin/widget', tokens.adminB, {
      colour: '#581c87',
      position: 'right',
      greeting: { en: 'Other Clinic here.' },
      languages: ['en'],
      allowedOrigins: ['https://other-clinic.example'],
      revision: b.revision,
    });
    expect(res.status).toBe(200);
    expect(settingsReply.parse(res.body).widgetKey).toBe(widgetKeyB);
    expect(await settings(tokens.admin)).toEqual(a);
    expect((await settings(tokens.adminB)).colour).toBe('#581c87');
    // A's revision means nothing to B's settings.
    const cross = await api(cloud, 'PUT', '/v1/admin/widget', tokens.adminB, {
      colour: '#581c87',
      position: 'right',
      greeting: { en: 'Other Clinic here.' },
      languages: ['en'],
      allowedOrigins: [],
      revision: a.revision,
    });
    expect(cross.status).toBe(409);
  });

  it('refuses a removed origin at WebSocket $connect at once, and allows it again when re-added', async () => {
    const open = await connect(wsUrl(cloud.urls.ws, cloud.demo.widgetKey, visitor()), demoOrigin);
    await open.close();

    const current = await settings(tokens.admin);
    const without = current.allowedOrigins.filter((o) => o !== demoOrigin);
    const removed = await api(cloud, 'PUT', '/v1/admin/widget', tokens.admin, validBody({ allowedOrigins: without, revision: current.revision }));
    expect(removed.status).toBe(200);
    await expect(connect(wsUrl(cloud.urls.ws, cloud.demo.widgetKey, visitor()), demoOrigin)).rejects.toEqual(new RefusedError(403));
    // Another listed origin still connects.
    const shop = await connect(wsUrl(cloud.urls.ws, cloud.demo.widgetKey, visitor()), 'https://shop.example');
    await shop.close();

    const restored = await api(cloud, 'PUT', '/v1/admin/widget', tokens.admin, validBody({ revision: settingsReply.parse(removed.body).revision }));
    expect(restored.status).toBe(200);
    const again = await connect(wsUrl(cloud.urls.ws, cloud.demo.widgetKey, visitor()), demoOrigin);
    await again.close();
  });

  it('writes only over the values it read: a conditional update that lost a race changes nothing', async () => {
    const profile = await store().getProfileConsistent('demo');
    if (!profile) throw new Error('no demo profile');
    const current = { theme: profile.theme, languages: profile.languages, allowedOrigins: profile.allowedOrigins };
    const next = { ...current, theme: { ...current.theme, colour: '#3f3f46' } };
    // Someone else saved meanwhile: what this writer read is no longer there.
    const outdated = { ...current, theme: { ...current.theme, colour: '#000000' } };
    expect(await store().replaceWidgetSettings('demo', outdated, next)).toBe(false);
    expect((await store().getProfileConsistent('demo'))?.theme.colour).toBe(current.theme.colour);
    // Same values in another key order still match (DynamoDB compares maps by content).
    const reordered = { allowedOrigins: current.allowedOrigins, languages: current.languages, theme: { ...current.theme } };
    expect(await store().replaceWidgetSettings('demo', reordered, next)).toBe(true);
    expect((await store().getProfileConsistent('demo'))?.theme.colour).toBe('#3f3f46');
    expect((await store().getProfileConsistent('demo'))?.kbVersion).toBe(profile.kbVersion);
  });

  it('computes the same revision whatever the key order', () => {
    const theme = { colour: '#0f766e', position: 'right' as const, greeting: { en: 'Hi', es: 'Hola' } };
    const reordered = { greeting: { es: 'Hola', en: 'Hi' }, position: 'right' as const, colour: '#0f766e' };
    expect(revisionOf({ theme, languages: ['en'], allowedOrigins: [] })).toBe(revisionOf({ allowedOrigins: [], languages: ['en'], theme: reordered }));
    expect(revisionOf({ theme, languages: ['en'], allowedOrigins: [] })).not.toBe(revisionOf({ theme, languages: ['es'], allowedOrigins: [] }));
  });
});
