/**
 * PII masking in log lines: the shared Powertools logger (lambdas/handlers/lib/powertools.ts) writes
 * what these tests capture from the console, as it does in the local cloud (POWERTOOLS_DEV) — every
 * string value masked (message, extra keys, nested objects, arrays, errors), ids and timestamps kept,
 * and each line carrying its own invocation's correlation id.
 */
import fc from 'fast-check';
import { runInScope } from '../../lambdas/handlers/lib/correlation';
import { logger, maskPii } from '../../lambdas/handlers/lib/powertools';

const lines: string[] = [];
const capture = (...args: unknown[]): void => {
  lines.push(args.map(String).join(' '));
};

beforeEach(() => {
  lines.length = 0;
  logger.setLogLevel('DEBUG');
  for (const method of ['debug', 'info', 'warn', 'error', 'log'] as const) jest.spyOn(console, method).mockImplementation(capture);
});
afterEach(() => {
  jest.restoreAllMocks();
  logger.setLogLevel('SILENT');
});

/** The one JSON line logged so far. */
function onlyLine(): Record<string, unknown> {
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
}

const EMAIL = 'jane.doe+vip@example.co.uk';
const PHONES = ['+353 86 123 4567', '+15551234567', '(555) 123-4567', '086 123 4567', '1-800-555-1234'];
const CARDS = ['4242 4242 4242 4242', '4242-4242-4242-4242', '4242424242424242', '378282246310005', '5555 5555 5555 4444'];

describe('the shared logger masks PII in every string it writes', () => {
  it('masks the message, extra keys, nested objects and arrays', () => {
    logger.info(`customer ${EMAIL} called from ${PHONES[0]}`, {
      contact: { email: EMAIL, phones: PHONES, note: `paid with ${CARDS[0]}` },
      cards: CARDS,
    });
    const raw = lines.join('\n');
    for (const secret of [EMAIL, ...PHONES, ...CARDS]) expect(raw).not.toContain(secret);
    const line = onlyLine();
    expect(line['message']).toBe('customer [email] called from [phone]');
    expect(line['contact']).toEqual({ email: '[email]', phones: PHONES.map(() => '[phone]'), note: 'paid with [card]' });
    expect(line['cards']).toEqual(CARDS.map(() => '[card]'));
  });

  it('masks error messages, stacks and causes', () => {
    const cause = new Error(`lookup failed for ${PHONES[1]}`);
    logger.error('delivery failed', { error: new Error(`bounced: ${EMAIL}`, { cause }) });
    const raw = lines.join('\n');
    expect(raw).not.toContain(EMAIL);
    expect(raw).not.toContain(PHONES[1]);
    const error = onlyLine()['error'] as Record<string, unknown>;
    expect(error['message']).toBe('bounced: [email]');
    expect((error['cause'] as Record<string, unknown>)['message']).toBe('lookup failed for [phone]');
  });

  it('keeps timestamps, epoch numbers, ids, UUIDs and ARNs intact', () => {
    const kept = {
      at: '2026-11-26T10:00:00.000Z',
      day: '2026-11-26',
      epochMs: '1764151200000',
      epochSeconds: '1764151200',
      conversationId: 'c_01J9ZK3M4N5P6Q7R8S9T0V1W2X',
      bookingId: 'bk_0123456789012345',
      requestId: '3f2a1b4c-1234-5678-9abc-def012345678',
      numericUuid: '12345678-1234-5678-1234-567812345678',
      arn: 'arn:aws:lambda:us-east-1:123456789012:function:concierge-wsMessage',
      trace: '1-5759e988-bd862e3fe1be46a994272793',
      version: '20.18.1',
      wsRequestId: 'LkxGcGKbIAMF1Lw=',
    };
    logger.info(`booking at ${kept.at} (${kept.epochMs})`, { ...kept, seq: 12345678, amountCents: 4242424242424242 });
    const line = onlyLine();
    expect(line).toMatchObject({ ...kept, message: `booking at ${kept.at} (${kept.epochMs})`, seq: 12345678, amountCents: 4242424242424242 });
  });

  it('writes each line with the correlation id of its own invocation, even when invocations overlap', async () => {
    const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
    await Promise.all(
      ['corr-aaaaaa', 'corr-bbbbbb', 'corr-cccccc'].map((correlationId, i) =>
        runInScope({ correlationId, functionName: `fn${i}` }, async () => {
          await tick();
          logger.info('step one');
          await tick();
          logger.info('step two');
        }),
      ),
    );
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed).toHaveLength(6);
    for (const line of parsed) {
      expect(line['correlation_id']).toBe(`corr-${'abc'.charAt(Number(String(line['function_name']).slice(2))).repeat(6)}`);
    }
    logger.info('outside any invocation');
    expect(JSON.parse(lines[6] ?? '{}')).not.toHaveProperty('correlation_id');
  });
});

describe('maskPii', () => {
  const word = fc.stringMatching(/^[a-z]{1,12}$/);
  const email = fc.tuple(word, word, fc.constantFrom('com', 'ie', 'co.uk')).map(([user, domain, tld]) => `${user}@${domain}.${tld}`);
  const phone = fc.tuple(fc.constantFrom('+353', '+34', '+44', '+1'), fc.stringMatching(/^[2-9]\d{8,10}$/)).map(([cc, n]) => `${cc} ${n}`);
  /** Luhn-valid numbers of the card networks' prefixes and lengths (Visa, Mastercard, Amex, Discover). */
  const card = fc
    .tuple(fc.constantFrom<[string, number]>(['4', 16], ['51', 16], ['2221', 16], ['37', 15], ['6011', 16], ['4', 19]), fc.stringMatching(/^\d{18}$/))
    .map(([[prefix, length], rest]) => {
      const body = (prefix + rest).slice(0, length - 1);
      let sum = 0;
      for (let i = 0; i < body.length; i++) {
        let d = Number(body.charAt(body.length - 1 - i));
        if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
        sum += d;
      }
      return `${body}${(10 - (sum % 10)) % 10}`;
    });

  it('never lets an e-mail, phone or card number through, whatever the text around it', () => {
    fc.assert(
      fc.property(fc.oneof(email, phone, card), word, word, (secret, before, after) => {
        expect(maskPii(`${before} ${secret} ${after}`)).not.toContain(secret);
      }),
    );
  });

  it('masks phones written as channel identities or URIs, country code included, and keeps the scheme', () => {
    const identities = ['whatsapp:+34600111222', 'phone:+34600111222', 'sms:+14155550100', 'tel:+34600111222', 'phone:+34 600 111 222', 'WhatsApp:+353 (86) 123-4567'];
    for (const identity of identities) {
      const scheme = identity.slice(0, identity.indexOf(':'));
      expect(maskPii(`message from ${identity}, linked`)).toBe(`message from ${scheme}:[phone], linked`);
    }
    // Inside keys and JSON, as the stores write them.
    expect(maskPii('T#demo#IDENTITY#whatsapp:+34600111222')).toBe('T#demo#IDENTITY#whatsapp:[phone]');
    expect(maskPii('{"to":"sms:+14155550100"}')).toBe('{"to":"sms:[phone]"}');
    expect(maskPii('customer phone:+34 600 111 222')).not.toMatch(/\+34|600|111|222/);
    // Not a phone: ids and times after other schemes stay.
    for (const kept of ['web:3f2a1b4c12345678', 'messenger:1234567890123456', 'arn:aws:sns:eu-west-1:123456789012:topic', 'at 10:30:00']) expect(maskPii(kept)).toBe(kept);
  });

  it('never lets a phone written as a channel identity through', () => {
    const scheme = fc.constantFrom('whatsapp', 'sms', 'phone', 'tel');
    const national = fc.stringMatching(/^[2-9]\d{7,10}$/);
    const spaced = national.map((n) => n.replace(/(\d{3})(?=\d)/g, '$1 '));
    fc.assert(
      fc.property(scheme, fc.constantFrom('+34', '+353', '+1', '+44'), fc.oneof(national, spaced), word, (s, cc, n, after) => {
        const masked = maskPii(`${s}:${cc}${n} ${after}`);
        expect(masked).toBe(`${s}:[phone] ${after}`);
      }),
    );
  });

  it('leaves ISO timestamps and epoch milliseconds as they are', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }), (date) => {
        const text = `at ${date.toISOString()} or ${date.getTime()}`;
        expect(maskPii(text)).toBe(text);
      }),
    );
  });
});
