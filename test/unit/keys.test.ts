import { keys, pad } from '../../lambdas/adapters/dynamo/keys';

describe('single-table keys', () => {
  it('begins every partition key with the tenant', () => {
    const all = [
      keys.tenantProfile('demo').pk,
      keys.kbItem('demo', 3, 'FAQ', 'parking').pk,
      keys.conversation('demo', 'c1234567').pk,
      keys.message('demo', 'c1234567', 7).pk,
      keys.clientMessage('demo', 'c1234567', 'client-1').pk,
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
  });
});
