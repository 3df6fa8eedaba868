/**
 * The channel sender's delivery in CDK: the ChannelSend rule targets the sender function with the declared retry
 * policy (attempts, maximum event age) and its OWN encrypted dead-letter queue (TLS enforced), an alarm watches
 * that queue's depth when the environment has alarms, the sender knows the public API URL for Twilio's status
 * callbacks without a dependency cycle, the booking functions that text a customer may hand the text to it, and
 * cdk-nag stays clean.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { eventRules, type FunctionName } from '../../lib/declaration';
import { functionLogicalId, synthesize, type Synthesized } from './support/synth';

const rule = eventRules.find((r) => r.name === 'ChannelSend');

let prod: Synthesized;
let template: Template;
beforeAll(() => {
  prod = synthesize('production-example');
  template = prod.template;
});

function queueIdOfChannelDlq(): string {
  const queues = template.findResources('AWS::SQS::Queue');
  const id = Object.keys(queues).find((k) => k.includes('ChannelSendDeadLetters'));
  if (!id) throw new Error(`no ChannelSend dead-letter queue among ${Object.keys(queues).join(', ')}`);
  return id;
}

describe('ChannelSend rule', () => {
  it('is declared with a bounded retry policy', () => {
    expect(rule?.target).toEqual({ fn: 'channelSender' });
    expect(rule?.pattern['detail-type']).toEqual(['message.send']);
    expect(rule?.delivery).toEqual({ retryAttempts: 4, maxEventAgeSeconds: 3600 });
  });

  it('targets the sender with that retry policy and its own dead-letter queue', () => {
    const dlq = queueIdOfChannelDlq();
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['concierge'], 'detail-type': ['message.send'] },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [functionLogicalId(prod.stack, 'channelSender'), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlq, 'Arn'] } },
        }),
      ],
    });
  });

  it('keeps the other rules on the shared dead-letter queue', () => {
    const dlq = queueIdOfChannelDlq();
    const rules = Object.values(template.findResources('AWS::Events::Rule'));
    const others = rules.filter((r) => JSON.stringify(r).includes('"detail-type":["message.send"]') === false);
    expect(others.length).toBeGreaterThan(0);
    for (const r of others) expect(JSON.stringify(r)).not.toContain(dlq);
  });

  it('dead-letter queue is encrypted, refuses plain HTTP and lets EventBridge send to it', () => {
    const dlq = queueIdOfChannelDlq();
    const queue = template.findResources('AWS::SQS::Queue')[dlq];
    expect(queue?.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: dlq }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage' }),
        ]),
      },
    });
  });

  it("also takes what the sender itself failed on: Lambda's asynchronous invocation (2 retries, then the same queue)", () => {
    // EventBridge hands the event to Lambda asynchronously: its retry policy and dead-letter queue cover only a
    // failure to hand it over. A function error is retried by Lambda and, without a failure destination, dropped.
    const dlq = queueIdOfChannelDlq();
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: functionLogicalId(prod.stack, 'channelSender') },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlq, 'Arn'] } } },
    });
  });

  it('gives every function a rule or schedule targets a failure destination', () => {
    const configs = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig'));
    const configured = new Set(configs.map((c) => JSON.stringify(c.Properties?.FunctionName)));
    const targeted = new Set(
      Object.values(template.findResources('AWS::Events::Rule'))
        .flatMap((r) => (r.Properties?.Targets ?? []) as { Arn?: unknown }[])
        .map((t) => JSON.stringify(t.Arn))
        .filter((arn) => arn.includes('Fn::GetAtt') && !arn.includes('StateMachine'))
        .map((arn) => JSON.stringify({ Ref: (JSON.parse(arn) as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0] })),
    );
    expect(targeted.size).toBeGreaterThan(5);
    for (const fn of targeted) expect([fn, configured.has(fn)]).toEqual([fn, true]);
    for (const c of configs) expect(c.Properties).toMatchObject({ MaximumRetryAttempts: 2, DestinationConfig: { OnFailure: { Destination: expect.anything() } } });
  });

  it('raises an alarm as soon as a message lands in it', () => {
    const dlq = queueIdOfChannelDlq();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq, 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: Match.anyValue(),
    });
  });
});

describe('channel functions', () => {
  it('give the sender the REST API default endpoint (by API id and stage name) for Twilio status callbacks', () => {
    const fn = template.findResources('AWS::Lambda::Function')[functionLogicalId(prod.stack, 'channelSender')];
    const url = JSON.stringify(fn?.Properties?.Environment?.Variables?.PUBLIC_API_URL);
    expect(url).toContain('.execute-api.');
    expect(url).toContain('/live');
    expect(url).toMatch(/"Ref":"Rest/);
  });

  it('expose the status callback route publicly, without the staff authorizer', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      AuthorizationType: 'NONE',
      Integration: Match.objectLike({ Uri: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([{ 'Fn::GetAtt': [functionLogicalId(prod.stack, 'twilioStatus'), 'Arn'] }])]) }) }),
    });
  });

  it('leave cdk-nag with nothing unacknowledged', () => {
    expect(prod.nag.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });
});

describe('SMS to a customer reached by phone only (a staff booking; core/channels/notices.ts)', () => {
  /** The role policies of one function, as JSON text. */
  function policiesOf(name: FunctionName): string {
    const roleRef = JSON.stringify([prod.stack.resolve(prod.stack.functions.get(name).role.roleName)]);
    return Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties?.Roles) === roleRef)
      .map((p) => JSON.stringify(p.Properties?.PolicyDocument))
      .join('\n');
  }

  // The booking workflow's steps, the payment events (a late payment's refund) and the staff API (a cancellation):
  // the text goes into the customer's SMS conversation (the table) and `message.send` (the bus) hands it to the sender.
  it.each(['workflowTask', 'bookingEvents', 'bookingsApi'] as const)('%s may write the table and put message.send on the bus', (name) => {
    const policies = policiesOf(name);
    expect(policies).toContain('dynamodb:PutItem');
    expect(policies).toContain('dynamodb:UpdateItem');
    expect(policies).toContain('events:PutEvents');
  });

  it("leaves Twilio to the sender, which may read the tenant's credentials and write the channel outbox", () => {
    const policies = policiesOf('channelSender');
    expect(policies).toContain('"kms:Decrypt"');
    expect(policies).toContain('dynamodb:PutItem');
  });
});
