import { Duration } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
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
}

/**
 * Alarms that need a person, sent to one email address through an encrypted
 * SNS topic: function errors, failed workflows, REST 5XX, undelivered events.
 */
export class OperationalAlarms extends Construct {
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: OperationalAlarmsProps) {
    super(scope, id);
    const key = new Key(this, 'TopicKey', { description: 'Encrypts Concierge alarm notifications', enableKeyRotation: true });
    key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.topic = new Topic(this, 'Topic', { masterKey: key, enforceSSL: true, displayName: 'Concierge alarms' });
    this.topic.addSubscription(new EmailSubscription(props.email));
    const action = new SnsAction(this.topic);

    const alarm = (alarmId: string, description: string, metric: IMetric) => {
      const a = new Alarm(this, alarmId, {
        alarmDescription: description,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      a.addAlarmAction(action);
    };

    const period = Duration.minutes(5);
    for (const [name, fn] of Object.entries(props.functions)) {
      alarm(`${name}Errors`, `${name}: at least one error in 5 minutes`, fn.metricErrors({ period, statistic: 'Sum' }));
    }
    for (const [name, machine] of Object.entries(props.stateMachines)) {
      alarm(`${name}Failed`, `${name} workflow: an execution failed`, machine.metricFailed({ period, statistic: 'Sum' }));
      alarm(`${name}TimedOut`, `${name} workflow: an execution timed out`, machine.metricTimedOut({ period, statistic: 'Sum' }));
    }
    alarm('RestApi5xx', 'REST API: server errors', props.restApi.metricServerError({ period, statistic: 'Sum' }));
    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      alarm(`${name}NotEmpty`, `${name}: events could not be delivered`, queue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }));
    }
  }
}
