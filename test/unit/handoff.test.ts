/** The pure parts of the handoff: opening hours, what the customer writes (contact, CSAT), key shapes, texts. */
import { isOpen, localTime, nextOpening } from '../../lambdas/core/business-hours';
import { contactIn, csatScoreIn, handoffText } from '../../lambdas/core/handoff-text';
import { handoffSettingsSchema } from '../../lambdas/core/handoff-ports';
import { keys } from '../../lambdas/adapters/dynamo/keys';
import type { OpeningHours } from '../../lambdas/core/knowledge-base';

const week: OpeningHours[] = [
  { day: 'mon', open: '08:30', close: '18:00' },
  { day: 'thu', open: '08:30', close: '12:00' },
  { day: 'thu', open: '13:00', close: '19:30' },
  { day: 'sat', open: '09:00', close: '13:00' },
];

describe('opening hours in the business time zone', () => {
  // 2026-03-02 is a Monday. Dublin is UTC+0 in March (summer time starts on the 29th).
  const at = (iso: string): Date => new Date(iso);

  it('reads the weekday and minute in the zone', () => {
    expect(localTime(at('2026-03-02T08:29:00Z'), 'Europe/Dublin')).toEqual({ day: 'mon', minutes: 8 * 60 + 29 });
    expect(localTime(at('2026-03-02T23:30:00Z'), 'America/New_York')).toEqual({ day: 'mon', minutes: 18 * 60 + 30 });
  });

  it('is open from the opening minute until (not including) the closing minute, across split days', () => {
    expect(isOpen(week, 'Europe/Dublin', at('2026-03-02T08:29:00Z'))).toBe(false);
    expect(isOpen(week, 'Europe/Dublin', at('2026-03-02T08:30:00Z'))).toBe(true);
    expect(isOpen(week, 'Europe/Dublin', at('2026-03-02T17:59:00Z'))).toBe(true);
    expect(isOpen(week, 'Europe/Dublin', at('2026-03-02T18:00:00Z'))).toBe(false);
    expect(isOpen(week, 'Europe/Dublin', at('2026-03-05T12:30:00Z'))).toBe(false); // Thursday lunch
    expect(isOpen(week, 'Europe/Dublin', at('2026-03-01T12:00:00Z'))).toBe(false); // Sunday
  });

  it('treats 23:59 as midnight and no hours at all as always open', () => {
    expect(isOpen([{ day: 'mon', open: '00:00', close: '23:59' }], 'UTC', at('2026-03-02T23:59:30Z'))).toBe(true);
    expect(isOpen([], 'UTC', at('2026-03-01T03:00:00Z'))).toBe(true);
  });

  it('finds the next opening, today or on a later day', () => {
    expect(nextOpening(week, 'Europe/Dublin', at('2026-03-02T07:00:00Z'))).toEqual({ day: 'mon', time: '08:30', today: true });
    expect(nextOpening(week, 'Europe/Dublin', at('2026-03-02T19:00:00Z'))).toEqual({ day: 'thu', time: '08:30', today: false });
    expect(nextOpening(week, 'Europe/Dublin', at('2026-03-05T12:15:00Z'))).toEqual({ day: 'thu', time: '13:00', today: true });
    expect(nextOpening(week, 'Europe/Dublin', at('2026-03-07T14:00:00Z'))).toEqual({ day: 'mon', time: '08:30', today: false });
    expect(nextOpening([], 'UTC', at('2026-03-07T14:00:00Z'))).toBeUndefined();
  });
});

describe('what the customer writes', () => {
  it.each([
    ['call me on +353 87 123 4567 please', '+353 87 123 4567'],
    ['my number is 087-1234567', '087-1234567'],
    ['Maria.Lopez@Example.com', 'maria.lopez@example.com'],
    ['email me at a.b+c@mail.example.ie or ring 0871234567', 'a.b+c@mail.example.ie'],
  ])('finds a contact in %j', (text, contact) => {
    expect(contactIn(text)).toBe(contact);
  });

  it.each(['ok', 'tomorrow at 5', 'room 12', 'no thanks'])('finds no contact in %j', (text) => {
    expect(contactIn(text)).toBeUndefined();
  });

  it.each([
    ['5', 5],
    [' 4 ', 4],
    ['3/5', 3],
    ['2 stars', 2],
    ['1 de 5', 1],
  ])('reads the CSAT score %j', (text, score) => {
    expect(csatScoreIn(text)).toBe(score);
  });

  // Number words, star emoji and a score followed by words are read too: test/unit/handoff-text.test.ts.
  it.each(['6', '0', 'six', '5 but the wait was long', '12'])('does not take %j as a score', (text) => {
    expect(csatScoreIn(text)).toBeUndefined();
  });
});

describe('what the handoff tells the customer', () => {
  it('states the expected wait from the SLA, in English and Spanish', () => {
    expect(handoffText.queued('en', 120)).toMatch(/within about 2 minutes/);
    expect(handoffText.queued('es-MX', 30)).toMatch(/responde en un minuto aproximadamente/);
    expect(handoffText.queued('es', 600)).toMatch(/responde en unos 10 minutos/);
    expect(handoffText.callback('en', 'after_hours', { day: 'mon', time: '08:30', today: false })).toMatch(/We're back on Monday at 08:30\./);
    expect(handoffText.callback('es', 'after_hours', { day: 'sat', time: '09:00', today: false })).toMatch(/Volvemos el sábado a las 09:00\./);
    expect(handoffText.csatQuestion('es')).toMatch(/de 1 .* a 5/);
    expect(handoffText.csatOptions().map((o) => o.text)).toEqual(['1', '2', '3', '4', '5']);
  });
});

describe('handoff keys and settings', () => {
  it('begins every partition key with the tenant', () => {
    const all = [
      keys.handoff('demo', 'c1234567').pk,
      keys.handoffToken('demo', 'c1234567').pk,
      keys.handoffTransition('demo', 'c1234567', '2026-03-02T08:30:00.000Z', 'x1').pk,
      keys.inboxEntry('demo', 'c1234567').pk,
      keys.staffConnection('demo', 'conn=').pk,
      keys.staffMember('demo', 'sub-1').pk,
      keys.staffAccess('demo', 'sub-1').pk,
      keys.outboxEmail('demo', '2026-03-02T08:30:00.000Z', 'e1').pk,
      keys.followUp('demo', 'f1').pk,
      keys.handoffSettings('demo').pk,
    ];
    for (const pk of all) expect(pk.startsWith('T#demo')).toBe(true);
    // Transitions sort by time within the conversation, and never collide with messages.
    const sks = ['2026-03-02T10:00:00.000Z', '2026-03-02T09:00:00.000Z'].map((at) => keys.handoffTransition('demo', 'c1234567', at, 'x').sk).sort();
    expect(sks[0]).toContain('09:00');
    expect(sks.every((sk) => !sk.startsWith(keys.messagePrefix))).toBe(true);
    expect(() => keys.followUp('demo', 'a#b')).toThrow(/invalid follow-up id/);
  });

  it('validates settings, naming the field', () => {
    expect(handoffSettingsSchema.safeParse({ slaSeconds: 120, cannedReplies: [] }).success).toBe(true);
    const bad = handoffSettingsSchema.safeParse({ slaSeconds: 0, cannedReplies: [{ id: 'Bad Id', title: 'x', text: 'y' }] });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['cannedReplies.0.id', 'slaSeconds']);
  });
});
