/**
 * The demo tenant environment, checked against lib/declaration.ts: every
 * function, route, authorizer, rule, the table and the state machines exist
 * with the properties that matter; cdk-nag finds nothing unacknowledged.
 */
import { Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import { aslPlaceholders } from '../../lib/constructs/concierge-workflows';
import * as declaration from '../../lib/declaration';
import { fromRepoRoot } from '../../lib/paths';
import { functionLogicalId, logicalIdOf, synthesize, templatesWithoutRoomFor } from './support/synth';
import type { Synthesized } from './support/synth';
import { environmentProblems } from './support/function-env';

let demo: Synthesized;
let template: Template;
beforeAll(() => {
  demo = synthesize('demo');
  template = demo.template;
});

const functionNames = Object.keys(declaration.functions).filter((n): n is declaration.FunctionName => n in declaration.functions);
const machineNames = Object.keys(declaration.stateMachines).filter(
  (n): n is declaration.StateMachineName => n in declaration.stateMachines,
);
const getAtt = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });

/** Every resource of a type, as [logicalId, properties]. */
function resources(type: string): Array<[string, Record<string, unknown>]> {
  return Object.entries(template.findResources(type)).map(([id, r]) => [id, isRecord(r.Properties) ? r.Properties : {}]);
}
function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

describe('cdk-nag (AwsSolutions, v3 validation plugin)', () => {
  it('reports no unacknowledged error or warning', () => {
    expect(demo.nag.violations.map((v) => `${v.ruleName} (${v.severity}) at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    expect(demo.nag.success).toBe(true);
  });

  it('leaves nothing in the validation report of any plugin', () => {
    expect(demo.validationReport.pluginReports.flatMap((r) => r.violations.map((v) => `${r.pluginName}: ${v.ruleName}`))).toEqual([]);
  });
});

describe('single table', () => {
  it('has the declared keys, TTL and global indexes, on demand, with PITR and encryption', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: declaration.table.partitionKey, KeyType: 'HASH' },
        { AttributeName: declaration.table.sortKey, KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: declaration.table.ttlAttribute, Enabled: true },
      GlobalSecondaryIndexes: declaration.table.globalIndexes.map((gsi) => ({
        IndexName: gsi.name,
        KeySchema: [
          { AttributeName: gsi.partitionKey, KeyType: 'HASH' },
          { AttributeName: gsi.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    });
  });

  it('is retained when the stack is deleted', () => {
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });
});

describe('functions', () => {
  it('get only variables their code reads, each one their cold start accepts (lambdas/adapters/config.ts)', () => {
    expect(environmentProblems(template)).toEqual([]);
  });

  it('creates exactly one Lambda function per declared function (plus the widget uploader)', () => {
    expect(resources('AWS::Lambda::Function')).toHaveLength(functionNames.length + 1);
  });

  it.each(functionNames)('%s: Node.js 22 on ARM64, traced, logging to its own group, sized as declared', (name) => {
    const decl: declaration.FunctionDecl = declaration.functions[name];
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: decl.description,
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      MemorySize: decl.memoryMb ?? 512,
      Timeout: decl.timeoutSeconds ?? 10,
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: Match.anyValue() } },
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: Match.stringLikeRegexp('^concierge-') }) },
    });
  });

  it.each(functionNames)('%s: environment carries exactly the resources its grants name', (name) => {
    const grants: readonly declaration.Grant[] = declaration.functions[name].grants;
    const has = (g: declaration.Grant) => grants.includes(g);
    const [, props] = resources('AWS::Lambda::Function').find(([id]) => id === functionLogicalId(demo.stack, name)) ?? [];
    const env = isRecord(props) && isRecord(props.Environment) && isRecord(props.Environment.Variables) ? props.Environment.Variables : {};
    expect('TABLE_NAME' in env).toBe(has('table:read') || has('table:write') || has('audit:append'));
    expect('EVENT_BUS_NAME' in env).toBe(has('bus:put'));
    expect('WS_MANAGEMENT_ENDPOINT' in env).toBe(has('ws:post'));
    expect('STATE_MACHINE_ARNS' in env).toBe(has('workflows:start') || has('workflows:callback'));
    expect('BEDROCK_MODEL_ID' in env).toBe(has('llm:invoke'));
    for (const shared of ['USER_POOL_ID', 'USER_POOL_CLIENT_ID', 'LLM_PROVIDER', 'VECTOR_STORE', 'POWERTOOLS_SERVICE_NAME']) {
      expect(env).toHaveProperty(shared);
    }
  });

  it('grants least privilege: only ws:post functions may post to connections, only llm:invoke ones may call Bedrock (the embedded vector store needs no Titan)', () => {
    const policies = resources('AWS::IAM::Policy');
    for (const name of functionNames) {
      const grants: readonly declaration.Grant[] = declaration.functions[name].grants;
      const roleRef = demo.stack.resolve(demo.stack.functions.get(name).role.roleName);
      const own = policies.filter(([, p]) => JSON.stringify(p.Roles) === JSON.stringify([roleRef])).map(([, p]) => JSON.stringify(p.PolicyDocument));
      const doc = own.join('\n');
      expect(doc.includes('execute-api:ManageConnections')).toBe(grants.includes('ws:post'));
      expect(doc.includes('bedrock:InvokeModel')).toBe(grants.includes('llm:invoke'));
      expect(doc.includes('amazon.titan-embed')).toBe(false);
      expect(doc.includes('dynamodb:PutItem')).toBe(grants.includes('table:write') || grants.includes('audit:append'));
      expect(doc.includes('dynamodb:Query')).toBe(grants.includes('table:write') || grants.includes('table:read'));
      expect(doc.includes('events:PutEvents')).toBe(grants.includes('bus:put'));
    }
  });

  it('posts to WebSocket connections of its own stage only', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'execute-api:ManageConnections',
            Resource: {
              'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':execute-api:'), '/live/POST/@connections/*'])],
            },
          }),
        ]),
      },
    });
  });

  it('invokes exactly the configured Bedrock models', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
            Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0']] },
          }),
        ]),
      },
    });
  });
});

describe('knowledge indexing', () => {
  it('gives knowledge.changed to the knowledge indexer, which may run for 15 minutes, with USE-lite beside it and no Bedrock (embedded vector store)', () => {
    const indexer = demo.stack.resolve(demo.stack.functions.get('knowledgeIndexer').fn.functionArn);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['concierge'], 'detail-type': ['knowledge.changed'] },
      Targets: Match.arrayWith([Match.objectLike({ Arn: indexer })]),
    });
    const [, fn] = resources('AWS::Lambda::Function').find(([id]) => id === functionLogicalId(demo.stack, 'knowledgeIndexer')) ?? [];
    expect(fn?.['Timeout']).toBe(900);
    expect(fn?.['MemorySize']).toBe(2048);
    expect(JSON.stringify(fn?.['Environment'])).not.toMatch(/BEDROCK_MODEL_ID|EMBEDDING_MODEL_ID|OPENSEARCH_ENDPOINT/);
  });
});

describe('REST API', () => {
  /** The full path of each method, rebuilt from the template's resource tree. */
  function methodPaths(): Array<{ path: string; props: Record<string, unknown> }> {
    const byId = new Map(resources('AWS::ApiGateway::Resource'));
    const pathOf = (ref: unknown): string => {
      if (isRecord(ref) && typeof ref.Ref === 'string') {
        const r = byId.get(ref.Ref);
        if (!r) throw new Error(`unknown resource ${ref.Ref}`);
        return `${pathOf(r.ParentId)}/${String(r.PathPart)}`;
      }
      return ''; // Fn::GetAtt RootResourceId
    };
    return resources('AWS::ApiGateway::Method').map(([, props]) => ({ path: pathOf(props.ResourceId) || '/', props }));
  }

  it.each(declaration.restRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s exists with its authorization, operation id and Lambda proxy integration',
    (_, route) => {
      const method = methodPaths().find((m) => m.path === route.path && m.props.HttpMethod === route.method);
      expect(method).toBeDefined();
      const pathParams = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => `method.request.path.${m[1]}`);
      expect(method?.props).toMatchObject({
        OperationName: route.operationId,
        AuthorizationType: route.auth === 'public' ? 'NONE' : 'CUSTOM',
        RequestValidatorId: { Ref: expect.any(String) },
        Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' },
      });
      expect(Object.keys(isRecord(method?.props.RequestParameters) ? method.props.RequestParameters : {})).toEqual(
        expect.arrayContaining(pathParams),
      );
      if (route.auth === 'public') expect(method?.props.AuthorizerId).toBeUndefined();
      else expect(method?.props.AuthorizerId).toEqual({ Ref: expect.any(String) });
      expect(JSON.stringify(method?.props.Integration)).toContain(`"${functionLogicalId(demo.stack, route.fn)}"`);
    },
  );

  it('lives in a nested stack, leaving every template room for twenty more routes under the 500-resource limit', () => {
    const count = (json: (typeof demo.templates)[number]['json'], type?: string) => Object.values(json.Resources).filter((r) => !type || r.Type === type).length;
    const [own, ...nested] = demo.templates;
    expect(nested.map((n) => n.name)).toEqual([`${demo.stack.stackName}/RestApiStack`]);
    expect(own && count(own.json, 'AWS::ApiGateway::Method')).toBe(0);
    expect(nested.reduce((n, t) => n + count(t.json, 'AWS::ApiGateway::Method'), 0)).toBe(methodPaths().length);
    expect(methodPaths().length).toBeGreaterThan(declaration.restRoutes.length);
    expect(templatesWithoutRoomFor(demo, 20)).toEqual([]);
  });

  it('has no method beyond the declared routes and their CORS preflights', () => {
    const declared = new Set(declaration.restRoutes.map((r) => `${r.method} ${r.path}`));
    const extra = methodPaths()
      .map((m) => `${String(m.props.HttpMethod)} ${m.path}`)
      .filter((m) => !m.startsWith('OPTIONS ') && !declared.has(m));
    expect(extra).toEqual([]);
  });

  it('guards staff routes with the Lambda REQUEST authorizer on the Authorization header', () => {
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: `method.request.header.${declaration.restAuthorizer.identityHeader}`,
      AuthorizerResultTtlInSeconds: 300,
    });
    const authorizer = Object.values(template.findResources('AWS::ApiGateway::Authorizer'))[0];
    expect(JSON.stringify(authorizer)).toContain(functionLogicalId(demo.stack, declaration.restAuthorizer.fn));
  });

  it('validates requests, throttles, traces and writes JSON access logs', () => {
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestParameters: true, ValidateRequestBody: true });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'live',
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"') },
      MethodSettings: [
        Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', LoggingLevel: 'ERROR', ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 }),
      ],
    });
    template.hasResourceProperties('AWS::ApiGateway::Account', { CloudWatchRoleArn: Match.anyValue() });
  });

  it('answers CORS preflights for the widget site, the widget CDN and the admin UI', () => {
    const preflight = methodPaths().find((m) => m.path === '/v1/health' && m.props.HttpMethod === 'OPTIONS');
    const text = JSON.stringify(preflight?.props.Integration);
    expect(text).toContain('https://www.example.com');
    expect(text).toContain('https://main.');
    expect(text).toContain('WidgetCdn');
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'DEFAULT_4XX',
      ResponseParameters: { 'gatewayresponse.header.Access-Control-Allow-Origin': 'method.request.header.Origin' },
    });
  });

  it("answers API Gateway's own errors in the API's error shape, as the local gateway does", () => {
    for (const error of declaration.gatewayErrors) {
      const [, props] = resources('AWS::ApiGateway::GatewayResponse').find(([, p]) => p.ResponseType === error.type) ?? [];
      const template = String((props?.ResponseTemplates as Record<string, unknown> | undefined)?.['application/json']);
      const body = template.replace('$context.error.messageString', '"from API Gateway"');
      expect(JSON.parse(body)).toEqual(declaration.gatewayErrorBody(error.type, 'from API Gateway'));
    }
    expect(String(resources('AWS::ApiGateway::GatewayResponse').map(([, p]) => p.ResponseType))).toContain('UNAUTHORIZED');
    // A route the API does not have is API Gateway's 403 "Missing Authentication Token": answered 404 not_found.
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', { ResponseType: 'MISSING_AUTHENTICATION_TOKEN', StatusCode: '404' });
  });
});

describe('WebSocket API', () => {
  it('selects routes as declared', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: declaration.wsRouteSelectionExpression,
    });
  });

  it.each(declaration.wsRoutes.map((r) => [r.route, r] as const))('route %s exists and integrates its function', (_, route) => {
    const [, routeProps] = resources('AWS::ApiGatewayV2::Route').find(([, p]) => p.RouteKey === route.route) ?? [];
    expect(routeProps).toBeDefined();
    expect(routeProps?.AuthorizationType).toBe(route.route === '$connect' ? 'CUSTOM' : 'NONE');
    const target = JSON.stringify(routeProps?.Target);
    const [, integration] = resources('AWS::ApiGatewayV2::Integration').find(([id]) => target.includes(`"${id}"`)) ?? [];
    expect(integration?.IntegrationType).toBe('AWS_PROXY');
    expect(JSON.stringify(integration?.IntegrationUri)).toContain(`"${functionLogicalId(demo.stack, route.fn)}"`);
  });

  it('authorizes $connect with the Lambda REQUEST authorizer on the widget key', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      IdentitySource: declaration.wsAuthorizer.identityQueryParams.map((p) => `route.request.querystring.${p}`),
      AuthorizerUri: { 'Fn::Join': ['', Match.arrayWith([getAtt(functionLogicalId(demo.stack, declaration.wsAuthorizer.fn))])] },
    });
  });

  it('deploys a throttled stage with access logs', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: 'live',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('\\$context.connectionId') },
    });
  });
});

describe('EventBridge', () => {
  it.each(declaration.eventRules.map((r) => [r.name, r] as const))('rule %s matches its pattern and targets its declaration', (_, rule) => {
    const target =
      'fn' in rule.target
        ? { Arn: getAtt(functionLogicalId(demo.stack, rule.target.fn)) }
        : {
            Arn: { Ref: logicalIdOf(demo.stack, demo.stack.workflows.get(rule.target.stateMachine).node.defaultChild) },
            RoleArn: Match.anyValue(),
          };
    template.hasResourceProperties('AWS::Events::Rule', {
      Description: rule.description,
      EventBusName: { Ref: Match.stringLikeRegexp('^EventsBus') },
      EventPattern: {
        ...(rule.pattern.source ? { source: rule.pattern.source } : {}),
        ...(rule.pattern['detail-type'] ? { 'detail-type': rule.pattern['detail-type'] } : {}),
      },
      Targets: [Match.objectLike({ ...target, DeadLetterConfig: { Arn: Match.anyValue() }, RetryPolicy: Match.anyValue() })],
    });
  });

  it('has no rule that is not declared', () => {
    template.resourceCountIs('AWS::Events::Rule', declaration.eventRules.length + declaration.schedules.length);
  });
});

describe('Step Functions', () => {
  it.each(machineNames)('%s: loads its ASL file and substitutes every ${...} placeholder', (name) => {
    const decl: declaration.StateMachineDecl = declaration.stateMachines[name];
    const asl = readFileSync(fromRepoRoot(decl.file), 'utf8');
    const placeholders = aslPlaceholders(asl);
    expect(placeholders.length).toBeGreaterThan(0);
    const machineId = logicalIdOf(demo.stack, demo.stack.workflows.get(name).node.defaultChild);
    const [, props] = resources('AWS::StepFunctions::StateMachine').find(([id]) => id === machineId) ?? [];
    // DefinitionBody.fromFile ships the ASL as an asset next to the template.
    expect(props).toMatchObject({ DefinitionS3Location: { Bucket: expect.anything(), Key: expect.stringMatching(/\.json$/) } });
    const substitutions = isRecord(props?.DefinitionSubstitutions) ? props.DefinitionSubstitutions : {};
    expect(Object.keys(substitutions).sort()).toEqual(placeholders);
    for (const [placeholder, fnName] of Object.entries(decl.functionSubstitutions)) {
      expect(substitutions[placeholder]).toEqual(getAtt(functionLogicalId(demo.stack, fnName)));
    }
    for (const [placeholder, value] of Object.entries(decl.valueSubstitutions)) {
      expect(substitutions[placeholder]).toBe(value);
    }
    expect(props).toMatchObject({
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
    });
  });

  it('lets each state machine invoke exactly its task functions', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: getAtt(functionLogicalId(demo.stack, 'workflowTask')) },
        ]),
      },
    });
  });
});

describe('staff sign-in (Cognito)', () => {
  it('is admin-created, email sign-in, strong passwords, threat protection, immutable tenantId', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      UsernameAttributes: ['email'],
      Policies: {
        PasswordPolicy: Match.objectLike({
          MinimumLength: 12,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
        }),
      },
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
      UserPoolTier: 'PLUS',
      Schema: Match.arrayWith([
        Match.objectLike({ Name: 'tenantId', AttributeDataType: 'String', Mutable: false }),
      ]),
    });
  });

  it('has the admin and agent groups', () => {
    for (const group of ['admin', 'agent']) {
      template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: group });
    }
  });

  it('has one public app client for password, SRP and refresh sign-in', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      ExplicitAuthFlows: Match.arrayEquals(['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']),
      ReadAttributes: Match.arrayWith(['custom:tenantId']),
      WriteAttributes: Match.not(Match.arrayWith(['custom:tenantId'])),
    });
  });
});

describe('widget hosting and admin UI hosting', () => {
  it('keeps the widget bucket private and encrypted behind CloudFront OAC, HTTPS only', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: Match.anyValue(),
      LoggingConfiguration: Match.anyValue(),
    });
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'https-only' }),
        Logging: Match.anyValue(),
      }),
    });
  });

  it('uploads only config.json when dist/widget does not exist', () => {
    expect(demo.stack.widget.includesWidgetFiles).toBe(false);
    template.hasResourceProperties('Custom::CDKBucketDeployment', {
      SourceObjectKeys: Match.arrayEquals([Match.anyValue()]),
      SourceMarkers: [Match.objectLike({})],
      DistributionPaths: ['/*'],
    });
  });

  it('hosts the admin UI on Amplify with manual deployments and the ids it needs', () => {
    template.hasResourceProperties('AWS::Amplify::App', { Platform: 'WEB', Repository: Match.absent() });
    template.hasResourceProperties('AWS::Amplify::Branch', {
      EnableAutoBuild: false,
      EnvironmentVariables: Match.arrayWith([
        Match.objectLike({ Name: 'VITE_API_URL' }),
        Match.objectLike({ Name: 'VITE_USER_POOL_ID' }),
        Match.objectLike({ Name: 'VITE_USER_POOL_CLIENT_ID' }),
      ]),
    });
  });
});

describe('the demo environment stays small and portable', () => {
  it('has no OpenSearch Serverless collection (vectors live in the table)', () => {
    template.resourceCountIs('AWS::OpenSearchServerless::Collection', 0);
    template.resourceCountIs('AWS::OpenSearchServerless::SecurityPolicy', 0);
  });

  it('has no alarms without an alarm email', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    template.resourceCountIs('AWS::SNS::Topic', 0);
  });

  it('hard-codes no physical names', () => {
    const named: Array<[string, string]> = [
      ['AWS::DynamoDB::Table', 'TableName'],
      ['AWS::Lambda::Function', 'FunctionName'],
      ['AWS::S3::Bucket', 'BucketName'],
      ['AWS::StepFunctions::StateMachine', 'StateMachineName'],
      ['AWS::Logs::LogGroup', 'LogGroupName'],
      ['AWS::IAM::Role', 'RoleName'],
      ['AWS::SQS::Queue', 'QueueName'],
      ['AWS::Cognito::UserPool', 'UserPoolName'],
    ];
    for (const [type, property] of named) {
      for (const [id, props] of resources(type)) expect([id, props[property]]).toEqual([id, undefined]);
    }
  });

  it('publishes every URL and id as an output', () => {
    const outputs = Object.keys(template.findOutputs('*'));
    expect(outputs).toEqual(
      expect.arrayContaining([
        'RestApiUrl',
        'WebSocketUrl',
        'UserPoolId',
        'UserPoolClientId',
        'TableName',
        'EventBusName',
        'BookingStateMachineArn',
        'HandoffStateMachineArn',
        'WidgetCdnUrl',
        'WidgetDistributionId',
        'AdminAppId',
        'AdminUrl',
        'AdminConfigJson',
      ]),
    );
    // The admin UI's config.json: the fields frontend/src/lib/config.ts reads.
    const adminConfig = JSON.stringify(template.findOutputs('AdminConfigJson'));
    for (const field of ['apiUrl', 'wsUrl', 'region', 'userPoolId', 'userPoolClientId']) expect(adminConfig).toContain(`\\"${field}\\"`);
  });
});

describe('cdk-nag acknowledgements', () => {
  /** Every acknowledgement in the tree: [construct path, rule id, reason]. */
  function acknowledgements(): Array<[string, string, string]> {
    const out: Array<[string, string, string]> = [];
    for (const construct of demo.stack.node.findAll()) {
      for (const entry of construct.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || !isRecord(entry.data)) continue;
        for (const [id, reason] of Object.entries(entry.data)) out.push([construct.node.path, id, JSON.stringify(reason)]);
      }
    }
    return out;
  }

  it('each carries a specific written reason', () => {
    const acks = acknowledgements();
    expect(acks.length).toBeGreaterThan(0);
    for (const [where, id, reason] of acks) expect([where, id, reason.length > 40]).toEqual([where, id, true]);
  });

  it('never acknowledges a whole rule family where cdk-nag reports findings one by one', () => {
    const bare = acknowledgements().filter(([, id]) => /AwsSolutions-IAM[45]$/.test(id));
    expect(bare).toEqual([]);
  });
});
