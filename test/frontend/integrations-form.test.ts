/**
 * The Channels & integrations form (frontend/src/pages/integrations/providers.ts): replacing a provider's token
 * starts from what is saved — every non-secret field, template SIDs included — and never from a secret; the status
 * line names the templates, not their SIDs.
 */
import { prefillFrom, providerSpecs, statusLine, templatesToRetype } from '../../frontend/src/pages/integrations/providers';
import type { IntegrationSummary } from '../../frontend/src/pages/integrations/integrations-api';

const twilio = providerSpecs.find((p) => p.provider === 'twilio');
const stripe = providerSpecs.find((p) => p.provider === 'stripe');
const summary: IntegrationSummary = {
  provider: 'twilio',
  updatedAt: '2026-11-27T10:00:00.000Z',
  updatedBy: 'sub',
  hints: { accountSid: 'AC0123', smsFrom: '+353861234567', templates: 'reminder', 'templates.reminder': 'HX0123' },
};

it('starts the form from the saved non-secret fields, template SIDs under their own names', () => {
  if (!twilio) throw new Error('no twilio form');
  expect(prefillFrom(twilio, summary)).toEqual({ accountSid: 'AC0123', smsFrom: '+353861234567', reminder: 'HX0123' });
  expect(prefillFrom(twilio, undefined)).toEqual({});
});

it('never starts a secret field with a value, even if a hint shared its name', () => {
  if (!stripe) throw new Error('no stripe form');
  expect(prefillFrom(stripe, { ...summary, provider: 'stripe', hints: { mode: 'test', secretKey: 'sk_test_x' } })).toEqual({});
});

it('names the templates in the status line, not their SIDs', () => {
  expect(statusLine(summary)).toBe('configured · AC0123 · +353861234567 · reminder');
});

it('names the templates whose SIDs an older summary does not give, which the admin must type again', () => {
  expect(templatesToRetype(summary)).toEqual([]);
  expect(templatesToRetype({ ...summary, hints: { accountSid: 'AC0123', templates: 'reminder, csat', 'templates.reminder': 'HX0123' } })).toEqual(['csat']);
  expect(templatesToRetype(undefined)).toEqual([]);
});
