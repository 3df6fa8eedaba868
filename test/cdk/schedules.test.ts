/**
 * The declared schedules in CDK (lib/declaration.ts `schedules`, lib/constructs/concierge-events.ts): the daily
 * retention sweep is a scheduled rule on the default bus targeting the retention sweeper function, with the shared
 * dead-letter queue and retry policy of the pattern rules; the sweeper may put its per-tenant events on the bus;
 * cdk-nag stays clean.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { schedules } from '../../lib/declaration';
import { functionLogicalId, logicalIdOf, synthesize, type Synthesized } from './support/synth';

let prod: Synthesized;
let template: Template;
beforeAll(() => {
  prod = synthesize('production-example');
  template = prod.template;
});

const scheduledRules = () => Object.entries(template.findResources('AWS::Events::Rule')).filter(([, r]) => r.Properties?.ScheduleExpression !== undefined);

describe('DailyRetentionSweep', () => {
  it('runs the retention sweeper once a day, on the default bus, through the shared dead-letter queue and retry policy', () => {
    const decl = schedules.find((s) => s.name === 'DailyRetentionSweep');
    expect(decl).toBeDefined();
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 day)',
      State: 'ENABLED',
      Description: decl?.description,
      EventBusName: Match.absent(),
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [functionLogicalId(prod.stack, 'retentionSweeper'), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalIdOf(prod.stack, prod.stack.events.deadLetters.node.defaultChild), 'Arn'] } },
        }),
      ],
    });
  });

  it('declares exactly the scheduled rules of the declaration, each allowed to invoke its function', () => {
    expect(scheduledRules().map(([, r]) => r.Properties?.ScheduleExpression).sort()).toEqual(schedules.map((s) => s.expression).sort());
    const ruleId = scheduledRules()[0]?.[0];
    expect(ruleId).toBeDefined();
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [functionLogicalId(prod.stack, 'retentionSweeper'), 'Arn'] },
      SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
    });
  });

  it('lets the sweeper put privacy.retention.due on the bus', () => {
    const bus = logicalIdOf(prod.stack, prod.stack.events.bus.node.defaultChild);
    const role = prod.stack.functions.get('retentionSweeper').fn.role;
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties?.Roles ?? []).includes(logicalIdOf(prod.stack, role?.node.defaultChild)),
    );
    expect(JSON.stringify(policies.map((p) => p.Properties?.PolicyDocument))).toMatch(new RegExp(`"Action":"events:PutEvents".*"Fn::GetAtt":\\["${bus}","Arn"\\]`));
  });

  it('leaves cdk-nag with nothing unacknowledged', () => {
    expect(prod.nag.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });
});
