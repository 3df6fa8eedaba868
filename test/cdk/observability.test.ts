/**
 * Observability in the stack: one operations dashboard per tenant environment (named after the
 * stack) with the APIs, functions, workflows, queues, table and business metrics, cdk-nag clean;
 * the alarms (function throttles, REST p99 latency from the environment's config, WebSocket
 * execution errors, table throttles) next to the existing ones.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { MockIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { WebSocketApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Template } from 'aws-cdk-lib/assertions';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, Pass, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { businessMetricNames } from '../../lambdas/handlers/lib/business-metrics';
import { resolveTenantEnvironment } from '../../lib/config';
import { OperationalAlarms } from '../../lib/constructs/operational-alarms';
import { functions } from '../../lib/declaration';
import { environments } from '../../lib/environments';
import { synthesize, type Synthesized } from './support/synth';

let synth: Synthesized;
/** The dashboard's widgets: the DashboardBody's Fn::Join with every token (ARNs, names) replaced by "<token>". */
let widgets: readonly Widget[];

interface Widget {
  readonly type: string;
  readonly properties: { readonly title?: string; readonly markdown?: string; readonly metrics?: readonly (readonly unknown[])[] };
}

beforeAll(() => {
  synth = synthesize('demo');
  const dashboards = Object.values(synth.template.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const join = (dashboards[0]?.['Properties'] as { DashboardBody: { 'Fn::Join': [string, unknown[]] } }).DashboardBody['Fn::Join'][1];
  const body = join.map((part) => (typeof part === 'string' ? part : '<token>')).join('');
  widgets = (JSON.parse(body) as { widgets: Widget[] }).widgets;
});

/** The metrics of the graph titled `title`, as [namespace, name, ...dimensions, options]. */
function graph(title: string): readonly (readonly unknown[])[] {
  const found = widgets.filter((w) => w.properties.title === title);
  expect(found).toHaveLength(1);
  return found[0]?.properties.metrics ?? [];
}

/** `[namespace, metric name, options.stat]` of each line of a graph. */
const lines = (title: string): string[][] =>
  graph(title).map((m) => [String(m[0]), String(m[1]), String((m[m.length - 1] as { stat?: string }).stat)]);

/** The label of each line of a graph. */
const labels = (title: string): string[] => graph(title).map((m) => String((m[m.length - 1] as { label?: string }).label));

describe('the operations dashboard', () => {
  it('is named after the stack, so tenant environments never collide', () => {
    synth.template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'Concierge-demo-operations' });
  });

  it('graphs REST and WebSocket requests, errors and p99 latency', () => {
    expect(lines('REST API requests and errors')).toEqual([
      ['AWS/ApiGateway', 'Count', 'Sum'],
      ['AWS/ApiGateway', '4XXError', 'Sum'],
      ['AWS/ApiGateway', '5XXError', 'Sum'],
    ]);
    expect(lines('REST API p99 latency (ms)')).toEqual([
      ['AWS/ApiGateway', 'Latency', 'p99'],
      ['AWS/ApiGateway', 'IntegrationLatency', 'p99'],
    ]);
    expect(lines('WebSocket API messages and errors').map((l) => l[1])).toEqual(['ConnectCount', 'MessageCount', 'ClientError', 'ExecutionError', 'IntegrationError']);
    expect(lines('WebSocket API p99 integration latency (ms)')).toEqual([['AWS/ApiGateway', 'IntegrationLatency', 'p99']]);
  });

  it('graphs errors, throttles and p99 duration for every declared function, one line each', () => {
    const names = Object.keys(functions).sort();
    for (const [title, metric, stat] of [
      ['Lambda errors', 'Errors', 'Sum'],
      ['Lambda throttles', 'Throttles', 'Sum'],
      ['Lambda p99 duration (ms)', 'Duration', 'p99'],
    ] as const) {
      expect([...labels(title)].sort()).toEqual(names);
      expect(new Set(lines(title).map((l) => l.join(' ')))).toEqual(new Set([`AWS/Lambda ${metric} ${stat}`]));
    }
  });

  it('graphs workflows, dead-letter queues and the table', () => {
    expect(labels('Workflows')).toEqual(['booking', 'handoff'].flatMap((m) => ['started', 'succeeded', 'failed', 'timed out'].map((what) => `${m} ${what}`)));
    expect(lines('Workflows').map((l) => l[1])).toContain('ExecutionsFailed');
    expect(labels('Dead-letter queue depth')).toEqual(expect.arrayContaining(['EventDeliveries', 'ChannelSendDeliveries']));
    expect(new Set(lines('Dead-letter queue depth').map((l) => l.join(' ')))).toEqual(new Set(['AWS/SQS ApproximateNumberOfMessagesVisible Maximum']));
    expect(lines('DynamoDB throttles and consumed capacity').map((l) => l[1])).toEqual([
      'ReadThrottleEvents',
      'WriteThrottleEvents',
      'ConsumedReadCapacityUnits',
      'ConsumedWriteCapacityUnits',
    ]);
  });

  it('graphs every business metric the handlers emit, by the environment dimension', () => {
    const business = [...graph('Conversations, answers and handoffs'), ...graph('Bookings, deposits and channel deliveries')];
    expect(business.map((m) => m.slice(0, 4))).toEqual(
      expect.arrayContaining(businessMetricNames.map((name) => ['Concierge', name, 'environment', 'demo'])),
    );
    expect(business).toHaveLength(businessMetricNames.length);
  });
});

describe('the alarms', () => {
  // A stack of its own, with twelve functions (two throttle groups): the tenant environments' stacks are
  // close to CloudFormation's 500-resource limit with alarms on (test/cdk/production-example-stack.test.ts).
  let template: Template;
  beforeAll(() => {
    const stack = new Stack(new App(), 'AlarmsUnderTest', { env: { account: '123456789012', region: 'eu-west-1' } });
    const fns = Object.fromEntries(
      Array.from({ length: 12 }, (_, i) => [`fn${i}`, new LambdaFunction(stack, `Fn${i}`, { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('exports.handler=async()=>1') })]),
    );
    const restApi = new RestApi(stack, 'Rest');
    restApi.root.addMethod('GET', new MockIntegration());
    new OperationalAlarms(stack, 'Alarms', {
      email: 'ops@example.com',
      functions: fns,
      stateMachines: { booking: new StateMachine(stack, 'Booking', { definitionBody: DefinitionBody.fromChainable(new Pass(stack, 'Pass')) }) },
      restApi,
      deadLetterQueues: { EventDeliveries: new Queue(stack, 'Dlq') },
      restLatencyP99Threshold: Duration.millis(2500),
      webSocketApi: new WebSocketApi(stack, 'Ws'),
      table: new Table(stack, 'Table', { partitionKey: { name: 'pk', type: AttributeType.STRING }, billingMode: BillingMode.PAY_PER_REQUEST }),
    });
    template = Template.fromStack(stack);
  });

  /** The alarm whose description starts with `prefix`. */
  function alarm(prefix: string): Record<string, unknown> {
    const found = Object.values(template.findResources('AWS::CloudWatch::Alarm'))
      .map((a) => a['Properties'] as Record<string, unknown>)
      .filter((p) => String(p['AlarmDescription']).startsWith(prefix));
    expect(found).toHaveLength(1);
    return found[0] ?? {};
  }

  it.each([
    ['throttles', 'Lambda throttles', 'Throttles'],
    ['errors', 'Lambda errors', 'Errors'],
  ])('watches every function for %s, ten functions per alarm', (_what, prefix, metricName) => {
    const groups = Object.values(template.findResources('AWS::CloudWatch::Alarm'))
      .map((a) => a['Properties'] as Record<string, unknown>)
      .filter((p) => String(p['AlarmDescription']).startsWith(prefix));
    expect(groups).toHaveLength(2);
    const watched = groups.flatMap((g) =>
      (g['Metrics'] as { MetricStat?: { Metric: { MetricName: string } }; Label?: string }[]).filter((m) => m.MetricStat).map((m) => [m.MetricStat?.Metric.MetricName, m.Label]),
    );
    expect(watched).toEqual(Array.from({ length: 12 }, (_, i) => [metricName, `fn${i}`]));
    for (const g of groups) {
      expect(g).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', AlarmActions: [{ Ref: expect.stringMatching(/^AlarmsTopic/) }] });
      expect(JSON.stringify(g['Metrics'])).toContain('SUM(FILL(METRICS(), 0))');
    }
  });

  it('raises the REST p99 latency alarm at the configured threshold, for three periods', () => {
    expect(alarm('REST API: p99 latency')).toMatchObject({
      MetricName: 'Latency',
      Namespace: 'AWS/ApiGateway',
      ExtendedStatistic: 'p99',
      Threshold: 2500,
      EvaluationPeriods: 3,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: expect.stringMatching(/^AlarmsTopic/) }],
    });
  });

  it('watches WebSocket execution errors and table throttles', () => {
    expect(alarm('WebSocket API')).toMatchObject({ MetricName: 'ExecutionError', Namespace: 'AWS/ApiGateway', Threshold: 1, AlarmActions: [{ Ref: expect.stringMatching(/^AlarmsTopic/) }] });
    const table = alarm('DynamoDB table');
    expect(table['Threshold']).toBe(1);
    expect(JSON.stringify(table['Metrics'])).toContain('ReadThrottleEvents');
    expect(JSON.stringify(table['Metrics'])).toContain('WriteThrottleEvents');
  });

  it('keeps the existing alarms', () => {
    for (const prefix of ['REST API: server errors', 'booking workflow: an execution failed', 'booking workflow: an execution timed out', 'EventDeliveries: events could not be delivered']) {
      expect(alarm(prefix)).toMatchObject({ Threshold: 1 });
    }
  });

  it('takes its threshold from the tenant environment, 3 s unless configured', () => {
    expect(resolveTenantEnvironment('demo', environments).restLatencyP99AlarmMs).toBe(3000);
    expect(() => resolveTenantEnvironment('demo', { demo: { ...environments['demo'], restLatencyP99AlarmMs: 60_000 } })).toThrow(/restLatencyP99AlarmMs: must be at most 29000/);
  });
});

it('cdk-nag finds nothing in the stack with its dashboard', () => {
  expect(synth.nag.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
});
