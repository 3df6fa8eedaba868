/**
 * Admin REST routes of a tenant's integrations (Stripe, Twilio, Meta, calendars): list what is configured,
 * set or replace one provider's credentials, remove them. Credentials are write-only: they are validated
 * with `integrationSchemas[provider]`, encrypted (adapters/integrations) and never returned or logged —
 * answers carry summaries (when, by whom, non-secret hints) and errors name the field, never its value.
 * Admins only (the routes' `auth`); the tenant always comes from the verified token.
 */
import { z } from 'zod';
import { integrationSecrets } from '../adapters/container';
import { badRequest, describeIssue, notFound, unauthorized } from '../core/errors';
import { integrationProviders, integrationSchemas, type IntegrationProvider, type IntegrationSummary } from '../core/integrations';
import { integrationSummary } from '../core/audit';
import { restApi, type RestRequest, type StaffCaller } from './lib/rest';
import { logger } from './lib/powertools';

function callerOf(request: RestRequest): StaffCaller {
  if (!request.caller) throw unauthorized('sign in to use this route');
  return request.caller;
}

const providerPath = z.object({ provider: z.enum(integrationProviders, { error: `must be one of ${integrationProviders.join(', ')}` }) });

/** Every string inside a value (the submitted secrets among them). */
function stringsIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => stringsIn(v, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => stringsIn(v, out));
  return out;
}

/**
 * The credentials of the body, checked with the provider's schema. A failure is a 400 naming the field and
 * the rule — with any submitted text that a message might have picked up taken out, so a secret typed into
 * the wrong field is never echoed.
 */
function credentialsFrom(provider: IntegrationProvider, body: unknown) {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest('the body must be a JSON object of credentials');
  const parsed = integrationSchemas[provider].safeParse(body);
  if (parsed.success) return parsed.data;
  const { field, message } = describeIssue(parsed.error.issues[0], 'the credentials');
  const echoes = stringsIn(body).some((submitted) => submitted.length >= 4 && message.includes(submitted));
  throw badRequest(echoes ? `${field ?? 'the credentials'}: is invalid` : message, field);
}

const view = (summary: IntegrationSummary) => ({ provider: summary.provider, updatedAt: summary.updatedAt, updatedBy: summary.updatedBy, hints: summary.hints });

export const handler = restApi('integrationsApi', {
  listIntegrations: async (request) => {
    const caller = callerOf(request);
    const items = await integrationSecrets().list(caller.tenantId);
    return { body: { items: items.map(view), providers: integrationProviders } };
  },
  putIntegration: async (request) => {
    const caller = callerOf(request);
    const { provider } = providerPath.parse(request.path);
    const credentials = credentialsFrom(provider, request.body);
    const summary = await integrationSecrets().put(caller.tenantId, provider, credentials, caller.sub);
    logger.info('integration credentials stored', { tenantId: caller.tenantId, provider, by: caller.sub });
    // Never a credential: the provider and the names of the fields set.
    return { body: { integration: view(summary) }, audit: { after: integrationSummary(provider, request.body) } };
  },
  deleteIntegration: async (request) => {
    const caller = callerOf(request);
    const { provider } = providerPath.parse(request.path);
    const removed = await integrationSecrets().remove(caller.tenantId, provider);
    if (!removed) throw notFound(`no ${provider} credentials are stored`);
    logger.info('integration credentials removed', { tenantId: caller.tenantId, provider, by: caller.sub });
    return { body: { removed: { provider } } };
  },
});
