import { Duration, Stack } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { WebSocketApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Dashboard, GraphWidget, type IMetric, Metric, type MetricOptions, TextWidget } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** The business metrics the handlers emit (lambdas/handlers/lib/business-metrics.ts), namespace `Concierge`. */
export const BUSINESS_METRIC_NAMESPACE = 'Concierge';

/** Properties of {@link OperationsDashboard}. */
export interface OperationsDashboardProps {
  /** The tenant environment's name: the `environment` dimension of the business metrics. */
  readonly environment: string;
  /** Functions whose errors, throttles and p99 duration are graphed (one line per function). */
  readonly functions: Readonly<Record<string, IFunction>>;
  /** State machines whose started, succeeded, failed and timed-out executions are graphed. */
  readonly stateMachines: Readonly<Record<string, IStateMachine>>;
  readonly restApi: RestApi;
  readonly webSocketApi: WebSocketApi;
  readonly table: ITable;
  /** Dead-letter queues whose depth is graphed. */
  readonly deadLetterQueues: Readonly<Record<string, IQueue>>;
  /**
   * Period of every graph.
   * @default 5 minutes
   */
  readonly period?: Duration;
}

const WIDTH = 12;
const HEIGHT = 6;

/**
 * One CloudWatch dashboard per tenant environment, named after the stack: the
 * REST and WebSocket APIs (requests, 4XX/5XX, p99 latency), every function
 * (errors, throttles, p99 duration), the workflows, dead-letter queues, the
 * table (throttles, consumed capacity) and the business metrics.
 */
export class OperationsDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    const period = props.period ?? Duration.minutes(5);
    const sum: MetricOptions = { period, statistic: 'Sum' };
    const p99: MetricOptions = { period, statistic: 'p99' };
    const graph = (title: string, left: readonly IMetric[], right: readonly IMetric[] = []) =>
      new GraphWidget({ title, left: [...left], right: [...right], width: WIDTH, height: HEIGHT });
    const perFunction = (metricOf: (fn: IFunction, name: string) => IMetric) =>
      Object.entries(props.functions).map(([name, fn]) => metricOf(fn, name));
    const business = (metricName: string, label: string) =>
      new Metric({ namespace: BUSINESS_METRIC_NAMESPACE, metricName, dimensionsMap: { environment: props.environment }, label, ...sum });
    const { restApi, webSocketApi: ws, table } = props;

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-operations`,
      defaultInterval: Duration.hours(6),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# Concierge — ${props.environment}\nAPIs, functions, workflows, queues, table and business metrics of this tenant environment.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph('REST API requests and errors', [
        restApi.metricCount({ ...sum, label: 'Requests' }),
        restApi.metricClientError({ ...sum, label: '4XX' }),
        restApi.metricServerError({ ...sum, label: '5XX' }),
      ]),
      graph('REST API p99 latency (ms)', [
        restApi.metricLatency({ ...p99, label: 'Latency p99' }),
        restApi.metricIntegrationLatency({ ...p99, label: 'Integration latency p99' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph('WebSocket API messages and errors', [
        ws.metric('ConnectCount', { ...sum, label: 'Connects' }),
        ws.metric('MessageCount', { ...sum, label: 'Messages' }),
        ws.metric('ClientError', { ...sum, label: '4XX' }),
        ws.metric('ExecutionError', { ...sum, label: 'Execution errors' }),
        ws.metric('IntegrationError', { ...sum, label: 'Integration errors' }),
      ]),
      graph('WebSocket API p99 integration latency (ms)', [ws.metric('IntegrationLatency', { ...p99, label: 'Integration latency p99' })]),
    );
    this.dashboard.addWidgets(
      graph('Lambda errors', perFunction((fn, name) => fn.metricErrors({ ...sum, label: name }))),
      graph('Lambda throttles', perFunction((fn, name) => fn.metricThrottles({ ...sum, label: name }))),
    );
    this.dashboard.addWidgets(
      graph('Lambda p99 duration (ms)', perFunction((fn, name) => fn.metricDuration({ ...p99, label: name }))),
      graph(
        'Workflows',
        Object.entries(props.stateMachines).flatMap(([name, machine]) => [
          machine.metricStarted({ ...sum, label: `${name} started` }),
          machine.metricSucceeded({ ...sum, label: `${name} succeeded` }),
          machine.metricFailed({ ...sum, label: `${name} failed` }),
          machine.metricTimedOut({ ...sum, label: `${name} timed out` }),
        ]),
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Dead-letter queue depth',
        Object.entries(props.deadLetterQueues).map(([name, queue]) =>
          queue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum', label: name }),
        ),
      ),
      graph(
        'DynamoDB throttles and consumed capacity',
        [table.metric('ReadThrottleEvents', { ...sum, label: 'Read throttles' }), table.metric('WriteThrottleEvents', { ...sum, label: 'Write throttles' })],
        [table.metricConsumedReadCapacityUnits({ ...sum, label: 'Consumed RCU' }), table.metricConsumedWriteCapacityUnits({ ...sum, label: 'Consumed WCU' })],
      ),
    );
    this.dashboard.addWidgets(
      graph('Conversations, answers and handoffs', [
        business('ConversationStarted', 'Conversations started'),
        business('MessageAnswered', 'Answered'),
        business('MessageUnanswered', 'Unanswered'),
        business('HandoffRequested', 'Handoffs requested'),
      ]),
      graph(
        'Bookings, deposits and channel deliveries',
        [business('BookingConfirmed', 'Bookings confirmed'), business('ChannelDeliveryFailed', 'Channel deliveries failed')],
        [business('DepositCollectedCents', 'Deposits collected (cents)')],
      ),
    );
  }
}
