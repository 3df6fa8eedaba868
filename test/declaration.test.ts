/**
 * One declaration, two clouds: the synthesised CDK stack and the running local
 * cloud are each read back and compared with lib/declaration.ts — the same
 * REST routes and their functions and auth, WebSocket routes, EventBridge rules
 * and targets, table keys and indexes, state machines and substitutions.
 */
import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { functions, eventRules, restRoutes, stateMachines, table, wsRoutes, type FunctionName } from '../lib/declaration';
import { startLocalCloud, type LocalCloud } from '../local-cloud/index';
import { synthesize } from './cdk/support/synth';

type Resource = { Type: string; Properties?: Record<string, unknown> };

const sorted = <T>(xs: readonly T[]): T[] => [...xs].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

const declaredRest = sorted(restRoutes.map((r) => ({ method: r.method, path: r.path, fn: r.fn, auth: r.auth === 'public' ? 'public' : 'token' })));
const declaredWs = sorted(wsRoutes.map((r) => ({ route: r.route, fn: r.fn })));
const declaredRules = sorted(eventRules.map((r) => ({ pattern: r.pattern, target: 'fn' in r.target ? `fn:${r.target.fn}` : `sm:${r.target.stateMachine}` })));

/** Logical ids referenced anywhere inside a CloudFormation value (Ref / Fn::GetAtt). */
function refsIn(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => refsIn(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'Ref' && typeof v === 'string') out.add(v);
      else if (k === 'Fn::GetAtt' && Array.isArray(v) && typeof v[0] === 'string') out.add(v[0]);
      else refsIn(v, out);
    }
  }
  return out;
}

describe('the CDK stack and the local cloud are built from the same declaration', () => {
  let resources: Record<string, Resource>;
  let cloud: LocalCloud;

  beforeAll(async () => {
    cloud = await startLocalCloud({ quiet: true });
    resources = synthesize('demo').template.toJSON()['Resources'] as Record<string, Resource>;
  });
  afterAll(async () => {
    await cloud?.stop();
  });

  const ofType = (type: string): [string, Resource][] => Object.entries(resources).filter(([, r]) => r.Type === type);

  /** The declared function a Lambda logical id implements (matched by its declared description). */
  function functionOf(logicalId: string): FunctionName | undefined {
    const description = resources[logicalId]?.Properties?.['Description'];
    return (Object.keys(functions) as FunctionName[]).find((fn) => functions[fn].description === description);
  }
  function functionReferencedBy(value: unknown): FunctionName | undefined {
    for (const id of refsIn(value)) {
      if (resources[id]?.Type === 'AWS::Lambda::Function') return functionOf(id);
      if (resources[id]?.Type === 'AWS::ApiGatewayV2::Integration') return functionReferencedBy(resources[id]?.Properties?.['IntegrationUri']);
    }
    return undefined;
  }

  it('has every declared function once in AWS and loadable locally', async () => {
    const deployed = ofType('AWS::Lambda::Function')
      .map(([id]) => functionOf(id))
      .filter((fn): fn is FunctionName => fn !== undefined);
    expect(sorted(deployed)).toEqual(sorted(Object.keys(functions)));
    await expect(cloud.runtime.warm()).resolves.toBeUndefined();
  });

  it('serves the same REST routes, each by the same function with the same auth', () => {
    const pathOf = (resourceId: string): string => {
      const r = resources[resourceId];
      if (!r || r.Type !== 'AWS::ApiGateway::Resource') return '';
      const parent = r.Properties?.['ParentId'];
      const parentId = [...refsIn(parent)].find((id) => resources[id]?.Type === 'AWS::ApiGateway::Resource');
      return `${parentId ? pathOf(parentId) : ''}/${String(r.Properties?.['PathPart'])}`;
    };
    const aws = ofType('AWS::ApiGateway::Method')
      .filter(([, m]) => m.Properties?.['HttpMethod'] !== 'OPTIONS')
      .map(([, m]) => {
        const resourceId = [...refsIn(m.Properties?.['ResourceId'])].find((id) => resources[id]?.Type === 'AWS::ApiGateway::Resource') ?? '';
        const integration = m.Properties?.['Integration'] as { Uri?: unknown } | undefined;
        return {
          method: String(m.Properties?.['HttpMethod']),
          path: pathOf(resourceId),
          fn: functionReferencedBy(integration?.Uri),
          auth: m.Properties?.['AuthorizationType'] === 'NONE' ? 'public' : 'token',
        };
      });
    expect(sorted(aws)).toEqual(declaredRest);

    const local = cloud.gateway.restRouteTable().map((r) => ({ method: r.method, path: r.path, fn: r.fn, auth: r.auth === 'public' ? 'public' : 'token' }));
    expect(sorted(local)).toEqual(declaredRest);
  });

  it('selects the same WebSocket routes for the same functions', () => {
    const aws = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => ({ route: String(r.Properties?.['RouteKey']), fn: functionReferencedBy(r.Properties?.['Target']) }));
    expect(sorted(aws)).toEqual(declaredWs);
    expect(sorted(cloud.gateway.wsRouteTable())).toEqual(declaredWs);
  });

  it('routes events with the same patterns to the same targets', () => {
    const aws = ofType('AWS::Events::Rule')
      .filter(([, r]) => r.Properties?.['EventPattern'] !== undefined)
      .map(([, r]) => {
        const targets = (r.Properties?.['Targets'] as { Arn: unknown }[] | undefined) ?? [];
        const ids = [...refsIn(targets.map((t) => t.Arn))];
        const fnId = ids.find((id) => resources[id]?.Type === 'AWS::Lambda::Function');
        const smId = ids.find((id) => resources[id]?.Type === 'AWS::StepFunctions::StateMachine');
        const smName = smId
          ? (Object.keys(stateMachines) as (keyof typeof stateMachines)[]).find((n) => resources[smId]?.Properties?.['StateMachineName'] === undefined && smId.toLowerCase().includes(n))
          : undefined;
        return { pattern: r.Properties?.['EventPattern'], target: fnId ? `fn:${functionOf(fnId) ?? '?'}` : `sm:${smName ?? '?'}` };
      });
    expect(sorted(aws)).toEqual(declaredRules);
    const local = cloud.bus.ruleDeclarations.map((r) => ({ pattern: r.pattern, target: 'fn' in r.target ? `fn:${r.target.fn}` : `sm:${r.target.stateMachine}` }));
    expect(sorted(local)).toEqual(declaredRules);
  });

  it('creates the same table: keys, indexes and TTL', async () => {
    const [[, t]] = ofType('AWS::DynamoDB::Table') as [[string, Resource]];
    const props = t.Properties ?? {};
    const expectedKeys = [
      { AttributeName: table.partitionKey, KeyType: 'HASH' },
      { AttributeName: table.sortKey, KeyType: 'RANGE' },
    ];
    const expectedIndexes = table.globalIndexes.map((g) => ({
      name: g.name,
      keys: [
        { AttributeName: g.partitionKey, KeyType: 'HASH' },
        { AttributeName: g.sortKey, KeyType: 'RANGE' },
      ],
    }));
    expect(props['KeySchema']).toEqual(expectedKeys);
    expect((props['GlobalSecondaryIndexes'] as { IndexName: string; KeySchema: unknown }[]).map((g) => ({ name: g.IndexName, keys: g.KeySchema }))).toEqual(expectedIndexes);
    expect(props['TimeToLiveSpecification']).toEqual({ AttributeName: table.ttlAttribute, Enabled: true });

    const ddb = new DynamoDBClient({ endpoint: cloud.urls.dynamodb, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const local = (await ddb.send(new DescribeTableCommand({ TableName: cloud.tableName }))).Table;
    expect(local?.KeySchema).toEqual(expectedKeys);
    expect(local?.GlobalSecondaryIndexes?.map((g) => ({ name: g.IndexName, keys: g.KeySchema }))).toEqual(expectedIndexes);
    const ttl = await ddb.send(new DescribeTimeToLiveCommand({ TableName: cloud.tableName }));
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe(table.ttlAttribute);
  });

  it('runs the same state machines with every placeholder substituted', () => {
    const aws = ofType('AWS::StepFunctions::StateMachine').map(([, r]) => Object.keys((r.Properties?.['DefinitionSubstitutions'] as Record<string, unknown>) ?? {}).sort());
    const declared = Object.values(stateMachines).map((m) => [...Object.keys(m.functionSubstitutions), ...Object.keys(m.valueSubstitutions)].sort());
    expect(sorted(aws)).toEqual(sorted(declared));
    expect(Object.keys(cloud.workflows.definitions()).sort()).toEqual(Object.keys(stateMachines).sort());
  });
});
