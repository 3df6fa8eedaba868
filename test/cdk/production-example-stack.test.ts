/**
 * The production example: OpenSearch Serverless, a customer-managed table key,
 * required MFA, a cross-region Bedrock inference profile, alarms and a custom
 * admin domain; cdk-nag finds nothing unacknowledged.
 */
import { Match } from 'aws-cdk-lib/assertions';
import type { Template } from 'aws-cdk-lib/assertions';
import * as declaration from '../../lib/declaration';
import { synthesize, templatesWithoutRoomFor } from './support/synth';
import { environmentProblems, functionEnvironments } from './support/function-env';
import type { Synthesized } from './support/synth';

let prod: Synthesized;
let template: Template;
beforeAll(() => {
  prod = synthesize('production-example');
  template = prod.template;
});

/** The functions that search or write the knowledge collection. */
const llmFunctions = Object.entries(declaration.functions)
  .filter(([, decl]) => decl.grants.some((g: declaration.Grant) => g === 'llm:invoke' || g === 'knowledge:index'))
  .map(([name]) => name)
  .filter((n): n is declaration.FunctionName => n in declaration.functions);

it('leaves each template (the stack and its REST API stack) room for twenty more routes', () => {
  expect(prod.templates).toHaveLength(2);
  expect(templatesWithoutRoomFor(prod, 20)).toEqual([]);
});

it('cdk-nag reports no unacknowledged error or warning', () => {
  expect(prod.nag.violations.map((v) => `${v.ruleName} (${v.severity}) at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  expect(prod.validationReport.pluginReports.flatMap((r) => r.violations)).toEqual([]);
});

it('sets only variables the functions read, each one their cold start accepts', () => {
  expect(functionEnvironments(template).size).toBeGreaterThan(10);
  expect(environmentProblems(template)).toEqual([]);
});

describe('OpenSearch Serverless', () => {
  it('creates one VECTORSEARCH collection after its encryption and network policies', () => {
    template.resourceCountIs('AWS::OpenSearchServerless::Collection', 1);
    template.hasResource('AWS::OpenSearchServerless::Collection', {
      Properties: { Type: 'VECTORSEARCH', StandbyReplicas: 'ENABLED', Name: Match.stringLikeRegexp('^[a-z][a-z0-9-]{2,27}$') },
      DependsOn: Match.arrayWith([Match.stringLikeRegexp('EncryptionPolicy'), Match.stringLikeRegexp('NetworkPolicy')]),
    });
    template.hasResourceProperties('AWS::OpenSearchServerless::SecurityPolicy', {
      Type: 'encryption',
      Policy: Match.serializedJson({ Rules: [{ ResourceType: 'collection', Resource: [Match.stringLikeRegexp('^collection/')] }], AWSOwnedKey: true }),
    });
    template.hasResourceProperties('AWS::OpenSearchServerless::SecurityPolicy', { Type: 'network' });
  });

  it('lets exactly the llm:invoke and knowledge:index functions use the collection', () => {
    const [policy] = Object.values(template.findResources('AWS::OpenSearchServerless::AccessPolicy'));
    const text = JSON.stringify(policy);
    for (const name of Object.keys(declaration.functions).filter((n): n is declaration.FunctionName => n in declaration.functions)) {
      const roleId = prod.stack.resolve(prod.stack.functions.get(name).role.roleArn);
      expect([name, text.includes(JSON.stringify(roleId))]).toEqual([name, llmFunctions.includes(name)]);
    }
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: 'aoss:APIAccessAll', Resource: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } })]),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ VECTOR_STORE: 'opensearch-serverless', OPENSEARCH_ENDPOINT: Match.anyValue() }) },
    });
  });
});

it('encrypts the table with a rotating customer-managed key', () => {
  template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true, Description: 'Encrypts the Concierge table' });
  template.hasResourceProperties('AWS::DynamoDB::Table', {
    SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
  });
});

it('requires MFA for staff', () => {
  template.hasResourceProperties('AWS::Cognito::UserPool', { MfaConfiguration: 'ON', EnabledMfas: ['SOFTWARE_TOKEN_MFA'] });
});

it('invokes the cross-region inference profile and its model in the profile regions', () => {
  template.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: {
      Statement: Match.arrayWith([
        Match.objectLike({
          Action: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
          Resource: Match.arrayWith([
            { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':inference-profile/us\\.anthropic\\.claude-haiku-4-5')])] },
            { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:*::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0']] },
          ]),
        }),
      ]),
    },
  });
});

it('alarms on function errors, failed workflows, REST 5XX and undelivered events, by encrypted email topic', () => {
  template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
  const metrics = alarms.map((a) => String(a.Properties?.MetricName));
  // Errors are watched in groups of up to 10 functions per alarm (metric math): every function is in one.
  const errorFunctions = alarms.flatMap((a) =>
    ((a.Properties?.Metrics ?? []) as { MetricStat?: { Metric?: { MetricName?: string; Dimensions?: { Value?: unknown }[] } } }[])
      .filter((m) => m.MetricStat?.Metric?.MetricName === 'Errors')
      .map((m) => JSON.stringify(m.MetricStat?.Metric?.Dimensions?.[0]?.Value)),
  );
  expect(new Set(errorFunctions).size).toBe(Object.keys(declaration.functions).length);
  expect(metrics).toEqual(expect.arrayContaining(['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted', '5XXError', 'ApproximateNumberOfMessagesVisible']));
  for (const alarm of alarms) expect(alarm.Properties?.AlarmActions).toHaveLength(1);
});

it('serves the admin UI on admin.<domain> and allows that origin', () => {
  template.hasResourceProperties('AWS::Amplify::Domain', {
    DomainName: 'concierge.example.com',
    SubDomainSettings: [{ BranchName: 'main', Prefix: 'admin' }],
  });
  const publicApi = Object.values(template.findResources('AWS::Lambda::Function')).find(
    (fn) => fn.Properties?.Description === declaration.functions.publicApi.description,
  );
  expect(JSON.stringify(publicApi?.Properties?.Environment?.Variables?.CORS_ALLOWED_ORIGINS)).toContain('https://admin.concierge.example.com');
  expect(Object.keys(template.findOutputs('*'))).toEqual(expect.arrayContaining(['AdminCustomUrl', 'VectorCollectionEndpoint']));
});
