/**
 * Powertools instances, created once per module load and shared by every
 * handler in the bundle.
 *
 * Every log line goes through {@link MaskingLogFormatter}: e-mail addresses,
 * phone numbers and card-like numbers are masked in every string value
 * (message, keys, nested objects, error messages and stacks), and the line
 * carries the invocation's `correlation_id` (see correlation.ts).
 */
import { LogFormatter, Logger, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { currentScope } from './correlation';

const serviceName = process.env['POWERTOOLS_SERVICE_NAME'] ?? 'concierge';

// =============================================================================================
// PII masking

const EMAIL = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g;
/**
 * 13–19 digits, alone or in groups split by single spaces or dashes, not touching letters, digits,
 * `_`, `-`, `.`, `:` or `/` (so ids, ARNs, versions and times stay whole).
 */
const CARD = /(?<![\w.:/+-])\d(?:[ -]?\d){12,18}(?![\w:/-]|\.\d)/g;
/**
 * A phone number: `+` and 8–15 digits, or 8–12 digits, separated by spaces, dashes or
 * parentheses, under the same "not touching" rule as cards.
 */
const PHONE = /(?<![\w.:/+-])(?:\+|\()?\d(?:[ ()-]{0,2}\d){7,14}(?![\w:/-]|\.\d)/g;
/**
 * A phone written as a channel identity or a URI (`whatsapp:+34600111222`, `sms:+1…`, `phone:+34 600 111 222`,
 * `tel:+34…`): the `:` keeps PHONE from matching it (or from taking the country code). The scheme stays readable.
 */
const CHANNEL_PHONE = /\b(whatsapp|phone|sms|tel):\s?(?:\+|\()?\d(?:[ ()-]{0,2}\d){6,14}(?![\w:/-]|\.\d)/gi;
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

function digitsOf(text: string): string {
  return text.replace(/\D/g, '');
}

/** The Luhn checksum every payment card number satisfies. */
function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits.charAt(digits.length - 1 - i));
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Issuer prefixes and lengths of the card networks (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay). */
const CARD_NETWORKS: readonly { readonly prefix: RegExp; readonly lengths: readonly number[] }[] = [
  { prefix: /^4/, lengths: [16, 19] },
  { prefix: /^(5[1-5]|2(2[2-9]|[3-6]\d|7[01]|720))/, lengths: [16] },
  { prefix: /^3[47]/, lengths: [15] },
  { prefix: /^(6011|65|64[4-9]|62)/, lengths: [16, 17, 18, 19] },
  { prefix: /^35/, lengths: [16, 17, 18, 19] },
  { prefix: /^3[068]/, lengths: [14, 15, 16] },
];

function maskCard(match: string): string {
  const digits = digitsOf(match);
  // Written in groups (4242 4242 4242 4242, Amex 3782 822463 10005), or a checksum-valid number of a card
  // network's prefix and length. Epoch milliseconds and other long ids that are neither stay readable.
  const grouped = /^\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}$/.test(match) || /^\d{4}([ -])\d{6}\1\d{5}$/.test(match);
  const network = CARD_NETWORKS.some((n) => n.prefix.test(digits) && n.lengths.includes(digits.length));
  return grouped || (network && luhnValid(digits)) ? '[card]' : match;
}

function maskPhone(match: string): string {
  const digits = digitsOf(match);
  if (ISO_DAY.test(match)) return match;
  if (match.startsWith('+')) return digits.length >= 8 ? '[phone]' : match;
  const separated = /[ ()-]/.test(match);
  if (separated) return digits.length <= 12 ? '[phone]' : match;
  // A bare run of digits: national numbers have 8-11; one starting with 1 is an epoch timestamp far more
  // often than a phone number (no national number of the usual plans starts with 1 without a separator).
  return digits.length <= 11 && !digits.startsWith('1') ? '[phone]' : match;
}

/**
 * Masks e-mail addresses, phone numbers and card-like numbers in text. ISO timestamps, epoch
 * seconds and milliseconds, UUIDs, ARNs and ids with letters in them are left as they are.
 */
export function maskPii(text: string): string {
  return text
    .replace(EMAIL, '[email]')
    .replace(CHANNEL_PHONE, (_match, scheme: string) => `${scheme}:[phone]`)
    .replace(CARD, maskCard)
    .replace(PHONE, maskPhone);
}

const MAX_DEPTH = 12;

/** `value` with {@link maskPii} applied to every string in it (plain objects and arrays copied; errors left to `formatError`). */
export function maskDeep(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string') return maskPii(value);
  if (typeof value !== 'object' || value === null || value instanceof Error || value instanceof Date) return value;
  if (depth >= MAX_DEPTH || seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) return value.map((item: unknown) => maskDeep(item, depth + 1, seen));
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = maskDeep(item, depth + 1, seen);
  return out;
}

/**
 * The Powertools log format (the keys of its default formatter, which the package does not
 * export) plus two things: the invocation scope's correlation id, function name and request id
 * (right per invocation even when invocations overlap in one process), and PII masking of every
 * string value.
 */
export class MaskingLogFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, additionalLogAttributes: LogAttributes): LogItem {
    const scope = currentScope();
    const context = attributes.lambdaContext;
    const all: LogAttributes = {
      level: attributes.logLevel,
      message: attributes.message,
      timestamp: this.formatTimestamp(attributes.timestamp),
      service: attributes.serviceName,
      cold_start: context?.coldStart,
      function_arn: context?.invokedFunctionArn,
      function_memory_size: context?.memoryLimitInMB,
      function_name: scope?.functionName ?? context?.functionName,
      function_request_id: scope?.requestId ?? context?.awsRequestId,
      sampling_rate: attributes.sampleRateValue,
      xray_trace_id: attributes.xRayTraceId,
      ...additionalLogAttributes,
      ...(scope?.correlationId !== undefined ? { correlation_id: scope.correlationId } : {}),
    };
    const masked = maskDeep(all);
    return new LogItem({ attributes: isAttributes(masked) ? masked : all });
  }

  override formatError(error: Error): LogAttributes {
    const formatted = maskDeep(super.formatError(error));
    return isAttributes(formatted) ? formatted : { name: error.name, message: maskPii(error.message) };
  }
}

function isAttributes(value: unknown): value is LogAttributes {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// =============================================================================================
// The instances

export const logger = new Logger({ serviceName, logFormatter: new MaskingLogFormatter() });
export const metrics = new Metrics({ serviceName, namespace: 'Concierge', logger });
export const tracer = new Tracer({ serviceName });
