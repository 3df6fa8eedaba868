/**
 * The cost estimator: what 1,000 conversations cost a tenant environment in AWS, from published unit
 * prices, the environment's configuration (lib/environments.ts), the functions' memory sizes
 * (lib/declaration.ts) and the state machines' paths (state-machines/*.asl.json), under assumptions
 * that are printed with every result and can be overridden (`npm run cost -- --help`).
 *
 * Pure arithmetic: no AWS call, no clock. `test/unit/cost.test.ts` checks it against hand-computed figures.
 * Explained in docs/cost.md.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { functions, stateMachines, type FunctionDecl, type FunctionName, type StateMachineName } from '../../lib/declaration';
import type { TenantEnvironment } from '../../lib/config';

const ROOT = resolve(__dirname, '..', '..');

/** The goal of issue #9: infrastructure, before LLM tokens, at most this much per 1,000 conversations. */
export const GOAL_INFRA_PER_1000_USD = 1;

/** One published unit price: `usd` for every `per` units of `unit`. */
export interface UnitPrice {
  readonly usd: number;
  readonly per: number;
  readonly unit: string;
  /** The page the price is published on. */
  readonly source: string;
}

/**
 * Published on-demand list prices, first pricing tier, **us-east-1 (N. Virginia)**, as listed on these pages in
 * 2025 (DynamoDB after its November 2024 on-demand price cut; Lambda's INIT phase billed since August 2025).
 * No free tier, no Savings Plans, no volume tiers. Other regions cost more (eu-west-1 is typically 5–15% higher).
 * Re-check the pages before quoting a figure to a customer.
 */
export const PRICES = {
  region: 'us-east-1',
  asOf: '2025 list prices',
  wsMessage: { usd: 1.0, per: 1e6, unit: 'WebSocket messages (metered in 32 KB units)', source: 'https://aws.amazon.com/api-gateway/pricing/' },
  wsConnectionMinute: { usd: 0.25, per: 1e6, unit: 'WebSocket connection minutes', source: 'https://aws.amazon.com/api-gateway/pricing/' },
  restRequest: { usd: 3.5, per: 1e6, unit: 'REST API requests', source: 'https://aws.amazon.com/api-gateway/pricing/' },
  lambdaArmGbSecond: { usd: 0.0000133334, per: 1, unit: 'Lambda GB-seconds (arm64)', source: 'https://aws.amazon.com/lambda/pricing/' },
  lambdaRequest: { usd: 0.2, per: 1e6, unit: 'Lambda requests', source: 'https://aws.amazon.com/lambda/pricing/' },
  dynamoRead: { usd: 0.125, per: 1e6, unit: 'DynamoDB on-demand read request units', source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/' },
  dynamoWrite: { usd: 0.625, per: 1e6, unit: 'DynamoDB on-demand write request units', source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/' },
  sfnTransition: { usd: 0.025, per: 1000, unit: 'Step Functions Standard state transitions', source: 'https://aws.amazon.com/step-functions/pricing/' },
  eventBridgeEvent: { usd: 1.0, per: 1e6, unit: 'EventBridge custom events (64 KB units)', source: 'https://aws.amazon.com/eventbridge/pricing/' },
  opensearchOcuHour: { usd: 0.24, per: 1, unit: 'OpenSearch Serverless OCU-hours', source: 'https://aws.amazon.com/opensearch-service/pricing/' },
  logsIngestGb: { usd: 0.5, per: 1, unit: 'CloudWatch Logs GB ingested (standard)', source: 'https://aws.amazon.com/cloudwatch/pricing/' },
  xrayTrace: { usd: 5.0, per: 1e6, unit: 'X-Ray traces recorded', source: 'https://aws.amazon.com/xray/pricing/' },
} as const satisfies Record<string, UnitPrice | string>;

/** A language model's price per million tokens. */
export interface ModelPrice {
  readonly provider: 'embedded' | 'bedrock' | 'openai';
  readonly model: string;
  readonly inputPerMillionUsd: number;
  readonly outputPerMillionUsd: number;
  readonly source: string;
}

/** Models whose token prices we know (on-demand, us-east-1 for Bedrock). The first three are the comparison every estimate prints. */
export const MODEL_PRICES: readonly ModelPrice[] = [
  { provider: 'embedded', model: 'embedded extractive answerer', inputPerMillionUsd: 0, outputPerMillionUsd: 0, source: 'runs inside the Lambda function (its time is in the Lambda line)' },
  { provider: 'bedrock', model: 'amazon.nova-lite-v1:0', inputPerMillionUsd: 0.06, outputPerMillionUsd: 0.24, source: 'https://aws.amazon.com/bedrock/pricing/' },
  { provider: 'openai', model: 'gpt-4o-mini', inputPerMillionUsd: 0.15, outputPerMillionUsd: 0.6, source: 'https://openai.com/api/pricing/' },
  { provider: 'bedrock', model: 'anthropic.claude-haiku-4-5', inputPerMillionUsd: 1.0, outputPerMillionUsd: 5.0, source: 'https://aws.amazon.com/bedrock/pricing/' },
];

/** Titan Text Embeddings V2 (query embeddings for OpenSearch retrieval), per million input tokens. */
export const TITAN_EMBED_V2: UnitPrice = { usd: 0.02, per: 1e6, unit: 'Titan Text Embeddings V2 input tokens', source: 'https://aws.amazon.com/bedrock/pricing/' };

const HOURS_PER_MONTH = 730;

const share = z.number().min(0).max(1);
const count = z.number().min(0);

/**
 * What the estimate assumes. Every field is a CLI flag (`messagesPerConversation` → `--messages-per-conversation`).
 * The zod schema is the type; defaults are documented in docs/cost.md.
 */
export const assumptionsSchema = z.strictObject({
  /** Conversations the estimate is for (the table's quantities); figures are also normalised per 1,000. */
  conversations: z.number().int().positive().default(1000),
  /** Conversations a month in this environment: spreads standing costs (the OpenSearch OCU floor). */
  conversationsPerMonth: z.number().int().positive().default(1000),
  /** Customer messages per conversation (each gets an answer). */
  messagesPerConversation: count.default(6),
  /** WebSocket connections per conversation (page loads; each says hello and fetches the widget config). */
  connectionsPerConversation: count.default(1),
  /** Minutes a widget connection stays open (the gateway's idle timeout is 10). */
  connectionMinutesPerConversation: count.default(10),
  /** `customerTyping` frames per customer message. */
  typingFramesPerMessage: count.default(1),
  /** Streamed `chunk` frames per answer (0 today: answers are sent whole; ~10 with 100 ms batches of a streamed LLM answer). */
  chunksPerAnswer: count.default(0),
  /** Share of conversations that book (the booking workflow runs). */
  bookingShare: share.default(0.1),
  /** Share of bookings that take a deposit (Stripe checkout, webhook, payment wait). */
  depositShare: share.default(0.5),
  /** Share of conversations handed to a person (the handoff workflow runs). */
  handoffShare: share.default(0.05),
  /** Staff REST calls per handoff (inbox, open, accept, replies, close). */
  staffRestCallsPerHandoff: count.default(8),
  /** DynamoDB read requests per customer message (README "Performance": ~20 table requests per message in all). */
  readsPerMessage: count.default(12),
  /** DynamoDB write requests per customer message. */
  writesPerMessage: count.default(8),
  /** Read request units per read request (strongly consistent reads of items ≤ 4 KB: 1). */
  rruPerRead: count.default(1),
  /** Write request units per write request (items ≤ 1 KB: 1; transactions: 2 per item — many of ours are). */
  wruPerWrite: count.default(2),
  /** DynamoDB reads / writes per workflow Task step (booking and handoff). */
  readsPerWorkflowStep: count.default(2),
  writesPerWorkflowStep: count.default(2),
  /** Duration of the `sendMessage` invocation, which waits for the whole answer (ms); by the environment's provider unless set. */
  answerMs: count.optional(),
  /** Duration of every other invocation: authorizers, connect, hello, ping, projectors, workflow steps (ms). */
  smallInvocationMs: count.default(60),
  /** Share of invocations that start cold (billed INIT phase). */
  coldStartShare: share.default(0.1),
  /** Billed INIT duration of a cold start (ms; README measures 482 ms for wsMessage, 562 ms for adminApi). */
  initMs: count.default(500),
  /** CloudWatch Logs bytes per Lambda invocation (START/END/REPORT + JSON logs + metrics). */
  logBytesPerInvocation: count.default(1500),
  /** Access-log bytes per API Gateway request or WebSocket message. */
  accessLogBytesPerRequest: count.default(600),
  /** Execution-log bytes per Step Functions transition (log level ALL). */
  logBytesPerTransition: count.default(1000),
  /** Share of Lambda invocations recorded by X-Ray (default sampling keeps about every request below 1 request/s). */
  tracedShare: share.default(1),
  /** LLM input tokens per answer (instructions, retrieved passages, recent turns). */
  inputTokensPerAnswer: count.default(1500),
  /** LLM output tokens per answer. */
  outputTokensPerAnswer: count.default(150),
  /** Tokens embedded per question for OpenSearch retrieval (Titan V2). */
  embeddingTokensPerQuestion: count.default(20),
});

/** Assumptions with defaults applied. */
export type CostAssumptions = z.infer<typeof assumptionsSchema>;
/** Assumptions as written (every field optional). */
export type CostAssumptionsInput = z.input<typeof assumptionsSchema>;

/** `sendMessage` duration by provider when `answerMs` is not set: the function waits for the model. */
export const DEFAULT_ANSWER_MS: Readonly<Record<TenantEnvironment['llmProvider'], number>> = { embedded: 400, bedrock: 2500, openai: 2500 };

/**
 * The states one execution enters on its usual path, in order (Parallel branches included), as named in the ASL.
 * Standard workflows bill every state entered; each `Task` invokes the workflowTask function.
 * The unit test checks every name against the ASL file, so a renamed state fails it.
 */
export const WORKFLOW_PATHS = {
  /** A booking with a deposit: hold, checkout, the payment answers the wait, confirm, calendar, notify, reminder. */
  bookingWithDeposit: {
    machine: 'booking',
    states: [
      'HoldSlot', 'RouteHold', 'CreateCheckout', 'WaitForPayment', 'PaymentTimer', 'AwaitPayment', 'PaymentAnswered', 'PaymentReceived',
      'Confirm', 'AddToCalendar', 'Notify', 'ReminderDue', 'WaitForReminder', 'Remind', 'Done',
    ],
  },
  /** A booking without a deposit. */
  bookingWithoutDeposit: {
    machine: 'booking',
    states: ['HoldSlot', 'RouteHold', 'Confirm', 'AddToCalendar', 'Notify', 'ReminderDue', 'WaitForReminder', 'Remind', 'Done'],
  },
  /** A handoff accepted within the SLA, closed by the agent, with the satisfaction question. */
  handoffAccepted: {
    machine: 'handoff',
    states: ['Queue', 'RouteQueued', 'NotifyStaff', 'AwaitAccept', 'SlaTimer', 'WaitForAgent', 'AgentAccepted', 'AwaitOutcome', 'ReadOutcome', 'RouteOutcome', 'Survey', 'Done'],
  },
} as const satisfies Record<string, { readonly machine: StateMachineName; readonly states: readonly string[] }>;

export type WorkflowPath = keyof typeof WORKFLOW_PATHS;

const aslState = z.looseObject({ Type: z.string() });
interface AslMachine {
  readonly States: Readonly<Record<string, { readonly Type: string; readonly Branches?: readonly AslMachine[] }>>;
}
const aslMachine: z.ZodType<AslMachine> = z.lazy(() =>
  z.looseObject({ States: z.record(z.string(), aslState.extend({ Branches: z.array(aslMachine).optional() })) }),
);

/** Every state of a machine's ASL file by name (Parallel branches flattened) → its `Type`. */
export function aslStates(machine: StateMachineName): ReadonlyMap<string, string> {
  const parsed = aslMachine.parse(JSON.parse(readFileSync(join(ROOT, stateMachines[machine].file), 'utf8')));
  const out = new Map<string, string>();
  const walk = (m: AslMachine): void => {
    for (const [name, state] of Object.entries(m.States)) {
      out.set(name, state.Type);
      for (const branch of state.Branches ?? []) walk(branch);
    }
  };
  walk(parsed);
  return out;
}

/** Transitions and Task steps (workflowTask invocations) of one execution along a path. */
export function workflowPathCost(path: WorkflowPath): { readonly transitions: number; readonly taskSteps: number } {
  const { machine, states } = WORKFLOW_PATHS[path];
  const types = aslStates(machine);
  let taskSteps = 0;
  for (const name of states) {
    const type = types.get(name);
    if (type === undefined) throw new Error(`${path}: state ${name} is not in ${stateMachines[machine].file}`);
    if (type === 'Task') taskSteps++;
  }
  return { transitions: states.length, taskSteps };
}

/** One line of the estimate. */
export interface CostLine {
  readonly component: string;
  readonly quantity: number;
  readonly unit: string;
  readonly usd: number;
  /** Part of the infrastructure total (everything but LLM tokens). */
  readonly infra: boolean;
}

/** One model's token cost for the conversations. */
export interface LlmCost {
  readonly provider: ModelPrice['provider'];
  readonly model: string;
  readonly usd: number;
  readonly per1000Usd: number;
  /** The model the environment is configured with. */
  readonly configured: boolean;
}

export interface CostEstimate {
  readonly env: string;
  readonly region: string;
  readonly vectorStore: TenantEnvironment['vectorStore'];
  readonly llmProvider: TenantEnvironment['llmProvider'];
  readonly assumptions: CostAssumptions;
  readonly lines: readonly CostLine[];
  readonly infraUsd: number;
  readonly infraPer1000Usd: number;
  /** The OpenSearch OCU floor's part of the infrastructure per 1,000 conversations (0 with the embedded vector store). */
  readonly opensearchFloorPer1000Usd: number;
  readonly opensearchFloorMonthlyUsd: number;
  /** The floor is more than half the infrastructure cost. */
  readonly floorDominates: boolean;
  /** Conversations a month from which the infrastructure meets the goal (undefined: never, or already without a floor). */
  readonly breakEvenConversationsPerMonth: number | undefined;
  readonly meetsGoal: boolean;
  readonly llm: readonly LlmCost[];
  /** What the estimate leaves out, printed with it. */
  readonly notCounted: readonly string[];
}

const priced = (price: UnitPrice, quantity: number): number => (quantity * price.usd) / price.per;

interface Invocations {
  readonly fn: FunctionName;
  readonly count: number;
  readonly ms: number;
}

/** Estimates the AWS cost of `assumptions.conversations` conversations in one tenant environment. */
export function estimateCost(env: TenantEnvironment, input: CostAssumptionsInput = {}): CostEstimate {
  const a = assumptionsSchema.parse(input);
  const n = a.conversations;
  const msgs = n * a.messagesPerConversation;
  const connections = n * a.connectionsPerConversation;
  const bookings = n * a.bookingShare;
  const deposits = bookings * a.depositShare;
  const handoffs = n * a.handoffShare;
  const pings = connections * Math.floor(a.connectionMinutesPerConversation / 5);
  const typing = msgs * a.typingFramesPerMessage;

  const withDeposit = workflowPathCost('bookingWithDeposit');
  const withoutDeposit = workflowPathCost('bookingWithoutDeposit');
  const handoffPath = workflowPathCost('handoffAccepted');
  const workflowSteps = deposits * withDeposit.taskSteps + (bookings - deposits) * withoutDeposit.taskSteps + handoffs * handoffPath.taskSteps;
  const transitions = deposits * withDeposit.transitions + (bookings - deposits) * withoutDeposit.transitions + handoffs * handoffPath.transitions;

  // Events on the bus: conversation.started; message.received and message.answered|unanswered per message;
  // booking.requested, payment.succeeded (deposits), booking.confirmed; handoff.requested and two inbox events.
  const statsEvents = n + 2 * msgs;
  const events = statsEvents + bookings * 2 + deposits + handoffs * 3;

  // WebSocket messages, both directions. In: hello, sendMessage, customerTyping, ping. Out: session, and per message
  // ack, the customer's message echoed, typing on, the chunks, the answer, typing off; pong.
  const wsIn = connections + msgs + typing + pings;
  const wsOut = connections + msgs * (5 + a.chunksPerAnswer) + pings;
  const restRequests = connections + deposits + handoffs * a.staffRestCallsPerHandoff;

  const answerMs = a.answerMs ?? DEFAULT_ANSWER_MS[env.llmProvider];
  const small = a.smallInvocationMs;
  const invocations: readonly Invocations[] = [
    { fn: 'wsAuthorizer', count: connections, ms: small },
    { fn: 'wsConnect', count: connections, ms: small },
    { fn: 'wsDisconnect', count: connections, ms: small },
    { fn: 'publicApi', count: connections, ms: small },
    { fn: 'wsMessage', count: connections + typing + pings, ms: small },
    { fn: 'wsMessage', count: msgs, ms: answerMs },
    { fn: 'statsProjector', count: statsEvents, ms: small },
    { fn: 'workflowTask', count: workflowSteps, ms: small },
    { fn: 'bookingEvents', count: deposits, ms: small },
    { fn: 'stripeWebhook', count: deposits, ms: small },
    { fn: 'staffApi', count: handoffs * a.staffRestCallsPerHandoff, ms: small },
  ];
  const memoryGb = (fn: FunctionName): number => {
    const decl: FunctionDecl = functions[fn];
    return (decl.memoryMb ?? 512) / 1024;
  };
  const lambdaRequests = invocations.reduce((sum, i) => sum + i.count, 0);
  const gbSeconds = invocations.reduce((sum, i) => sum + i.count * memoryGb(i.fn) * ((i.ms + a.coldStartShare * a.initMs) / 1000), 0);

  // DynamoDB: the message path, connections (authorizer read, connect and disconnect writes), hello (3 reads, 2 writes),
  // typing (2 reads), one counter update per stats event, and the workflow steps.
  const reads = msgs * a.readsPerMessage + connections * (1 + 3) + typing * 2 + workflowSteps * a.readsPerWorkflowStep;
  const writes = msgs * a.writesPerMessage + connections * (2 + 2) + workflowSteps * a.writesPerWorkflowStep;
  const rru = reads * a.rruPerRead;
  const wru = writes * a.wruPerWrite + statsEvents;

  const opensearch = env.vectorStore === 'opensearch-serverless';
  // Minimum capacity: 0.5 OCU indexing + 0.5 OCU search, doubled by standby replicas (redundancy).
  const ocus = opensearch ? (env.opensearchStandbyReplicas ? 2 : 1) : 0;
  const opensearchFloorMonthlyUsd = ocus * HOURS_PER_MONTH * PRICES.opensearchOcuHour.usd;
  const floorUsd = (opensearchFloorMonthlyUsd * n) / a.conversationsPerMonth;

  const logBytes = lambdaRequests * a.logBytesPerInvocation + (restRequests + wsIn + 2 * connections) * a.accessLogBytesPerRequest + transitions * a.logBytesPerTransition;
  const logGb = logBytes / 1e9;

  const lines: CostLine[] = [
    { component: 'API Gateway WebSocket messages', quantity: wsIn + wsOut, unit: 'messages', usd: priced(PRICES.wsMessage, wsIn + wsOut), infra: true },
    { component: 'API Gateway WebSocket connection minutes', quantity: connections * a.connectionMinutesPerConversation, unit: 'minutes', usd: priced(PRICES.wsConnectionMinute, connections * a.connectionMinutesPerConversation), infra: true },
    { component: 'API Gateway REST requests', quantity: restRequests, unit: 'requests', usd: priced(PRICES.restRequest, restRequests), infra: true },
    { component: 'Lambda requests', quantity: lambdaRequests, unit: 'requests', usd: priced(PRICES.lambdaRequest, lambdaRequests), infra: true },
    { component: 'Lambda compute (arm64, INIT included)', quantity: gbSeconds, unit: 'GB-s', usd: priced(PRICES.lambdaArmGbSecond, gbSeconds), infra: true },
    { component: 'DynamoDB reads', quantity: rru, unit: 'RRU', usd: priced(PRICES.dynamoRead, rru), infra: true },
    { component: 'DynamoDB writes', quantity: wru, unit: 'WRU', usd: priced(PRICES.dynamoWrite, wru), infra: true },
    { component: 'Step Functions transitions', quantity: transitions, unit: 'transitions', usd: priced(PRICES.sfnTransition, transitions), infra: true },
    { component: 'EventBridge events', quantity: events, unit: 'events', usd: priced(PRICES.eventBridgeEvent, events), infra: true },
    { component: 'CloudWatch Logs ingestion', quantity: logGb, unit: 'GB', usd: priced(PRICES.logsIngestGb, logGb), infra: true },
    { component: 'X-Ray traces', quantity: lambdaRequests * a.tracedShare, unit: 'traces', usd: priced(PRICES.xrayTrace, lambdaRequests * a.tracedShare), infra: true },
    {
      component: opensearch ? `OpenSearch Serverless floor (${ocus} OCU × ${HOURS_PER_MONTH} h, spread over ${a.conversationsPerMonth}/month)` : 'Vector store: embedded in DynamoDB (no standing cost)',
      quantity: opensearch ? (ocus * HOURS_PER_MONTH * n) / a.conversationsPerMonth : 0,
      unit: 'OCU-hours',
      usd: floorUsd,
      infra: true,
    },
  ];
  const infraUsd = lines.reduce((sum, l) => sum + l.usd, 0);
  const per1000 = (usd: number): number => (usd * 1000) / n;
  const infraPer1000Usd = per1000(infraUsd);
  const variablePer1000 = per1000(infraUsd - floorUsd);
  const breakEvenConversationsPerMonth =
    opensearch && variablePer1000 < GOAL_INFRA_PER_1000_USD ? Math.ceil((opensearchFloorMonthlyUsd * 1000) / (GOAL_INFRA_PER_1000_USD - variablePer1000)) : undefined;

  const answers = msgs;
  const embeddingUsd = opensearch && env.llmProvider === 'bedrock' ? priced(TITAN_EMBED_V2, answers * a.embeddingTokensPerQuestion) : 0;
  const configuredModel = env.llmProvider === 'bedrock' ? env.bedrockModelId : env.llmProvider === 'openai' ? 'gpt-4o-mini' : 'embedded extractive answerer';
  const isConfigured = (m: ModelPrice): boolean =>
    m.provider === env.llmProvider && (m.provider !== 'bedrock' || configuredModel.replace(/^(us|eu|apac|global)\./, '').startsWith(m.model.replace(/:.*$/, '')));
  const llm: LlmCost[] = MODEL_PRICES.map((m) => {
    const usd =
      (answers * (a.inputTokensPerAnswer * m.inputPerMillionUsd + a.outputTokensPerAnswer * m.outputPerMillionUsd)) / 1e6 + (m.provider === 'bedrock' ? embeddingUsd : 0);
    return { provider: m.provider, model: m.model, usd, per1000Usd: per1000(usd), configured: isConfigured(m) };
  });

  return {
    env: env.name,
    region: env.region,
    vectorStore: env.vectorStore,
    llmProvider: env.llmProvider,
    assumptions: a,
    lines,
    infraUsd,
    infraPer1000Usd,
    opensearchFloorPer1000Usd: per1000(floorUsd),
    opensearchFloorMonthlyUsd,
    floorDominates: floorUsd > infraUsd / 2,
    breakEvenConversationsPerMonth,
    meetsGoal: infraPer1000Usd <= GOAL_INFRA_PER_1000_USD,
    llm,
    notCounted: [
      `prices are ${PRICES.region} list prices${env.region === PRICES.region ? '' : `; this environment deploys to ${env.region}, typically 5–15% dearer`}`,
      'free tiers, Savings Plans and volume discounts',
      'standing monthly costs other than the OpenSearch floor: CloudWatch custom metrics and alarms, the KMS key(s), Secrets Manager, WAF if added, the admin UI and widget hosting',
      'SES e-mail, data transfer out, DynamoDB storage and backups, S3 storage of OpenSearch data',
      'channel messages (Twilio / Meta bill their own prices), Stripe fees',
      'staff WebSocket inboxes and the admin UI browsing the knowledge base',
    ],
  };
}

/** The flat metrics this estimate contributes to bench-results/latest.json. */
export function costMetrics(estimate: CostEstimate): Record<string, number> {
  const suffix = estimate.env.replace(/[^a-z0-9]+/g, '_');
  const round = (x: number): number => Math.round(x * 10_000) / 10_000;
  const out: Record<string, number> = {
    cost_infra_per_1000_usd: round(estimate.infraPer1000Usd),
    [`cost_infra_per_1000_usd_${suffix}`]: round(estimate.infraPer1000Usd),
    [`cost_opensearch_floor_per_1000_usd_${suffix}`]: round(estimate.opensearchFloorPer1000Usd),
    [`cost_meets_goal_${suffix}`]: estimate.meetsGoal ? 1 : 0,
  };
  for (const l of estimate.llm) out[`cost_llm_per_1000_usd_${suffix}_${l.model.replace(/[^a-z0-9]+/gi, '_').replace(/_+$/, '').toLowerCase()}`] = round(l.per1000Usd);
  return out;
}

/** bench-results/latest.json. */
export const LATEST_RESULTS = join(ROOT, 'bench-results', 'latest.json');

/**
 * Merges metrics into a results file (read-modify-write; other keys are kept). The file is replaced
 * atomically (written beside it, then renamed); a file that is not a JSON object is an error, never overwritten.
 */
export function mergeBenchResults(values: Readonly<Record<string, number>>, file: string = LATEST_RESULTS): Record<string, unknown> {
  let current: Record<string, unknown> = {};
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    text = undefined;
  }
  if (text !== undefined && text.trim() !== '') {
    const parsed = z.record(z.string(), z.unknown()).safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`${file} is not a JSON object; not overwriting it`);
    current = parsed.data;
  }
  const merged = { ...current, ...values };
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(merged, null, 2)}\n`);
  renameSync(tmp, file);
  return merged;
}

const usd = (x: number): string => (x === 0 ? '$0' : x < 0.01 ? `$${x.toFixed(4)}` : `$${x.toFixed(2)}`);
const qty = (x: number): string => (Number.isInteger(x) ? x.toLocaleString('en-US') : x < 10 ? x.toFixed(3) : Math.round(x).toLocaleString('en-US'));

/** The estimate as the CLI prints it: assumptions, a table per component, totals, LLM costs, the verdict. */
export function formatEstimate(e: CostEstimate): string {
  const a = e.assumptions;
  const rows = e.lines.map((l) => `  ${l.component.padEnd(78)} ${qty(l.quantity).padStart(12)} ${l.unit.padEnd(12)} ${usd(l.usd).padStart(9)}`);
  const out = [
    `Cost estimate: tenant environment "${e.env}" (${e.region}; vector store ${e.vectorStore}; LLM ${e.llmProvider}), ${qty(a.conversations)} conversations`,
    `Prices: ${PRICES.region}, ${PRICES.asOf} (sources in test/bench/cost.ts and docs/cost.md)`,
    '',
    'Assumptions (override with --<kebab-case-name> <value>):',
    ...Object.entries(a).map(([k, v]) => `  ${k.padEnd(34)} ${String(v)}`),
    ...(a.answerMs === undefined ? [`  ${'answerMs'.padEnd(34)} ${DEFAULT_ANSWER_MS[e.llmProvider]} (default for ${e.llmProvider})`] : []),
    '',
    `  ${'component'.padEnd(78)} ${'quantity'.padStart(12)} ${'unit'.padEnd(12)} ${'USD'.padStart(9)}`,
    ...rows,
    '',
    `cost_infra_per_1000_usd = ${usd(e.infraPer1000Usd)}  (infrastructure before LLM tokens; goal ≤ ${usd(GOAL_INFRA_PER_1000_USD)}: ${e.meetsGoal ? 'MET' : 'NOT MET'})`,
  ];
  if (e.vectorStore === 'opensearch-serverless') {
    out.push(
      `OpenSearch Serverless floor: ${usd(e.opensearchFloorMonthlyUsd)}/month = ${usd(e.opensearchFloorPer1000Usd)} per 1,000 conversations at ${qty(a.conversationsPerMonth)}/month` +
        (e.floorDominates ? ' — the floor DOMINATES the infrastructure cost' : ''),
      e.breakEvenConversationsPerMonth === undefined
        ? '  the goal is out of reach at any volume with these assumptions'
        : `  the goal is met from ${qty(e.breakEvenConversationsPerMonth)} conversations a month (or choose vectorStore: embedded)`,
    );
  } else {
    out.push('Vector store embedded: no standing search cost.');
  }
  out.push('', `LLM tokens (${a.inputTokensPerAnswer} in / ${a.outputTokensPerAnswer} out per answer, ${a.messagesPerConversation} answers per conversation), per 1,000 conversations:`);
  for (const l of e.llm) out.push(`  ${`${l.provider} ${l.model}`.padEnd(48)} ${usd(l.per1000Usd).padStart(9)}${l.configured ? '   ← configured' : ''}`);
  if (!e.llm.some((l) => l.configured)) out.push(`  (the configured model of "${e.env}" has no price in the table)`);
  out.push('', 'Not counted:', ...e.notCounted.map((x) => `  - ${x}`));
  return out.join('\n');
}
