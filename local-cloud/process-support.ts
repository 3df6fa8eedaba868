/**
 * Shared plumbing for the local cloud's child processes (DynamoDB Local, cognito-local):
 * port checks, a bounded output tail for error messages, readiness polling and stopping.
 */
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';

/** Thrown before spawning when the requested port is already taken. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(
    readonly service: string,
    readonly port: number,
  ) {
    super(
      `${service}: port ${port} is already in use. Stop whatever is listening there ` +
        `(e.g. \`lsof -i :${port}\` or \`ss -ltnp 'sport = :${port}'\`) or choose another port.`,
    );
  }
}

/** The child process exited before it became ready. */
export class ProcessExitedEarlyError extends Error {
  override readonly name = 'ProcessExitedEarlyError';
  constructor(
    readonly service: string,
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly output: string,
  ) {
    super(
      `${service} exited before it was ready (${signal ? `signal ${signal}` : `exit code ${String(exitCode)}`}).` +
        (output.trim() ? `\nIts output:\n${output.trim()}` : '\nIt printed nothing.'),
    );
  }
}

/** The child process kept running but never answered within the startup budget. */
export class StartupTimeoutError extends Error {
  override readonly name = 'StartupTimeoutError';
  constructor(
    readonly service: string,
    readonly timeoutMs: number,
    readonly output: string,
    readonly lastProbeError: string | undefined,
  ) {
    super(
      `${service} did not become ready within ${timeoutMs} ms` +
        (lastProbeError ? ` (last probe: ${lastProbeError})` : '') +
        (output.trim() ? `.\nIts output:\n${output.trim()}` : '.'),
    );
  }
}

/**
 * Resolves when `port` can be bound on every interface, rejects with {@link PortInUseError}
 * when it cannot. Binding the wildcard address catches listeners on 127.0.0.1, 0.0.0.0 and ::.
 */
export async function assertPortFree(service: string, port: number): Promise<void> {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`${service}: port must be an integer between 1 and 65535, got ${String(port)}`);
  }
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES') reject(new PortInUseError(service, port));
      else reject(err);
    });
    probe.listen({ port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** Asks the OS for a currently free TCP port on loopback. Another process may take it before you do. */
export async function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen({ port: 0, host, exclusive: true }, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error('could not determine a free port'))));
    });
  });
}

/** Keeps the last `maxChars` characters of a child's stdout and stderr, for error messages. */
export class OutputTail {
  private text = '';
  constructor(private readonly maxChars = 16_000) {}

  attach(child: ChildProcess): void {
    const append = (chunk: Buffer | string): void => {
      this.text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      if (this.text.length > this.maxChars) this.text = this.text.slice(-this.maxChars);
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
  }

  toString(): string {
    // Strip ANSI colour codes (cognito-local logs through pino-pretty).
    // eslint-disable-next-line no-control-regex
    return this.text.replace(/\u001b\[[0-9;]*m/g, '');
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `probe` until it resolves, the child exits, or `timeoutMs` passes.
 * `probe` should throw (or reject) while the service is not ready yet.
 */
export async function waitUntilReady(opts: {
  service: string;
  child: ChildProcess;
  output: OutputTail;
  timeoutMs: number;
  intervalMs?: number;
  probe: () => Promise<void>;
}): Promise<void> {
  const { service, child, output, timeoutMs, probe } = opts;
  const intervalMs = opts.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
    exited = { code, signal };
  };
  child.once('exit', onExit);
  let lastError: string | undefined;
  try {
    for (;;) {
      if (exited || child.exitCode !== null || child.signalCode !== null) {
        // Give stdio a moment to flush the final lines (often the actual reason).
        await sleep(50);
        throw new ProcessExitedEarlyError(
          service,
          exited?.code ?? child.exitCode,
          exited?.signal ?? child.signalCode,
          output.toString(),
        );
      }
      try {
        await probe();
        return;
      } catch (err) {
        lastError = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      }
      if (Date.now() >= deadline) {
        throw new StartupTimeoutError(service, timeoutMs, output.toString(), lastError);
      }
      await sleep(intervalMs);
    }
  } finally {
    child.off('exit', onExit);
  }
}

/**
 * Sends SIGTERM and waits for exit; escalates to SIGKILL after `graceMs`.
 * Resolves immediately when the process has already exited.
 */
export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killTimer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, graceMs);
  try {
    await exited;
  } finally {
    clearTimeout(killTimer);
  }
}

/**
 * Kills `child` if this Node process exits without calling stop() (e.g. a crash or
 * process.exit), so no orphaned java/node servers keep the ports. Returns the unregister function.
 */
export function killOnParentExit(child: ChildProcess): () => void {
  const onExit = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', onExit);
  return () => process.off('exit', onExit);
}
