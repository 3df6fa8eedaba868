/**
 * Powertools instances, created once per module load and shared by every
 * handler in the bundle.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

const serviceName = process.env['POWERTOOLS_SERVICE_NAME'] ?? 'concierge';

export const logger = new Logger({ serviceName });
export const metrics = new Metrics({ serviceName, namespace: 'Concierge', logger });
export const tracer = new Tracer({ serviceName });

const EMAIL = /[\w.+-]+@[\w-]+\.[\w.-]+/g;
const PHONE = /\+?\d[\d\s().-]{7,}\d/g;
const CARD = /\b(?:\d[ -]?){13,19}\b/g;

/** Masks e-mail addresses, phone and card-like numbers before text reaches a log line. */
export function maskPii(text: string): string {
  return text.replace(CARD, '[card]').replace(EMAIL, '[email]').replace(PHONE, '[phone]');
}
