/** The audit page's date filters (frontend/src/pages/audit/audit-api.ts): a day as the browser shows it, not a UTC day. */
import { auditQuery, localDayBoundary, noFilters } from '../../frontend/src/pages/audit/audit-api';

describe('audit date filters', () => {
  it("sends the browser's day as instants: in Madrid, 2 March runs from 23:00 UTC on 1 March", () => {
    expect(localDayBoundary('2026-03-02', 'start', 'Europe/Madrid')).toBe('2026-03-01T23:00:00.000Z');
    expect(localDayBoundary('2026-03-02', 'end', 'Europe/Madrid')).toBe('2026-03-02T22:59:59.999Z');
    // The day the clocks go forward is 23 hours long; in summer Madrid is two hours ahead.
    expect(localDayBoundary('2026-03-29', 'start', 'Europe/Madrid')).toBe('2026-03-28T23:00:00.000Z');
    expect(localDayBoundary('2026-03-29', 'end', 'Europe/Madrid')).toBe('2026-03-29T21:59:59.999Z');
    expect(localDayBoundary('2026-07-01', 'start', 'America/New_York')).toBe('2026-07-01T04:00:00.000Z');
    expect(localDayBoundary('2026-07-01', 'start', 'UTC')).toBe('2026-07-01T00:00:00.000Z');
    const query = new URLSearchParams(auditQuery({ ...noFilters, action: 'put', from: '2026-03-02', to: '2026-03-02' }, undefined, 25, 'Europe/Madrid'));
    expect(Object.fromEntries(query)).toEqual({ action: 'put', from: '2026-03-01T23:00:00.000Z', to: '2026-03-02T22:59:59.999Z', limit: '25' });
  });

  it('leaves out empty filters', () => {
    expect(auditQuery(noFilters)).toBe('limit=25');
  });
});
