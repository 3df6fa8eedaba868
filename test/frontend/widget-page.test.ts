/** The Widget page's refused saves (frontend/src/pages/widget/widget-draft.ts): a 409 offers a reload, other refusals do not. */
import { createApiClient, type FetchLike } from '../../frontend/src/api/client';
import { widgetApi } from '../../frontend/src/pages/widget/widget-api';
import { draftChanged, draftOf, isStaleSave } from '../../frontend/src/pages/widget/widget-draft';
import type { WidgetSettings } from '../../frontend/src/pages/widget/widget-api';

const json = (body: unknown, status: number): Response => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

async function refusal(reply: () => Promise<Response>): Promise<unknown> {
  const fetchFn: FetchLike = () => reply();
  const widget = widgetApi(createApiClient({ apiUrl: 'https://api.example.com/prod', fetch: fetchFn, getIdToken: async () => 't' }));
  const input = { colour: '#0f766e', position: 'right' as const, greeting: { en: 'Hi' }, languages: ['en'], allowedOrigins: [], revision: 'r1' };
  return widget.put(input).then(
    () => {
      throw new Error('the save was not refused');
    },
    (err: unknown) => err,
  );
}

describe('refused widget saves', () => {
  it('offers a reload when someone saved the settings meanwhile (409)', async () => {
    const stale = await refusal(async () =>
      json({ error: { code: 'conflict', message: 'the widget settings were changed by someone else since you loaded them; reload and try again' } }, 409),
    );
    expect(isStaleSave(stale)).toBe(true);
  });

  it('offers none for a refused field, a server error or no network', async () => {
    expect(isStaleSave(await refusal(async () => json({ error: { code: 'validation', message: 'too light', field: 'colour' } }, 400)))).toBe(false);
    expect(isStaleSave(await refusal(async () => json({ error: { code: 'internal', message: 'boom' } }, 500)))).toBe(false);
    expect(isStaleSave(await refusal(async () => Promise.reject(new TypeError('Failed to fetch'))))).toBe(false);
    expect(isStaleSave(new Error('409'))).toBe(false);
  });
});

describe('unsaved widget edits', () => {
  const saved = {
    colour: '#0f766e',
    position: 'right',
    greeting: { en: 'Hi! How can we help?' },
    languages: ['en', 'es'],
    allowedOrigins: ['https://clinic.example.com'],
    supportedLanguages: ['en', 'es'],
    widgetKey: 'wk_x',
    revision: 'r1',
  } as unknown as WidgetSettings;

  it('sees a changed greeting, colour, language or origin', () => {
    const draft = draftOf(saved);
    expect(draftChanged(draft, saved)).toBe(false);
    expect(draftChanged({ ...draft, greeting: { en: 'Hello there' } }, saved)).toBe(true);
    expect(draftChanged({ ...draft, colour: '#123456' }, saved)).toBe(true);
    expect(draftChanged({ ...draft, languages: ['en'] }, saved)).toBe(true);
    expect(draftChanged({ ...draft, originsText: 'https://clinic.example.com\nhttps://shop.example.com' }, saved)).toBe(true);
  });

  it('does not count typing and deleting again, blank lines or the letter case of a colour as a change', () => {
    const draft = draftOf(saved);
    expect(draftChanged({ ...draft, greeting: { ...draft.greeting, es: '' } }, saved)).toBe(false);
    expect(draftChanged({ ...draft, originsText: '\nhttps://clinic.example.com\n' }, saved)).toBe(false);
    expect(draftChanged({ ...draft, colour: '#0F766E' }, saved)).toBe(false);
  });
});
