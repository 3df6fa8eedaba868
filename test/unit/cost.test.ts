/**
 * The cost estimator's arithmetic against figures computed by hand (the working is in the comments),
 * the workflow paths against the real ASL files, the merge into bench-results, and the CLI.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { resolveTenantEnvironment, tenantEnvironmentSchema, type TenantEnvironment } from '../../lib/config';
import { environments } from '../../lib/environments';
import {
  aslStates,
  costMetrics,
  estimateCost,
  mergeBenchResults,
  workflowPathCost,
  WORKFLOW_PATHS,
  type CostAssumptionsInput,
  type CostEstimate,
} from '../bench/cost';

const ROOT = resolve(__dirname, '..', '..');

function env(overrides: Partial<TenantEnvironment>): TenantEnvironment {
  return tenantEnvironmentSchema.parse({ name: 'unit', region: 'us-east-1', retentionDays: 14, llmProvider: 'embedded', vectorStore: 'embedded', ...overrides });
}

/** A scenario small enough to compute by hand: 1,000 conversations of 2 messages, no bookings, handoffs, typing, pings or cold starts. */
const simple: CostAssumptionsInput = {
  conversations: 1000,
  messagesPerConversation: 2,
  connectionsPerConversation: 1,
  connectionMinutesPerConversation: 4,
  typingFramesPerMessage: 0,
  bookingShare: 0,
  handoffShare: 0,
  coldStartShare: 0,
  smallInvocationMs: 100,
  answerMs: 1000,
};

const line = (e: CostEstimate, prefix: string) => {
  const found = e.lines.find((l) => l.component.startsWith(prefix));
  if (!found) throw new Error(`no line ${prefix}`);
  return found;
};

describe('estimateCost arithmetic', () => {
  const e = estimateCost(env({}), simple);

  it('counts WebSocket messages both ways and connection minutes', () => {
    // in: 1,000 hello + 2,000 sendMessage = 3,000; out: 1,000 session + 2,000 × 5 (ack, echo, typing on, answer, typing off) = 11,000
    expect(line(e, 'API Gateway WebSocket messages').quantity).toBe(14_000);
    expect(line(e, 'API Gateway WebSocket messages').usd).toBeCloseTo(0.014, 10); // 14,000 × $1 / 1M
    expect(line(e, 'API Gateway WebSocket connection minutes').usd).toBeCloseTo(0.001, 10); // 4,000 min × $0.25 / 1M
    expect(line(e, 'API Gateway REST requests').quantity).toBe(1000); // the widget config per connection
  });

  it('prices Lambda by memory from the declaration (arm64)', () => {
    // 512 MB × 0.1 s = 0.05 GB-s for authorizer, connect, disconnect, config (4 × 1,000) and the stats projector
    // (1,000 conversation.started + 2 × 2,000 message events = 5,000): 9,000 × 0.05 = 450 GB-s.
    // wsMessage (1,024 MB): 1,000 hello × 0.1 s = 100 GB-s; 2,000 answers × 1 s = 2,000 GB-s. Total 2,550 GB-s.
    expect(line(e, 'Lambda compute').quantity).toBeCloseTo(2550, 9);
    expect(line(e, 'Lambda compute').usd).toBeCloseTo(2550 * 0.0000133334, 12);
    expect(line(e, 'Lambda requests').quantity).toBe(12_000); // 4,000 + 1,000 + 2,000 + 5,000
    expect(line(e, 'Lambda requests').usd).toBeCloseTo(0.0024, 10);
  });

  it('bills the INIT phase of cold starts', () => {
    const cold = estimateCost(env({}), { ...simple, coldStartShare: 0.5, initMs: 200 });
    // every invocation gains 0.5 × 0.2 s: 512 MB ones 9,000 × 0.5 GB × 0.1 s = 450, wsMessage 3,000 × 1 GB × 0.1 s = 300
    expect(line(cold, 'Lambda compute').quantity).toBeCloseTo(2550 + 750, 9);
  });

  it('counts DynamoDB request units', () => {
    // reads: 2,000 × 12 + 1,000 × 4 (authorizer, hello) = 28,000 RRU × $0.125 / 1M
    expect(line(e, 'DynamoDB reads').quantity).toBe(28_000);
    expect(line(e, 'DynamoDB reads').usd).toBeCloseTo(0.0035, 10);
    // writes: (2,000 × 8 + 1,000 × 4) × 2 WRU + 5,000 counter updates = 45,000 WRU × $0.625 / 1M
    expect(line(e, 'DynamoDB writes').quantity).toBe(45_000);
    expect(line(e, 'DynamoDB writes').usd).toBeCloseTo(0.028125, 10);
  });

  it('counts events, and no workflow transitions without bookings or handoffs', () => {
    expect(line(e, 'EventBridge events').usd).toBeCloseTo(0.005, 10); // 5,000 × $1 / 1M
    expect(line(e, 'Step Functions transitions').quantity).toBe(0);
  });

  it('sums the infrastructure lines, and normalises per 1,000', () => {
    const sum = e.lines.reduce((s, l) => s + l.usd, 0);
    expect(e.infraUsd).toBeCloseTo(sum, 12);
    expect(e.infraPer1000Usd).toBeCloseTo(sum, 12);
    const half = estimateCost(env({}), { ...simple, conversations: 500 });
    expect(half.infraUsd).toBeCloseTo(sum / 2, 12);
    expect(half.infraPer1000Usd).toBeCloseTo(sum, 12);
  });

  it('prices LLM tokens per provider', () => {
    const byModel = new Map(e.llm.map((l) => [l.model, l]));
    // 2,000 answers × (1,500 × $0.06 + 150 × $0.24) / 1M = $0.252
    expect(byModel.get('amazon.nova-lite-v1:0')?.usd).toBeCloseTo(0.252, 10);
    // 2,000 × (1,500 × $0.15 + 150 × $0.60) / 1M = $0.63
    expect(byModel.get('gpt-4o-mini')?.usd).toBeCloseTo(0.63, 10);
    expect(byModel.get('embedded extractive answerer')?.usd).toBe(0);
    expect(e.llm.filter((l) => l.configured).map((l) => l.model)).toEqual(['embedded extractive answerer']);
  });
});

describe('the OpenSearch Serverless floor', () => {
  it('spreads 2 OCUs × 730 h × $0.24 over the monthly conversations, with standby replicas', () => {
    const e = estimateCost(env({ vectorStore: 'opensearch-serverless', opensearchStandbyReplicas: true }), { ...simple, conversationsPerMonth: 10_000 });
    expect(e.opensearchFloorMonthlyUsd).toBeCloseTo(350.4, 10);
    expect(e.opensearchFloorPer1000Usd).toBeCloseTo(35.04, 10); // 350.40 × 1,000 / 10,000
    expect(e.floorDominates).toBe(true);
    expect(e.meetsGoal).toBe(false);
    const variable = e.infraPer1000Usd - 35.04;
    // floor × 1,000 / (goal − variable per 1,000): the volume from which the total is ≤ $1 per 1,000
    expect(e.breakEvenConversationsPerMonth).toBe(Math.ceil(350_400 / (1 - variable)));
    const atBreakEven = estimateCost(env({ vectorStore: 'opensearch-serverless' }), { ...simple, conversationsPerMonth: e.breakEvenConversationsPerMonth ?? 0 });
    expect(atBreakEven.infraPer1000Usd).toBeLessThanOrEqual(1);
  });

  it('halves without standby replicas, and is $0 with the embedded vector store', () => {
    expect(estimateCost(env({ vectorStore: 'opensearch-serverless', opensearchStandbyReplicas: false }), simple).opensearchFloorMonthlyUsd).toBeCloseTo(175.2, 10);
    const embedded = estimateCost(env({}), simple);
    expect(embedded.opensearchFloorPer1000Usd).toBe(0);
    expect(embedded.breakEvenConversationsPerMonth).toBeUndefined();
  });

  it('adds Titan query embeddings to Bedrock models when OpenSearch retrieves', () => {
    const e = estimateCost(env({ vectorStore: 'opensearch-serverless', llmProvider: 'bedrock' }), simple);
    // $0.252 + 2,000 × 20 tokens × $0.02 / 1M = $0.2528
    expect(e.llm.find((l) => l.model === 'amazon.nova-lite-v1:0')?.usd).toBeCloseTo(0.2528, 10);
    expect(e.llm.find((l) => l.model === 'amazon.nova-lite-v1:0')?.configured).toBe(true);
  });
});

describe('workflow paths', () => {
  it('name only states of the ASL files, counting transitions and Task steps', () => {
    for (const [name, path] of Object.entries(WORKFLOW_PATHS)) {
      const states = aslStates(path.machine);
      for (const s of path.states) expect([name, s, states.has(s)]).toEqual([name, s, true]);
    }
    expect(workflowPathCost('bookingWithDeposit')).toEqual({ transitions: 15, taskSteps: 7 });
    expect(workflowPathCost('bookingWithoutDeposit')).toEqual({ transitions: 9, taskSteps: 5 });
    expect(workflowPathCost('handoffAccepted')).toEqual({ transitions: 12, taskSteps: 6 });
  });

  it('price bookings and handoffs by their paths', () => {
    const e = estimateCost(env({}), { ...simple, bookingShare: 0.1, depositShare: 0.5, handoffShare: 0.05 });
    // 50 × 15 + 50 × 9 + 50 × 12 = 1,800 transitions × $0.025 / 1,000
    expect(line(e, 'Step Functions transitions').quantity).toBe(1800);
    expect(line(e, 'Step Functions transitions').usd).toBeCloseTo(0.045, 10);
  });
});

describe('the declared environments against the goal (≤ $1 of infrastructure per 1,000 conversations)', () => {
  it('demo (embedded vectors) meets it; production-example (OpenSearch) does not at 1,000 conversations a month', () => {
    const demo = estimateCost(resolveTenantEnvironment('demo', environments));
    const prod = estimateCost(resolveTenantEnvironment('production-example', environments));
    expect(demo.meetsGoal).toBe(true);
    expect(prod.meetsGoal).toBe(false);
    expect(prod.floorDominates).toBe(true);
    expect(prod.infraPer1000Usd - prod.opensearchFloorPer1000Usd).toBeLessThan(1);
  });
});

describe('mergeBenchResults', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cost-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the other keys and replaces its own', () => {
    const file = join(dir, 'latest.json');
    writeFileSync(file, JSON.stringify({ ws_rtt_p50_ms: 12, cost_infra_per_1000_usd: 9 }));
    mergeBenchResults(costMetrics(estimateCost(env({}), simple)), file);
    const merged: unknown = JSON.parse(readFileSync(file, 'utf8'));
    expect(merged).toEqual(expect.objectContaining({ ws_rtt_p50_ms: 12, cost_meets_goal_unit: 1 }));
    expect(merged).not.toEqual(expect.objectContaining({ cost_infra_per_1000_usd: 9 }));
  });

  it('creates a missing file and refuses to overwrite one that is not a JSON object', () => {
    const fresh = join(dir, 'new.json');
    mergeBenchResults({ a: 1 }, fresh);
    expect(JSON.parse(readFileSync(fresh, 'utf8'))).toEqual({ a: 1 });
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '[1, 2]');
    expect(() => mergeBenchResults({ a: 1 }, bad)).toThrow(/not a JSON object/);
    expect(readFileSync(bad, 'utf8')).toBe('[1, 2]');
  });
});

describe('npm run cost', () => {
  const tsx = join(ROOT, 'node_modules', '.bin', 'tsx');

  it('prints the estimate with its assumptions for -c env=<name>, honouring overrides', () => {
    const out = execFileSync(tsx, ['test/bench/cost-cli.ts', '-c', 'env=demo', '--conversations', '1000', '--messages-per-conversation', '3', '--no-write'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(out).toContain('tenant environment "demo"');
    expect(out).toMatch(/messagesPerConversation\s+3/);
    expect(out).toMatch(/cost_infra_per_1000_usd = \$\d+\.\d+ .*goal ≤ \$1\.00: MET/);
  });

  it('refuses unknown flags, out-of-range values and unknown environments with exit code 2', () => {
    const run = (...args: string[]) => spawnSync(tsx, ['test/bench/cost-cli.ts', ...args, '--no-write'], { cwd: ROOT, encoding: 'utf8' });
    const unknown = run('--bogus', '1');
    expect([unknown.status, unknown.stderr]).toEqual([2, expect.stringContaining('unknown flag --bogus')]);
    const range = run('--handoff-share', '2');
    expect([range.status, range.stderr]).toEqual([2, expect.stringContaining('--handoff-share')]);
    const noEnv = run('-c', 'env=nope');
    expect([noEnv.status, noEnv.stderr]).toEqual([2, expect.stringContaining('Unknown tenant environment "nope"')]);
  });
});
