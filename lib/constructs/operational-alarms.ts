import { Duration } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { WebSocketApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, MathExpression, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** Properties of {@link OperationalAlarms}. */
export interface OperationalAlarmsProps {
  /** Who is notified. */
  readonly email: string;
  /** Functions whose errors and throttles raise an alarm. */
  readonly functions: Readonly<Record<string, IFunction>>;
  /** State machines whose failed, timed-out or aborted executions raise an alarm. */
  readonly stateMachines: Readonly<Record<string, IStateMachine>>;
  /** The REST API whose 5XX responses raise an alarm. */
  readonly restApi: RestApi;
  /** Dead-letter queues that must stay empty. */
  readonly deadLetterQueues: Readonly<Record<string, IQueue>>;
  /**
   * The REST API's p99 latency above this raises an alarm (three 5-minute periods in a row).
   * @default 3 seconds
   */
  readonly restLatencyP99Threshold?: Duration;
  /** The WebSocket API whose execution errors raise an alarm (API Gateway could not run a route). */
  readonly webSocketApi?: WebSocketApi;
  /** The table whose read or write throttle events raise an alarm. */
  readonly table?: ITable;
}

/** CloudWatch allows at most 10 metrics in one alarm's metric math. */
const MAX_ALARM_METRICS = 10;

/**
 * Alarms that need a person, sent to one email address through an encrypted
 * SNS topic: function errors and throttles, failed workflows, REST 5XX and
 * p99 latency, WebSocket execution errors, table throttles, undelivered events.
 */
export class OperationalAlarms extends Construct {
  readonly topic: Topic;
  /** The REST API p99 latency alarm (its threshold comes from the tenant environment). */
  readonly restLatencyAlarm: Alarm;

  constructor(scope: Construct, id: string, props: OperationalAlarmsProps) {
    super(scope, id);
    const key = new Key(this, 'TopicKey', { description: 'Encrypts Concierge alarm notifications', enableKeyRotation: true });
    key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.topic = new Topic(this, 'Topic', { masterKey: key, enforceSSL: true, displayName: 'Concierge alarms' });
    this.topic.addSubscription(new EmailSubscription(props.email));
    const action = new SnsAction(this.topic);

    const alarm = (alarmId: string, description: string, metric: IMetric, threshold = 1, evaluationPeriods = 1) => {
      const a = new Alarm(this, alarmId, {
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      a.addAlarmAction(action);
      return a;
    };

    const period = Duration.minutes(5);
    // Errors and throttles: one alarm per group of up to 10 functions (CloudWatch's limit of metrics in an
    // alarm's math expression), not one per function: a stack has at most 500 resources and every alarm is
    // one. The alarm names its functions; the operations dashboard shows which one failed.
    const entries = Object.entries(props.functions);
    for (let i = 0, group = 1; i < entries.length; i += MAX_ALARM_METRICS, group++) {
      const batch = entries.slice(i, i + MAX_ALARM_METRICS);
      const errors = new MathExpression({
        expression: `SUM(FILL(METRICS(), 0))`,
        usingMetrics: Object.fromEntries(batch.map(([name, fn], n) => [`e${n}`, fn.metricErrors({ period, statistic: 'Sum', label: name })])),
        label: 'Errors',
        period,
      });
      alarm(`FunctionErrors${group}`, `Lambda errors in 5 minutes (at least one): ${batch.map(([name]) => name).join(', ')}`, errors);
      const throttles = new MathExpression({
        expression: `SUM(FILL(METRICS(), 0))`,
        usingMetrics: Object.fromEntries(batch.map(([name, fn], n) => [`t${n}`, fn.metricThrottles({ period, statistic: 'Sum', label: name })])),
        label: 'Throttles',
        period,
      });
      alarm(`FunctionThrottles${group}`, `Lambda throttles (concurrency limit reached) in 5 minutes: ${batch.map(([name]) => name).join(', ')}`, throttles);
    }
    for (const [name, machine] of Object.entries(props.stateMachines)) {
      alarm(`${name}Failed`, `${name} workflow: an execution failed`, machine.metricFailed({ period, statistic: 'Sum' }));
      alarm(`${name}TimedOut`, `${name} workflow: an execution timed out`, machine.metricTimedOut({ period, statistic: 'Sum' }));
      alarm(`${name}Aborted`, `${name} workflow: an execution was stopped`, machine.metricAborted({ period, statistic: 'Sum' }));
    }
    alarm('RestApi5xx', 'REST API: server errors', props.restApi.metricServerError({ period, statistic: 'Sum' }));
    const latency = props.restLatencyP99Threshold ?? Duration.seconds(3);
    this.restLatencyAlarm = alarm(
      'RestApiLatencyP99',
      `REST API: p99 latency at or above ${latency.toMilliseconds()} ms for 15 minutes`,
      props.restApi.metricLatency({ period, statistic: 'p99' }),
      latency.toMilliseconds(),
      3,
    );
    if (props.webSocketApi) {
      alarm('WebSocketApiErrors', 'WebSocket API: routes API Gateway could not run', props.webSocketApi.metric('ExecutionError', { period, statistic: 'Sum' }));
    }
    if (props.table) {
      const throttles = new MathExpression({
        expression: 'reads + writes',
        usingMetrics: {
          reads: props.table.metric('ReadThrottleEvents', { period, statistic: 'Sum' }),
          writes: props.table.metric('WriteThrottleEvents', { period, statistic: 'Sum' }),
        },
        label: 'Throttle events',
        period,
      });
      alarm('TableThrottles', 'DynamoDB table: requests throttled', throttles);
    }
    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      alarm(`${name}NotEmpty`, `${name}: events could not be delivered`, queue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }));
    }
  }
}
