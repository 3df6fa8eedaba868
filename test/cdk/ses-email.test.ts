/**
 * `email:send`: with an SES sender in the environment, exactly the functions declaring the grant may call
 * `ses:SendEmail`, on that identity (and configuration set) and with that From address, and get the
 * variables that pick the SES adapter; without one, nobody may, and e-mail stays in the outbox.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { resolveTenantEnvironment, sesIdentityCovers } from '../../lib/config';
import * as declaration from '../../lib/declaration';
import { environments } from '../../lib/environments';
import { functionLogicalId, synthesize } from './support/synth';
import type { Synthesized } from './support/synth';

let withSes: Synthesized;
let withoutSes: Synthesized;
beforeAll(() => {
  withSes = synthesize('demo', { overrides: { sesSender: { from: 'concierge@mail.example.com', identity: 'example.com', configurationSet: 'concierge-events' } } });
  withoutSes = synthesize('demo');
});

const functionNames = Object.keys(declaration.functions).filter((n): n is declaration.FunctionName => n in declaration.functions);
const senders = functionNames.filter((name) => declaration.functions[name].grants.some((g: declaration.Grant) => g === 'email:send'));

/** The policy documents attached to a function's role, as JSON text. */
function policiesOf(s: Synthesized, name: declaration.FunctionName): string {
  const roleRef = JSON.stringify([s.stack.resolve(s.stack.functions.get(name).role.roleName)]);
  return Object.values(s.template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties?.Roles) === roleRef)
    .map((p) => JSON.stringify(p.Properties?.PolicyDocument))
    .join('\n');
}

function environmentOf(s: Synthesized, name: declaration.FunctionName): Record<string, unknown> {
  const fn = s.template.findResources('AWS::Lambda::Function')[functionLogicalId(s.stack, name)];
  const variables: unknown = fn?.Properties?.Environment?.Variables;
  return typeof variables === 'object' && variables !== null ? { ...variables } : {};
}

it('the workflow tasks, the booking events function and the team API (local invitations) are the ones that send e-mail', () => {
  expect(senders.sort()).toEqual(['bookingEvents', 'bookingsApi', 'teamApi', 'workflowTask']);
});

describe('with an SES sender', () => {
  it('grants ses:SendEmail on the identity and configuration set, for that From address only', () => {
    const sesArn = (resource: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ses:us-east-1:', { Ref: 'AWS::AccountId' }, `:${resource}`]] });
    withSes.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: 'ses:SendEmail',
            Effect: 'Allow',
            Resource: [sesArn('identity/example.com'), sesArn('configuration-set/concierge-events')],
            Condition: { StringEquals: { 'ses:FromAddress': 'concierge@mail.example.com' } },
          },
        ]),
      },
    });
  });

  it.each(functionNames)('%s: may send e-mail and is configured for SES exactly when it declares email:send', (name) => {
    const sends = senders.includes(name);
    expect(policiesOf(withSes, name).includes('ses:SendEmail')).toBe(sends);
    const env = environmentOf(withSes, name);
    if (sends) {
      expect(env).toMatchObject({ EMAIL_PROVIDER: 'ses', EMAIL_FROM: 'concierge@mail.example.com', SES_CONFIGURATION_SET: 'concierge-events' });
    } else {
      expect(env).not.toHaveProperty('EMAIL_PROVIDER');
      expect(env).not.toHaveProperty('EMAIL_FROM');
    }
  });

  it('passes cdk-nag', () => {
    expect(withSes.nag.violations.map((v) => v.ruleName)).toEqual([]);
  });
});

describe('without an SES sender', () => {
  it('grants no SES action to any function and leaves e-mail to the outbox', () => {
    for (const name of functionNames) {
      expect(policiesOf(withoutSes, name)).not.toContain('ses:');
      expect(environmentOf(withoutSes, name)).not.toHaveProperty('EMAIL_PROVIDER');
    }
  });
});

describe('sesSender configuration', () => {
  const demo = environments['demo'];
  const resolve = (sesSender: unknown) => () => resolveTenantEnvironment('demo', { demo: { ...demo, sesSender } });

  it('defaults the identity to the domain of the From address', () => {
    expect(resolve({ from: 'hello@clinic.example.com' })().sesSender).toEqual({ from: 'hello@clinic.example.com' });
  });

  it('refuses an identity that does not cover the From address, or a malformed one, naming the field', () => {
    expect(resolve({ from: 'hello@clinic.example.com', identity: 'other.com' })).toThrow(/sesSender\.identity: must be the domain of from/);
    expect(resolve({ from: 'not-an-address' })).toThrow(/sesSender\.from/);
    expect(resolve({ from: 'a@example.com', configurationSet: 'has spaces' })).toThrow(/sesSender\.configurationSet/);
  });

  it.each([
    ['example.com', 'a@example.com', true],
    ['example.com', 'a@mail.example.com', true],
    ['a@example.com', 'A@Example.com', true],
    ['example.com', 'a@badexample.com', false],
    ['b@example.com', 'a@example.com', false],
  ])('identity %s covers %s: %s', (identity, from, covers) => {
    expect(sesIdentityCovers(identity, from)).toBe(covers);
  });
});
