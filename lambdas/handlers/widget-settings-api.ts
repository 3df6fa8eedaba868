/**
 * Admin REST routes of the widget's settings: colours, corner, greeting per
 * language, languages, logo and allowed origins. Staff read them, admins change
 * them (roles from the route's `auth` in the declaration); the tenant always
 * comes from the verified token, and the widget key is shown, never changed.
 */
import { store } from '../adapters/container';
import { loadConfig } from '../adapters/config';
import { unauthorized } from '../core/errors';
import { getWidgetSettings, putWidgetSettings, widgetSettingsBodySchema } from '../core/widget-settings';
import { restApi, type RestRequest, type StaffCaller } from './lib/rest';
import { auditFields } from '../core/audit';

/** The fields of the widget's settings the audit log keeps (the key never changes here). */
const audited = ['colour', 'position', 'greeting', 'languages', 'logoUrl', 'allowedOrigins'] as const;

/** Read once per container; absent when the environment does not name the widget's host. */
const loaderUrl = loadConfig([]).WIDGET_LOADER_URL;

function callerOf(request: RestRequest): StaffCaller {
  if (!request.caller) throw unauthorized('sign in to use this route');
  return request.caller;
}

export const handler = restApi('widgetSettingsApi', {
  getWidgetSettings: async (request) => ({ body: await getWidgetSettings(store(), callerOf(request).tenantId, loaderUrl) }),
  putWidgetSettings: async (request) => {
    const caller = callerOf(request);
    const body = widgetSettingsBodySchema.parse(request.body);
    const before = await getWidgetSettings(store(), caller.tenantId);
    const after = await putWidgetSettings(store(), caller.tenantId, body, loaderUrl);
    return { body: after, audit: { before: auditFields(before, audited), after: auditFields(after, audited) } };
  },
});
