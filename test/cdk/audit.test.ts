/**
 * The audit log is append-only in IAM too: every function that may write the table carries an explicit Deny of
 * UpdateItem / DeleteItem / BatchWriteItem / PartiQL update and delete on the audit partitions, the staff
 * authorizer may only PutItem there, and the audit API only reads. The IAM pattern matches the audit partition
 * keys.ts builds and no other partition. cdk-nag stays clean.
 */
import * as declaration from '../../lib/declaration';
import { AUDIT_DENIED_ACTIONS, AUDIT_LEADING_KEYS } from '../../lib/constructs/concierge-function';
import { keys } from '../../lambdas/adapters/dynamo/keys';
import { synthesize, type Synthesized } from './support/synth';

let demo: Synthesized;
beforeAll(() => {
  demo = synthesize('demo');
});

const functionNames = Object.keys(declaration.functions).filter((n): n is declaration.FunctionName => n in declaration.functions);
const declaring = (grant: declaration.Grant) => functionNames.filter((name) => declaration.functions[name].grants.some((g: declaration.Grant) => g === grant));

interface Statement {
  readonly Effect: string;
  readonly Action: string | readonly string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** The statements of the IAM policies attached to a declared function's role. */
function statementsOf(name: declaration.FunctionName): Statement[] {
  const roleRef = demo.stack.resolve(demo.stack.functions.get(name).role.roleName);
  const policies = Object.values(demo.template.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([roleRef]));
  return policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

const actionsOf = (s: Statement): string[] => (typeof s.Action === 'string' ? [s.Action] : [...s.Action]);
const tableArn = () => demo.stack.resolve(demo.stack.table.table.tableArn);

/** IAM's StringLike: `*` any characters, `?` one character. */
function stringLike(pattern: string, value: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return regex.test(value);
}

describe('audit entries cannot be changed or removed through IAM', () => {
  it('has functions to check', () => {
    expect(declaring('table:write').length).toBeGreaterThanOrEqual(10);
  });

  it.each(declaring('table:write'))('%s: Deny update, delete and batch writes on the audit partitions of its table', (name) => {
    const denies = statementsOf(name).filter((s) => s.Effect === 'Deny');
    expect(denies).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: expect.arrayContaining(['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:PartiQLUpdate', 'dynamodb:PartiQLDelete']),
        Resource: tableArn(),
        Condition: { 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': [AUDIT_LEADING_KEYS] } },
      }),
    );
    // The Deny covers every action of the grant that can change or remove an existing item, except PutItem (appends).
    const allowed = statementsOf(name).filter((s) => s.Effect === 'Allow').flatMap(actionsOf);
    const mutating = allowed.filter((a) => /^dynamodb:(Update|Delete|BatchWrite|PartiQL(Update|Delete))/.test(a));
    for (const action of mutating) expect(AUDIT_DENIED_ACTIONS).toContain(action);
  });

  it('the staff authorizer may only PutItem on audit partitions, and read nothing of the table', () => {
    const table = statementsOf('staffAuthorizer').filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(table).toEqual([
      {
        Effect: 'Allow',
        Action: 'dynamodb:PutItem',
        Resource: tableArn(),
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [AUDIT_LEADING_KEYS] }, Null: { 'dynamodb:LeadingKeys': 'false' } },
      },
    ]);
  });

  it('the audit API only reads', () => {
    const actions = statementsOf('auditApi').flatMap(actionsOf).filter((a) => a.startsWith('dynamodb:'));
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:GetItem']));
    expect(actions.filter((a) => /Put|Update|Delete|Write/.test(a))).toEqual([]);
  });

  it('the pattern matches every audit partition and no other partition keys.ts builds', () => {
    for (const tenant of ['demo', 'matrix-b', 'a1']) expect(stringLike(AUDIT_LEADING_KEYS, keys.auditPartition(tenant))).toBe(true);
    const others = [
      keys.tenantProfile('demo').pk,
      keys.kbPartition('demo', 3),
      keys.conversationPartition('demo', 'c_AUDIT1'),
      keys.dailyStats('demo', '2026-01-01').pk,
      keys.inboxPartition('demo'),
      keys.staffPartition('demo'),
      keys.outboxPartition('demo'),
      keys.bookingPartition('demo', 'b_12345'),
      keys.integrationPartition('demo'),
      keys.channelOutboxPartition('demo'),
      keys.customerPartition('demo', 'email:someone@example.com'),
    ];
    for (const pk of others) expect({ pk, matches: stringLike(AUDIT_LEADING_KEYS, pk) }).toEqual({ pk, matches: false });
  });

  it('cdk-nag reports nothing unacknowledged, with the AWS-managed and with a customer-managed table key', () => {
    const report = (s: Synthesized) => s.nag.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(report(demo)).toEqual([]);
    // With a customer-managed key the authorizer also needs the key for its PutItem.
    const cmk = synthesize('demo', { overrides: { tableEncryption: 'customer-managed' } });
    expect(report(cmk)).toEqual([]);
    const authorizerRole = cmk.stack.resolve(cmk.stack.functions.get('staffAuthorizer').role.roleName);
    const policies = Object.values(cmk.template.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([authorizerRole]));
    expect(JSON.stringify(policies)).toContain('kms:GenerateDataKey');
  });
});
