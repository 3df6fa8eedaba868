/** Public REST routes: health and the widget's look for a public widget key. */
import { store } from '../adapters/container';
import { notFound } from '../core/errors';
import { sameKey, tenantOfWidgetKey } from '../core/widget-key';
import { restApi } from './lib/rest';

export const handler = restApi('publicApi', {
  getHealth: async () => ({ body: { status: 'ok', time: new Date().toISOString() } }),
  getWidgetConfig: async ({ path }) => {
    const key = path['widgetKey'] ?? '';
    const tenantId = tenantOfWidgetKey(key);
    const profile = tenantId ? await store().getProfile(tenantId) : undefined;
    if (!profile || !sameKey(profile.widgetKey, key)) throw notFound('no widget with that key');
    return {
      body: {
        name: profile.name,
        greeting: profile.theme.greeting,
        colour: profile.theme.colour,
        position: profile.theme.position,
        languages: profile.languages,
        ...(profile.theme.logoUrl ? { logoUrl: profile.theme.logoUrl } : {}),
      },
      headers: { 'cache-control': 'public, max-age=300' },
    };
  },
});
