import { due, enqueue, fail, markSent, parseOutboxItem, remove, requeueUnacknowledged, retry } from '../../widget/src/lib/outbox';

const T = '2025-01-01T00:00:00.000Z';

describe('offline queue', () => {
  it('queues in order, ignores a duplicate clientId, and sends one at a time (the next once the first is acknowledged)', () => {
    let o = enqueue([], 'client_a001', 'one', T);
    o = enqueue(o, 'client_b001', 'two', T);
    o = enqueue(o, 'client_a001', 'one again', T);
    expect(due(o).map((x) => x.text)).toEqual(['one']);
    o = markSent(o, ['client_a001']);
    expect(due(o)).toEqual([]);
    o = remove(o, 'client_a001');
    expect(due(o).map((x) => x.text)).toEqual(['two']);
  });

  it('sent messages are not due again until the connection drops, then keep their clientId', () => {
    let o = enqueue(enqueue([], 'client_a001', 'one', T), 'client_b001', 'two', T);
    o = markSent(o, ['client_a001', 'client_b001']);
    expect(due(o)).toEqual([]);
    o = requeueUnacknowledged(o);
    expect(due(o).map((x) => x.clientId)).toEqual(['client_a001']);
    expect(o.map((x) => x.clientId)).toEqual(['client_a001', 'client_b001']);
  });

  it('acknowledged messages leave the queue', () => {
    const o = markSent(enqueue([], 'client_a001', 'one', T), ['client_a001']);
    expect(remove(o, 'client_a001')).toEqual([]);
    expect(remove(o, 'client_zzzz')).toBe(o);
  });

  it('failed messages stay out of the queue until retried', () => {
    let o = fail(markSent(enqueue([], 'client_a001', 'one', T), ['client_a001']), 'client_a001', 'rate_limited');
    expect(o[0]).toMatchObject({ status: 'failed', error: 'rate_limited' });
    expect(due(requeueUnacknowledged(o))).toEqual([]);
    o = retry(o, 'client_a001');
    expect(due(o).map((x) => x.clientId)).toEqual(['client_a001']);
    expect(o[0].error).toBeUndefined();
  });

  it('restores saved items, treating "sent" as unacknowledged', () => {
    expect(parseOutboxItem({ clientId: 'client_a001', text: 'hi', createdAt: T, status: 'sent' })).toEqual({ clientId: 'client_a001', text: 'hi', createdAt: T, status: 'queued' });
    expect(parseOutboxItem({ clientId: 'client_a001', text: 'hi', status: 'failed' })?.status).toBe('failed');
    expect(parseOutboxItem({ clientId: 'bad id!', text: 'hi' })).toBeUndefined();
    expect(parseOutboxItem({ clientId: 'client_a001', text: '' })).toBeUndefined();
    expect(parseOutboxItem('x')).toBeUndefined();
  });
});
