/**
 * `secrets:decrypt` / `secrets:encrypt`: tenants' integration credentials are envelope-encrypted under one
 * customer-managed KMS key of the stack (rotation on). Exactly the functions declaring a grant may use it —
 * Decrypt or GenerateDataKey, on that key only, only with a {tenantId, provider} encryption context — and
 * get INTEGRATIONS_KMS_KEY_ID; cdk-nag stays clean.
 */
import { Match } from 'aws-cdk-lib/assertions';
import * as declaration from '../../lib/declaration';
import { functionLogicalId, logicalIdOf, synthesize } from './support/synth';
import type { Synthesized } from './support/synth';

let s: Synthesized;
beforeAll(() => {
  s = synthesize('demo');
});

const functionNames = Object.keys(declaration.functions).filter((n): n is declaration.FunctionName => n in declaration.functions);
const declaring = (grant: declaration.Grant) => functionNames.filter((name) => declaration.functions[name].grants.some((g: declaration.Grant) => g === grant));

function policiesOf(name: declaration.FunctionName): string {
  const roleRef = JSON.stringify([s.stack.resolve(s.stack.functions.get(name).role.roleName)]);
  return Object.values(s.template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties?.Roles) === roleRef)
    .map((p) => JSON.stringify(p.Properties?.PolicyDocument))
    .join('\n');
}

function environmentOf(name: declaration.FunctionName): Record<string, unknown> {
  const fn = s.template.findResources('AWS::Lambda::Function')[functionLogicalId(s.stack, name)];
  const variables: unknown = fn?.Properties?.Environment?.Variables;
  return typeof variables === 'object' && variables !== null ? { ...variables } : {};
}

it('creates the key with rotation, kept on stack deletion', () => {
  s.template.hasResource('AWS::KMS::Key', {
    Properties: { EnableKeyRotation: true, Description: Match.stringLikeRegexp("tenants' integration credentials") },
    DeletionPolicy: 'Retain',
  });
});

it('lets the integrations API write and the credential readers read', () => {
  // webhooksApi seals the signing secrets of outbound webhook subscriptions under the same key (context provider `webhook:<id>`).
  expect(declaring('secrets:encrypt')).toEqual(['integrationsApi', 'webhooksApi']);
  expect(declaring('secrets:decrypt')).toEqual(expect.arrayContaining(['stripeWebhook', 'workflowTask', 'bookingEvents', 'bookingsApi', 'wsMessage']));
});

it.each(functionNames)('%s: uses the key exactly as it declares, with the context condition', (name) => {
  const keyArn = JSON.stringify({ 'Fn::GetAtt': [logicalIdOf(s.stack, s.stack.integrationsKey.node.defaultChild), 'Arn'] });
  const policies = policiesOf(name);
  const decrypts = declaring('secrets:decrypt').includes(name);
  const encrypts = declaring('secrets:encrypt').includes(name);
  expect(policies.includes('"kms:Decrypt"') && policies.includes(keyArn)).toBe(decrypts);
  expect(policies.includes('"kms:GenerateDataKey"')).toBe(encrypts);
  if (decrypts || encrypts) {
    expect(policies).toContain('"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["tenantId","provider"]}');
    expect(policies).toContain('"Null":{"kms:EncryptionContext:tenantId":"false","kms:EncryptionContext:provider":"false"}');
    expect(environmentOf(name)['INTEGRATIONS_KMS_KEY_ID']).toEqual(JSON.parse(keyArn));
  } else {
    expect(environmentOf(name)['INTEGRATIONS_KMS_KEY_ID']).toBeUndefined();
  }
});

it('passes cdk-nag without new findings', () => {
  expect(s.nag.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  expect(s.nag.success).toBe(true);
});
