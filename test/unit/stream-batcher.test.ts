import { StreamBatcher, type BatchedChunk } from '../../lambdas/core/stream-batcher';

describe('StreamBatcher', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('sends one frame per 100 ms window, in order, and the rest at the end', async () => {
    const sent: BatchedChunk[] = [];
    const batcher = new StreamBatcher(async (c) => {
      sent.push(c);
    }, 100);
    for (const token of ['Our ', 'car ', 'park ']) batcher.push(token);
    await jest.advanceTimersByTimeAsync(100);
    batcher.push('is behind ');
    batcher.push('the building.');
    await jest.advanceTimersByTimeAsync(50);
    expect(sent).toEqual([{ index: 0, text: 'Our car park ' }]);
    const count = await batcher.finish();
    expect(count).toBe(2);
    expect(sent).toEqual([
      { index: 0, text: 'Our car park ' },
      { index: 1, text: 'is behind the building.' },
    ]);
  });

  it('sends nothing for an empty stream', async () => {
    const send = jest.fn(async () => undefined);
    const batcher = new StreamBatcher(send);
    batcher.push('');
    expect(await batcher.finish()).toBe(0);
    expect(send).not.toHaveBeenCalled();
  });

  it('keeps order when a send is slower than the window', async () => {
    const sent: number[] = [];
    const batcher = new StreamBatcher(async (c) => {
      await new Promise((r) => setTimeout(r, 250));
      sent.push(c.index);
    }, 100);
    batcher.push('a');
    await jest.advanceTimersByTimeAsync(100);
    batcher.push('b');
    await jest.advanceTimersByTimeAsync(100);
    const done = batcher.finish();
    await jest.advanceTimersByTimeAsync(1000);
    await done;
    expect(sent).toEqual([0, 1]);
  });
});
