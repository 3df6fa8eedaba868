/**
 * The daily retention sweep (lib/declaration.ts `schedules`, handlers/retention-sweeper.ts, local-cloud/scheduler.ts):
 * tenants whose customers stopped writing are swept too. Through one local cloud on DynamoDB Local: two tenants
 * with a period and one switched back to null, each with a conversation older than the period and a recent one;
 * no conversation starts and no period changes while the schedule runs. `cloud.runSchedule('DailyRetentionSweep')`
 * fans out one `privacy.retention.due` per listed tenant on the local bus; their old conversations are gone with
 * everything naming them, the rest stays, and a second run changes nothing. Plus the declaration's schedules and
 * the expression subset, offline.
 */
import { randomBytes } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../lambdas/adapters/aws/clients';
import { privacyStore } from '../../lambdas/adapters/container';
import { DynamoStore } from '../../lambdas/adapters/dynamo/store';
import { keys } from '../../lambdas/adapters/dynamo/keys';
import { eventRules, functions, parseScheduleExpression, schedules } from '../../lib/declaration';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { LocalScheduler, nextFiring } from '../../local-cloud/scheduler';

const DAY_MS = 86_400_000;
const RETAIN_A = 'sched-retain-a';
const RETAIN_B = 'sched-retain-b';
const KEEPS = 'sched-keeps';

describe('declared schedules (offline)', () => {
  it('declares the daily retention sweep on the sweeper, which may publish the per-tenant events it routes back to itself', () => {
    expect(schedules.find((s) => s.name === 'DailyRetentionSweep')).toMatchObject({ expression: 'rate(1 day)', target: { fn: 'retentionSweeper' } });
    const names = [...schedules.map((s) => s.name), ...eventRules.map((r) => r.name)];
    expect(new Set(names).size).toBe(names.length);
    for (const s of schedules) {
      expect(Object.keys(functions)).toContain(s.target.fn);
      expect(() => parseScheduleExpression(s.expression)).not.toThrow();
    }
    expect(functions.retentionSweeper.grants).toContain('bus:put');
    const sweep = eventRules.find((r) => r.name === 'RetentionSweep');
    expect(sweep?.target).toEqual({ fn: 'retentionSweeper' });
    expect(sweep?.pattern['detail-type']).toContain('privacy.retention.due');
  });

  it('accepts the supported subset of EventBridge expressions and names what it refuses', () => {
    expect(parseScheduleExpression('rate(1 day)')).toEqual({ kind: 'rate', everyMs: DAY_MS });
    expect(parseScheduleExpression('rate(15 minutes)')).toEqual({ kind: 'rate', everyMs: 15 * 60_000 });
    expect(parseScheduleExpression('rate(2 hours)')).toEqual({ kind: 'rate', everyMs: 2 * 3_600_000 });
    expect(parseScheduleExpression('cron(30 3 * * ? *)')).toEqual({ kind: 'daily', hour: 3, minute: 30 });
    for (const bad of ['rate(1 days)', 'rate(2 day)', 'rate(0 days)', 'rate(1 week)', 'rate(1.5 hours)', 'cron(0 24 * * ? *)', 'cron(0 3 ? * MON *)', 'at(2026-01-01T00:00:00)', '']) {
      expect(() => parseScheduleExpression(bad)).toThrow(JSON.stringify(bad));
    }
  });

  it('computes the next firing of a rate from its start and of a daily time in UTC', () => {
    const start = Date.parse('2026-11-26T10:00:00.000Z');
    const daily = { kind: 'rate', everyMs: DAY_MS } as const;
    expect(nextFiring(daily, start, start)).toBe(start + DAY_MS);
    expect(nextFiring(daily, start, start + DAY_MS)).toBe(start + 2 * DAY_MS);
    const at3 = { kind: 'daily', hour: 3, minute: 30 } as const;
    expect(new Date(nextFiring(at3, start, start)).toISOString()).toBe('2026-11-27T03:30:00.000Z');
    expect(new Date(nextFiring(at3, start, Date.parse('2026-11-26T01:00:00.000Z'))).toISOString()).toBe('2026-11-26T03:30:00.000Z');
  });

  it('sends the scheduled event AWS sends, and refuses an undeclared schedule', async () => {
    const seen: unknown[] = [];
    const scheduler = new LocalScheduler(schedules, async (fn, event) => {
      seen.push({ fn, event });
      return 'done';
    }, { region: 'eu-west-1', account: '123456789012' });
    expect(await scheduler.run('DailyRetentionSweep')).toBe('done');
    expect(seen).toEqual([
      {
        fn: 'retentionSweeper',
        event: expect.objectContaining({
          version: '0',
          source: 'aws.events',
          'detail-type': 'Scheduled Event',
          detail: {},
          account: '123456789012',
          region: 'eu-west-1',
          resources: ['arn:aws:events:eu-west-1:123456789012:rule/DailyRetentionSweep'],
          time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/),
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        }),
      },
    ]);
    await expect(scheduler.run('Nope')).rejects.toThrow('Schedule "Nope" is not declared');
  });
});

describe('the daily retention sweep through the local cloud', () => {
  let cloud: LocalCloud;

  beforeAll(async () => {
    cloud = await startLocalCloud({ quiet: true });
  }, 240_000);

  afterAll(async () => {
    await cloud?.stop();
  }, 60_000);

  /** The keys of every item of the table naming each id, sorted (one scan: tests may scan). */
  async function itemsNaming(ids: Readonly<Record<string, string>>): Promise<Record<string, string[]>> {
    const db = documentClient(cloud.urls.dynamodb);
    const entries = Object.entries<string>(ids);
    const out = new Map<string, string[]>(entries.map(([name]) => [name, []]));
    let start: Record<string, unknown> | undefined;
    do {
      const page = await db.send(new ScanCommand({ TableName: cloud.tableName, ExclusiveStartKey: start }));
      for (const item of page.Items ?? []) {
        const text = JSON.stringify(item);
        for (const [name, id] of entries) if (text.includes(id)) out.get(name)?.push(`${String(item['pk'])} ${String(item['sk'])}`);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return Object.fromEntries([...out].map(([name, items]) => [name, items.sort()]));
  }

  async function write(tenantId: string, daysAgo: number): Promise<string> {
    const s = new DynamoStore(documentClient(cloud.urls.dynamodb), cloud.tableName, { now: () => new Date(Date.now() - daysAgo * DAY_MS) }, privacyStore());
    const c = await s.startConversation(tenantId, randomBytes(8).toString('hex'), 'en');
    await s.appendMessage(tenantId, c.conversationId, { role: 'customer', text: `a question from ${daysAgo} days ago` });
    return c.conversationId;
  }

  async function listed(): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await privacyStore().listTenantsWithRetention(1, cursor);
      ids.push(...page.tenantIds);
      cursor = page.cursor;
    } while (cursor);
    return ids.sort();
  }

  it('sweeps every tenant with a period although none of them gets a new conversation, and is harmless twice', async () => {
    // The periods are stored directly: no privacy.retention.changed, so only the schedule can sweep.
    const settings = privacyStore();
    await settings.putPrivacySettings(RETAIN_A, { retentionDays: 30 });
    await settings.putPrivacySettings(RETAIN_B, { retentionDays: 60 });
    await settings.putPrivacySettings(KEEPS, { retentionDays: 30 });
    expect(await listed()).toEqual([KEEPS, RETAIN_A, RETAIN_B]);
    await settings.putPrivacySettings(KEEPS, { retentionDays: null });
    // Set back to null: no longer listed (paged one tenant at a time, so the cursor is exercised too).
    expect(await listed()).toEqual([RETAIN_A, RETAIN_B]);
    expect(await settings.getPrivacySettings(KEEPS)).toEqual({ retentionDays: null });

    const oldA = await write(RETAIN_A, 40);
    const recentA = await write(RETAIN_A, 2);
    const oldB = await write(RETAIN_B, 90);
    const keptB = await write(RETAIN_B, 45); // older than A's period, within B's
    const oldKeeps = await write(KEEPS, 400);
    const ids = { oldA, recentA, oldB, keptB, oldKeeps };
    const before = await itemsNaming(ids);
    // The visitor record names the conversation outside its partition: the sweep must take it too.
    expect((before['oldA'] ?? []).some((key) => !key.startsWith(`${keys.conversationPartition(RETAIN_A, oldA)} `))).toBe(true);
    for (const items of Object.values(before)) expect(items.length).toBeGreaterThanOrEqual(3); // head, message, visitor

    expect(await cloud.runSchedule('DailyRetentionSweep')).toEqual({ scheduled: 2 });
    await cloud.settle();

    const after = await itemsNaming(ids);
    expect(after).toEqual({ ...before, oldA: [], oldB: [] });
    expect(cloud.bus.deadLetters).toEqual([]);

    // Twice: nothing more to delete, nothing else touched.
    expect(await cloud.runSchedule('DailyRetentionSweep')).toEqual({ scheduled: 2 });
    await cloud.settle();
    expect(await itemsNaming(ids)).toEqual(after);
    expect(cloud.bus.deadLetters).toEqual([]);
  }, 60_000);

  it('logs and skips a malformed event, and sweeps one tenant on privacy.retention.due', async () => {
    expect(await cloud.runtime.invoke('retentionSweeper', { source: 'aws.events', 'detail-type': 'Scheduled Event' })).toEqual({ skipped: 'malformed' });
    expect(await cloud.runtime.invoke('retentionSweeper', { 'detail-type': 'privacy.retention.due', detail: { tenantId: 'Not A Tenant' } })).toEqual({ skipped: 'malformed' });
    const old = await write(RETAIN_A, 35);
    const result = await cloud.runtime.invoke('retentionSweeper', { source: 'concierge', 'detail-type': 'privacy.retention.due', detail: { tenantId: RETAIN_A } });
    expect(result).toMatchObject({ retentionDays: 30, deleted: 1, stamped: 0 });
    expect(await itemsNaming({ old })).toEqual({ old: [] });
  }, 30_000);
});
