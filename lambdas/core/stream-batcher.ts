/**
 * Batches a streamed reply into WebSocket frames: API Gateway bills per frame,
 * so deltas are sent at most every ~100 ms (and at the end), not per token.
 */
export interface BatchedChunk {
  readonly index: number;
  readonly text: string;
}

export class StreamBatcher {
  private buffer = '';
  private index = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly send: (chunk: BatchedChunk) => Promise<void>,
    private readonly intervalMs = 100,
  ) {}

  /** Adds streamed text; the first delta of a window starts the window's timer. */
  push(delta: string): void {
    if (delta.length === 0) return;
    this.buffer += delta;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flushNow();
    }, this.intervalMs);
  }

  private flushNow(): void {
    if (this.buffer.length === 0) return;
    const chunk = { index: this.index++, text: this.buffer };
    this.buffer = '';
    // Frames go out in order: each send waits for the previous one.
    this.sending = this.sending.then(() => this.send(chunk)).catch(() => undefined);
  }

  /** Sends what is left and waits until every chunk has gone out. */
  async finish(): Promise<number> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.flushNow();
    await this.sending;
    return this.index;
  }
}
