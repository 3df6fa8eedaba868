import { Duration } from 'aws-cdk-lib';
import { EventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import type { IRuleTarget } from 'aws-cdk-lib/aws-events';
import { LambdaFunction, SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { parseScheduleExpression } from '../declaration';
import type { EventPattern as DeclaredPattern, FunctionName, RuleDecl, ScheduleDecl, StateMachineName } from '../declaration';
import { acknowledgeNag } from './nag';

/** Properties of {@link ConciergeEvents}. */
export interface ConciergeEventsProps {
  /** The rules of the declaration. */
  readonly rules: readonly RuleDecl[];
  /**
   * The scheduled rules of the declaration (on the account's default bus, where EventBridge runs schedules).
   * @default none
   */
  readonly schedules?: readonly ScheduleDecl[];
  /** The function behind a declared function name. */
  readonly functionFor: (name: FunctionName) => IFunction;
  /** The state machine behind a declared state machine name. */
  readonly stateMachineFor: (name: StateMachineName) => IStateMachine;
  /**
   * How long EventBridge keeps retrying a failed delivery before the event goes to the dead-letter queue.
   * @default Duration.hours(2)
   */
  readonly maxEventAge?: Duration;
}

/**
 * The custom event bus and every declared rule and schedule. Targets are Lambda functions
 * or Step Functions state machines (started through a role EventBridge
 * assumes); failed deliveries land in one encrypted dead-letter queue
 * (or the rule's own, when it declares a delivery policy).
 *
 * EventBridge invokes a Lambda function asynchronously: its retry policy and dead-letter queue cover only events it
 * could not hand to Lambda. An event Lambda accepted and the function then failed on is retried by Lambda itself
 * (twice) and, without a failure destination, dropped. So each target function also gets an on-failure
 * destination: the same dead-letter queue, within the same maximum event age (Lambda allows 6 hours at most).
 */
export class ConciergeEvents extends Construct {
  readonly bus: EventBus;
  /** Events EventBridge could not deliver to their target. */
  readonly deadLetters: Queue;
  /** The own dead-letter queues of rules (and schedules) declared with a `delivery` policy, by rule name. */
  readonly ruleDeadLetters: Readonly<Record<string, Queue>>;
  private readonly byName = new Map<string, Rule>();
  private readonly ownDeadLetters: Record<string, Queue> = {};
  private readonly sharedDelivery: { readonly deadLetterQueue: Queue; readonly retryAttempts: number; readonly maxEventAge: Duration };
  /** Functions whose asynchronous invocations already have a failure destination (Lambda allows one configuration). */
  private readonly withFailureDestination = new Set<IFunction>();

  constructor(scope: Construct, id: string, props: ConciergeEventsProps) {
    super(scope, id);
    this.bus = new EventBus(this, 'Bus', { description: 'Concierge domain events' });
    this.deadLetters = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeNag(
      this.deadLetters,
      'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue of the EventBridge rule targets; a DLQ of the DLQ would only move the problem.',
    );

    this.sharedDelivery = { deadLetterQueue: this.deadLetters, retryAttempts: 8, maxEventAge: props.maxEventAge ?? Duration.hours(2) };
    for (const decl of props.rules) {
      this.claim(decl.name);
      const delivery = this.deliveryOf(decl);
      const target: IRuleTarget =
        'fn' in decl.target
          ? new LambdaFunction(this.failingTo(props.functionFor(decl.target.fn), delivery), delivery)
          : new SfnStateMachine(props.stateMachineFor(decl.target.stateMachine), delivery);
      this.byName.set(
        decl.name,
        new Rule(this, decl.name, {
          eventBus: this.bus,
          description: decl.description,
          eventPattern: toCdkPattern(decl.pattern),
          targets: [target],
        }),
      );
    }
    for (const decl of props.schedules ?? []) {
      this.claim(decl.name);
      // Fails synthesis on an expression the local scheduler could not run either.
      parseScheduleExpression(decl.expression);
      const delivery = this.deliveryOf(decl);
      this.byName.set(
        decl.name,
        new Rule(this, decl.name, {
          description: decl.description,
          schedule: Schedule.expression(decl.expression),
          targets: [new LambdaFunction(this.failingTo(props.functionFor(decl.target.fn), delivery), delivery)],
        }),
      );
    }
    this.ruleDeadLetters = this.ownDeadLetters;
  }

  /**
   * Sends what the function finally failed on (after Lambda's two retries) to the rule's dead-letter queue. A
   * function several rules target keeps the queue of the first of them in the declaration.
   */
  private failingTo(fn: IFunction, delivery: { readonly deadLetterQueue: Queue; readonly maxEventAge: Duration }): IFunction {
    if (this.withFailureDestination.has(fn)) return fn;
    this.withFailureDestination.add(fn);
    const maxEventAge = delivery.maxEventAge.toSeconds() > Duration.hours(6).toSeconds() ? Duration.hours(6) : delivery.maxEventAge;
    fn.configureAsyncInvoke({ onFailure: new SqsDestination(delivery.deadLetterQueue), retryAttempts: 2, maxEventAge });
    return fn;
  }

  private claim(name: string): void {
    if (this.byName.has(name)) throw new Error(`Rule "${name}" is declared twice`);
  }

  /**
   * The target's retry policy and dead-letter queue. A rule with its own delivery policy (the channel sender: a
   * message is stale after an hour) gets its own encrypted dead-letter queue, so what it could not deliver is seen
   * apart from the other targets.
   */
  private deliveryOf(decl: Pick<RuleDecl, 'name' | 'delivery'>): { readonly deadLetterQueue: Queue; readonly retryAttempts: number; readonly maxEventAge: Duration } {
    if (!decl.delivery) return this.sharedDelivery;
    const queue = new Queue(this, `${decl.name}DeadLetters`, { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
    acknowledgeNag(queue, 'AwsSolutions-SQS3', `This queue is itself the dead-letter queue of the ${decl.name} rule's target; a DLQ of the DLQ would only move the problem.`);
    this.ownDeadLetters[decl.name] = queue;
    return { deadLetterQueue: queue, retryAttempts: decl.delivery.retryAttempts, maxEventAge: Duration.seconds(decl.delivery.maxEventAgeSeconds) };
  }

  /** The rule declared as `name`. */
  rule(name: string): Rule {
    const rule = this.byName.get(name);
    if (!rule) throw new Error(`Rule "${name}" is not declared`);
    return rule;
  }
}

function toCdkPattern(pattern: DeclaredPattern) {
  return {
    source: pattern.source ? [...pattern.source] : undefined,
    detailType: pattern['detail-type'] ? [...pattern['detail-type']] : undefined,
    detail: pattern.detail ? { ...pattern.detail } : undefined,
  };
}
