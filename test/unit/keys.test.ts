import { keys, pad } from '../../lambdas/adapters/dynamo/keys';

describe('single-table keys', () => {
  it('begins every partition key with the tenant', () => {
    const all = [
      keys.tenantProfile('demo').pk,
      keys.kbItem('demo', 3, 'FAQ', 'parking').pk,
      keys.conversation('demo', 'c1234567').pk,
      keys.message('demo', 'c1234567', 7).pk,
      keys.clientMessage('demo', 'c1234567', 'client-1').pk,
      keys.handoffStaffEmail('demo', 'c1234567', 'handoff.callback', 'followup-1').pk,
      keys.subscription('demo', 'c1234567', 'conn=').pk,
      keys.visitor('demo', 'v'.repeat(20)).pk,
      keys.connection('demo', 'conn=').pk,
      keys.dailyStats('demo', '2026-11-25').pk,
      keys.statsEvent('demo', 'evt-1').pk,
      keys.conversationsByActivity('demo'),
    ];
    for (const pk of all) expect(pk.startsWith('T#demo')).toBe(true);
  });

  it('keeps tenants apart even when one id prefixes another', () => {
    expect(keys.conversation('demo', 'abcdefgh').pk).toBe('T#demo#C#abcdefgh');
    expect(keys.conversation('demo2', 'abcdefgh').pk).toBe('T#demo2#C#abcdefgh');
    expect(keys.conversation('demo', 'abcdefgh').pk.startsWith(`${keys.tenantProfile('demo2').pk}#`)).toBe(false);
  });

  it('sorts messages by sequence number as strings', () => {
    const sks = [10, 2, 1, 100].map((n) => keys.message('demo', 'c1234567', n).sk).sort();
    expect(sks).toEqual(['MSG#0000000001', 'MSG#0000000002', 'MSG#0000000010', 'MSG#0000000100']);
    expect(pad(42)).toBe('0000000042');
  });

  it('refuses tenant ids and key parts that could forge another key', () => {
    expect(() => keys.tenantProfile('Demo')).toThrow(/invalid tenant id/);
    expect(() => keys.tenantProfile('demo#C#x')).toThrow(/invalid tenant id/);
    expect(() => keys.conversation('demo', 'a#META')).toThrow(/invalid conversation id/);
    expect(() => keys.visitor('demo', '')).toThrow(/invalid visitor id/);
    expect(() => keys.handoffStaffEmail('demo', 'c1234567', 'handoff.callback', 'x#META')).toThrow(/invalid handoff ref/);
  });
});

describe('booking keys', () => {
  const start = '2026-12-03T14:00:00.000Z';

  it('begins every booking partition key with the tenant', () => {
    const all = [
      keys.booking('demo', 'b1').pk,
      keys.bookingPaymentToken('demo', 'b1').pk,
      keys.bookingsByStart('demo'),
      keys.customerBooking('demo', 'phone:+34600000000', start, 'b1').pk,
      keys.cell('demo', 'niamh', start).pk,
      keys.bookingSettings('demo').pk,
    ];
    for (const pk of all) expect(pk.startsWith('T#demo#') || pk === 'T#demo').toBe(true);
  });

  it('partitions cell locks per staff member per UTC day and sorts them by start', () => {
    expect(keys.cell('demo', 'niamh', start)).toEqual({ pk: 'T#demo#CELLS#niamh#2026-12-03', sk: start });
    expect(keys.cell('demo', 'niamh', '2026-12-03T23:45:00.000Z').pk).toBe('T#demo#CELLS#niamh#2026-12-03');
    expect(keys.cell('demo', 'niamh', '2026-12-04T00:00:00.000Z').pk).toBe('T#demo#CELLS#niamh#2026-12-04');
    const sks = ['2026-12-03T14:15:00.000Z', '2026-12-03T09:00:00.000Z', start].map((s) => keys.cell('demo', 'niamh', s).sk).sort();
    expect(sks).toEqual(['2026-12-03T09:00:00.000Z', start, '2026-12-03T14:15:00.000Z']);
  });

  it('sorts the calendar index and a customer\'s bookings by start, then id', () => {
    expect(keys.bookingStartSortKey(start, 'b1')).toBe(`${start}#b1`);
    expect(keys.customerBooking('demo', 'email:ana+x@example.com', start, 'b1')).toEqual({ pk: 'T#demo#CUSTOMER#email:ana+x@example.com', sk: `BOOKING#${start}#b1` });
    expect(keys.booking('demo', 'b1')).toEqual({ pk: 'T#demo#BOOKING#b1', sk: 'META' });
    expect(keys.bookingPaymentToken('demo', 'b1')).toEqual({ pk: 'T#demo#BOOKING#b1', sk: 'PAYMENT#TOKEN' });
    // A workflow step's e-mail marker, beside the booking (core/booking/workflow.ts emailOnce).
    expect(keys.bookingEmail('demo', 'b1', 'confirmed', 'staff')).toEqual({ pk: 'T#demo#BOOKING#b1', sk: 'EMAIL#staff#confirmed' });
    expect(keys.bookingSettings('demo')).toEqual({ pk: 'T#demo', sk: 'SETTINGS#BOOKING' });
  });

  it('refuses booking key parts that could forge or mis-sort another key', () => {
    expect(() => keys.booking('demo', 'b1#META')).toThrow(/invalid booking id/);
    expect(() => keys.bookingEmail('demo', 'b1', 'confirmed#x', 'staff')).toThrow(/invalid notice/);
    expect(() => keys.bookingEmail('demo', 'b1', 'confirmed', 'staff#x')).toThrow(/invalid recipient/);
    expect(() => keys.customerPartition('demo', 'phone:+34#x')).toThrow(/invalid customer key/);
    expect(() => keys.customerPartition('demo', 'ana@example.com')).toThrow(/invalid customer key/);
    expect(() => keys.customerPartition('demo', 'email:a b@example.com')).toThrow(/invalid customer key/);
    expect(() => keys.cell('demo', 'niamh#x', start)).toThrow(/invalid staff id/);
    expect(() => keys.cell('demo', 'niamh', '2026-12-03T14:00:00Z')).toThrow(/invalid instant/);
    expect(() => keys.cell('demo', 'niamh', '2026-12-03T14:00:00.000+01:00')).toThrow(/invalid instant/);
    expect(() => keys.cellPartition('demo', 'niamh', '2026-12-3')).toThrow(/invalid day/);
  });
});
