/**
 * core/channels/policy.ts: the WhatsApp and Messenger 24-hour windows (free-form, template, tag or parked), the
 * SMS keywords (STOP / START / HELP and their synonyms) and what handling one records.
 */
import {
  decideSend,
  handleSmsKeyword,
  helpText,
  isOptedOut,
  keywordOf,
  optOutAddress,
  optOutCommand,
  serviceWindow,
  templateSlotOf,
  templateVariables,
  type OptOutRecord,
  type OptOutStore,
} from '../../lambdas/core/channels/policy';

const now = new Date('2026-03-10T12:00:00.000Z');
const hoursAgo = (h: number): string => new Date(now.getTime() - h * 3600_000).toISOString();
const templates = { reminder: `HX${'a'.repeat(32)}`, csat: `HX${'b'.repeat(32)}`, followUp: `HX${'c'.repeat(32)}`, bookingUpdate: `HX${'d'.repeat(32)}` };

describe('24-hour window', () => {
  it('is open until exactly 24 hours after the last customer message', () => {
    expect(serviceWindow(hoursAgo(1), now)).toEqual({ open: true, lastInboundAt: hoursAgo(1), closesAt: new Date(now.getTime() + 23 * 3600_000).toISOString() });
    expect(serviceWindow(hoursAgo(23.99), now).open).toBe(true);
    expect(serviceWindow(hoursAgo(24), now).open).toBe(false);
    expect(serviceWindow(undefined, now)).toEqual({ open: false });
    expect(serviceWindow('not a date', now)).toEqual({ open: false });
  });
});

describe('decideSend', () => {
  it('WhatsApp inside the window: free-form for every kind', () => {
    for (const kind of ['reply', 'agent', 'system', 'booking', 'reminder', 'csat', 'followup'] as const) {
      expect(decideSend({ channel: 'whatsapp', kind, lastInboundAt: hoursAgo(2), now, templates })).toEqual({ mode: 'free_form' });
    }
  });

  it('WhatsApp outside the window: the kind template when configured', () => {
    expect(decideSend({ channel: 'whatsapp', kind: 'reminder', lastInboundAt: hoursAgo(30), now, templates })).toEqual({ mode: 'template', slot: 'reminder', contentSid: templates.reminder });
    expect(decideSend({ channel: 'whatsapp', kind: 'booking', lastInboundAt: hoursAgo(30), now, templates })).toMatchObject({ mode: 'template', slot: 'bookingUpdate' });
    expect(decideSend({ channel: 'whatsapp', kind: 'followup', lastInboundAt: undefined, now, templates })).toMatchObject({ mode: 'template', slot: 'followUp' });
  });

  it('WhatsApp outside the window: parked without a template, or for kinds that have none', () => {
    expect(decideSend({ channel: 'whatsapp', kind: 'reminder', lastInboundAt: hoursAgo(30), now })).toEqual({ mode: 'park', reason: 'whatsapp_window_closed' });
    expect(decideSend({ channel: 'whatsapp', kind: 'csat', lastInboundAt: hoursAgo(30), now, templates: { reminder: templates.reminder } })).toEqual({
      mode: 'park',
      reason: 'whatsapp_window_closed',
    });
    for (const kind of ['reply', 'agent', 'system'] as const) {
      expect(decideSend({ channel: 'whatsapp', kind, lastInboundAt: hoursAgo(25), now, templates })).toEqual({ mode: 'park', reason: 'whatsapp_window_closed' });
    }
  });

  it('Messenger outside the window: HUMAN_AGENT for agents within 7 days, CONFIRMED_EVENT_UPDATE for bookings, else parked', () => {
    expect(decideSend({ channel: 'messenger', kind: 'reply', lastInboundAt: hoursAgo(3), now })).toEqual({ mode: 'free_form' });
    expect(decideSend({ channel: 'messenger', kind: 'agent', lastInboundAt: hoursAgo(48), now })).toEqual({ mode: 'tagged', tag: 'HUMAN_AGENT' });
    expect(decideSend({ channel: 'messenger', kind: 'agent', lastInboundAt: hoursAgo(24 * 8), now })).toEqual({ mode: 'park', reason: 'messenger_window_closed' });
    expect(decideSend({ channel: 'messenger', kind: 'reminder', lastInboundAt: hoursAgo(48), now })).toEqual({ mode: 'tagged', tag: 'CONFIRMED_EVENT_UPDATE' });
    expect(decideSend({ channel: 'messenger', kind: 'csat', lastInboundAt: hoursAgo(48), now })).toEqual({ mode: 'park', reason: 'messenger_window_closed' });
  });

  it('SMS has no window', () => {
    expect(decideSend({ channel: 'sms', kind: 'reply', lastInboundAt: undefined, now })).toEqual({ mode: 'free_form' });
  });

  it('maps kinds to template slots', () => {
    expect(['reply', 'agent', 'system', 'booking', 'reminder', 'csat', 'followup'].map((k) => templateSlotOf(k as Parameters<typeof templateSlotOf>[0]))).toEqual([
      undefined,
      undefined,
      undefined,
      'bookingUpdate',
      'reminder',
      'csat',
      'followUp',
    ]);
  });

  it('template variables are one line of at most 1024 characters', () => {
    expect(templateVariables('Your visit:\n\ttomorrow     at 10')).toEqual({ '1': 'Your visit: tomorrow at 10' });
    expect(templateVariables('x'.repeat(2000))['1']).toHaveLength(1024);
  });
});

describe('SMS keywords', () => {
  it('recognises Twilio’s opt-out, opt-in and help keywords, in any case, as the whole message', () => {
    for (const w of ['STOP', 'stop', 'Stop.', ' STOPALL ', 'unsubscribe', 'CANCEL', 'end', 'Quit!', 'revoke', 'OptOut']) expect(optOutCommand(w)).toBe('stop');
    for (const w of ['START', 'yes', 'Unstop']) expect(optOutCommand(w)).toBe('start');
    for (const w of ['HELP', 'info', 'Help?']) expect(optOutCommand(w)).toBe('help');
    for (const w of ['stop the booking', 'please stop', 'yes please', 'helpful', '', 'STOP STOP']) expect(optOutCommand(w)).toBeUndefined();
  });

  it('reads the Spanish keywords, in Spanish, and says which ones Twilio confirms itself', () => {
    for (const w of ['BAJA', 'baja', '¡Baja!', 'Parar.']) expect(keywordOf(w)).toEqual({ command: 'stop', lang: 'es', twilioConfirms: false });
    expect(keywordOf('Alta')).toEqual({ command: 'start', lang: 'es', twilioConfirms: false });
    expect(keywordOf('¿Ayuda?')).toEqual({ command: 'help', lang: 'es', twilioConfirms: false });
    expect(keywordOf('stop')).toEqual({ command: 'stop', lang: 'en', twilioConfirms: true });
    for (const w of ['dar de baja mi cita', 'alta cocina', 'necesito ayuda']) expect(keywordOf(w)).toBeUndefined();
  });

  it('on WhatsApp only the unmistakable words: cancel, end, yes and help are for the concierge', () => {
    for (const w of ['STOP', 'unsubscribe', 'Baja']) expect(optOutCommand(w, 'whatsapp')).toBe('stop');
    for (const w of ['START', 'alta']) expect(optOutCommand(w, 'whatsapp')).toBe('start');
    for (const w of ['cancel', 'END', 'quit', 'yes', 'help', 'info', 'ayuda']) expect(optOutCommand(w, 'whatsapp')).toBeUndefined();
    expect(optOutAddress('whatsapp', '+34612345678')).toBe('whatsapp:+34612345678');
    expect(optOutAddress('sms', '+34612345678')).toBe('+34612345678');
  });

  class MemoryOptOuts implements OptOutStore {
    readonly records = new Map<string, OptOutRecord>();
    async getOptOut(tenantId: string, address: string) {
      return this.records.get(`${tenantId}|${address}`);
    }
    async putOptOut(tenantId: string, record: OptOutRecord) {
      this.records.set(`${tenantId}|${record.address}`, record);
    }
  }

  it('STOP records the opt-out with its time and answers nothing; START records the opt-in and confirms', async () => {
    const optOuts = new MemoryOptOuts();
    const clock = { now: () => now };
    const input = { tenantId: 'harbour-dental', from: '+353861234567', businessName: 'Harbour Dental' };
    expect(await handleSmsKeyword({ optOuts, clock }, { ...input, text: 'Stop' })).toEqual({ command: 'stop' });
    expect(await optOuts.getOptOut('harbour-dental', '+353861234567')).toEqual({ address: '+353861234567', optedOut: true, at: now.toISOString(), keyword: 'STOP' });
    expect(await isOptedOut(optOuts, 'harbour-dental', '+353861234567')).toBe(true);
    expect(await isOptedOut(optOuts, 'other-tenant', '+353861234567')).toBe(false);
    const start = await handleSmsKeyword({ optOuts, clock }, { ...input, text: 'START' });
    expect(start?.command).toBe('start');
    expect(start?.reply).toContain('Harbour Dental');
    expect(await isOptedOut(optOuts, 'harbour-dental', '+353861234567')).toBe(false);
  });

  it('HELP answers with the business name and phone, records nothing; other text is not a keyword', async () => {
    const optOuts = new MemoryOptOuts();
    const clock = { now: () => now };
    const help = await handleSmsKeyword({ optOuts, clock }, { tenantId: 't-1', from: '+15550001111', businessName: 'Harbour Dental', businessPhone: '+353 1 555 0100', text: 'help' });
    expect(help).toEqual({ command: 'help', reply: helpText('Harbour Dental', '+353 1 555 0100') });
    expect(help?.reply).toContain('+353 1 555 0100');
    expect(help?.reply).toContain('STOP');
    expect(optOuts.records.size).toBe(0);
    expect(await handleSmsKeyword({ optOuts, clock }, { tenantId: 't-1', from: '+15550001111', businessName: 'X', text: 'When are you open?' })).toBeUndefined();
  });

  it('answers each keyword in its own language; only a Spanish SMS opt-out is confirmed past the opt-out', async () => {
    const optOuts = new MemoryOptOuts();
    const clock = { now: () => now };
    const input = { tenantId: 'clinica', from: '+34612345678', businessName: 'Clínica Sol', businessPhone: '+34 910 000 000' };
    expect(await handleSmsKeyword({ optOuts, clock }, { ...input, text: 'BAJA' })).toEqual({
      command: 'stop',
      reply: 'Clínica Sol: se ha dado de baja y no recibirá más SMS. Responda ALTA para volver a recibirlos.',
      confirmsOptOut: true,
    });
    expect((await handleSmsKeyword({ optOuts, clock }, { ...input, text: 'ALTA' }))?.reply).toMatch(/^Clínica Sol: vuelve a estar suscrito\. Responda BAJA/);
    expect((await handleSmsKeyword({ optOuts, clock }, { ...input, text: 'ayuda' }))?.reply).toBe(helpText('Clínica Sol', '+34 910 000 000', 'es'));
    expect(helpText('Clínica Sol', '+34 910 000 000', 'es')).toContain('Llame al +34 910 000 000');
    // WhatsApp: kept apart from the number's SMS opt-out, and confirmed (no carrier does it there).
    const whatsapp = await handleSmsKeyword({ optOuts, clock }, { ...input, text: 'Stop', channel: 'whatsapp' });
    expect(whatsapp?.reply).toMatch(/^Clínica Sol: we won't send you reminders or follow-ups on WhatsApp/);
    expect(whatsapp?.confirmsOptOut).toBeUndefined();
    expect(await isOptedOut(optOuts, 'clinica', 'whatsapp:+34612345678')).toBe(true);
    expect(await isOptedOut(optOuts, 'clinica', '+34612345678')).toBe(false);
  });
});
