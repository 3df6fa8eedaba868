/**
 * The local twin of EventBridge's scheduled rules: the declared schedules (lib/declaration.ts `schedules`) invoke
 * their function with the event AWS sends a schedule's target (`source: 'aws.events'`, `detail-type: 'Scheduled
 * Event'`, `detail: {}`, the rule's ARN in `resources`). `rate(…)` fires every period from the start, `cron(M H * * ? *)`
 * every day at that UTC time; timers are unref'd (they never keep the process alive) and stopped by `stop()`.
 * `run(name)` fires one now and returns when its target has finished (tests use it through `cloud.runSchedule`).
 */
import { randomUUID } from 'node:crypto';
import { parseScheduleExpression, type FunctionName, type ParsedSchedule, type ScheduleDecl } from '../lib/declaration';
import type { LocalEventBridgeEvent } from './event-bus';

/** Node's timers hold at most 2^31-1 ms (~24.8 days); longer waits are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LocalSchedulerOptions {
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '000000000000' */
  readonly account?: string;
  /** Where a failed scheduled invocation is reported. @default console.error */
  readonly onError?: (schedule: string, error: unknown) => void;
  /** @default Date.now */
  readonly now?: () => number;
}

/** The next instant (epoch ms) after `from` at which a parsed schedule fires; `startedAt` anchors rates. */
export function nextFiring(schedule: ParsedSchedule, startedAt: number, from: number): number {
  if (schedule.kind === 'rate') return startedAt + (Math.floor((from - startedAt) / schedule.everyMs) + 1) * schedule.everyMs;
  const day = new Date(from);
  const today = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), schedule.hour, schedule.minute);
  return today > from ? today : today + 86_400_000;
}

export class LocalScheduler {
  private readonly byName: ReadonlyMap<string, { readonly decl: ScheduleDecl; readonly parsed: ParsedSchedule }>;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly region: string;
  private readonly account: string;
  private readonly onError: (schedule: string, error: unknown) => void;
  private readonly now: () => number;

  constructor(
    schedules: readonly ScheduleDecl[],
    private readonly invoke: (fn: FunctionName, event: LocalEventBridgeEvent) => Promise<unknown>,
    options: LocalSchedulerOptions = {},
  ) {
    const byName = new Map<string, { decl: ScheduleDecl; parsed: ParsedSchedule }>();
    for (const decl of schedules) {
      if (byName.has(decl.name)) throw new Error(`Schedule "${decl.name}" is declared twice`);
      byName.set(decl.name, { decl, parsed: parseScheduleExpression(decl.expression) });
    }
    this.byName = byName;
    this.region = options.region ?? 'us-east-1';
    this.account = options.account ?? '000000000000';
    this.onError = options.onError ?? ((name, error) => console.error(`[scheduler] ${name} failed`, error instanceof Error ? error.message : String(error)));
    this.now = options.now ?? Date.now;
  }

  /** The declared schedule names. */
  get names(): readonly string[] {
    return [...this.byName.keys()];
  }

  /** Arms every schedule; the first firing is one period (or the next daily time) from now. */
  start(): void {
    const startedAt = this.now();
    for (const [name, { parsed }] of this.byName) this.arm(name, nextFiring(parsed, startedAt, startedAt), parsed, startedAt);
  }

  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /** The event EventBridge would send for this schedule now. */
  scheduledEvent(name: string): LocalEventBridgeEvent {
    if (!this.byName.has(name)) throw new Error(`Schedule "${name}" is not declared`);
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: this.account,
      time: new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.region,
      resources: [`arn:aws:events:${this.region}:${this.account}:rule/${name}`],
      detail: {},
    };
  }

  /** Fires the schedule now; resolves with what its target returned once it has finished (rejects when it threw). */
  async run(name: string): Promise<unknown> {
    const entry = this.byName.get(name);
    if (!entry) throw new Error(`Schedule "${name}" is not declared (declared: ${this.names.join(', ') || 'none'})`);
    return this.invoke(entry.decl.target.fn, this.scheduledEvent(name));
  }

  private arm(name: string, due: number, parsed: ParsedSchedule, startedAt: number): void {
    const timer = setTimeout(() => {
      const now = this.now();
      if (now < due) {
        this.arm(name, due, parsed, startedAt);
        return;
      }
      this.run(name).catch((error: unknown) => this.onError(name, error));
      this.arm(name, nextFiring(parsed, startedAt, now), parsed, startedAt);
    }, Math.min(Math.max(0, due - this.now()), MAX_TIMER_MS));
    timer.unref();
    this.timers.set(name, timer);
  }
}
