import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  AccountRecovery,
  ClientAttributes,
  FeaturePlan,
  Mfa,
  StandardThreatProtectionMode,
  StringAttribute,
  UserPool,
  UserPoolClient,
  UserPoolGroup,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { acknowledgeNag } from './nag';

/** The Cognito groups staff belong to. */
export const STAFF_GROUPS = {
  admin: 'Owners and managers: knowledge base, settings, staff, data requests',
  agent: 'Staff who take handoffs and answer customers in the inbox',
} as const;

/** Properties of {@link StaffUserPool}. */
export interface StaffUserPoolProps {
  /**
   * Multi-factor authentication with an authenticator app (TOTP).
   * @default 'required'
   */
  readonly mfa?: 'optional' | 'required';
  /**
   * What happens to the pool (and every staff account) when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Staff sign-in: a Cognito user pool without self sign-up, email sign-in, a
 * strong password policy, threat protection enforced, the immutable
 * `custom:tenantId` attribute, groups `admin` and `agent`, and one public app
 * client for the admin UI (USER_PASSWORD_AUTH, USER_SRP_AUTH, refresh; no secret).
 */
export class StaffUserPool extends Construct {
  readonly userPool: UserPool;
  readonly client: UserPoolClient;
  readonly groups: Readonly<Record<keyof typeof STAFF_GROUPS, UserPoolGroup>>;

  constructor(scope: Construct, id: string, props: StaffUserPoolProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const mfa = props.mfa ?? 'required';

    this.userPool = new UserPool(this, 'Pool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true }, fullname: { required: false, mutable: true } },
      customAttributes: { tenantId: new StringAttribute({ mutable: false, minLen: 1, maxLen: 64 }) },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: mfa === 'required' ? Mfa.REQUIRED : Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: FeaturePlan.PLUS,
      standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
    if (mfa === 'optional') {
      acknowledgeNag(
        this.userPool,
        'AwsSolutions-COG2',
        'MFA is optional in this tenant environment (demo): staff may enrol TOTP; threat protection still blocks risky sign-ins. Production environments require MFA.',
      );
    }

    this.groups = {
      admin: new UserPoolGroup(this, 'AdminGroup', { userPool: this.userPool, groupName: 'admin', description: STAFF_GROUPS.admin, precedence: 0 }),
      agent: new UserPoolGroup(this, 'AgentGroup', { userPool: this.userPool, groupName: 'agent', description: STAFF_GROUPS.agent, precedence: 10 }),
    };

    this.client = this.userPool.addClient('AdminUi', {
      generateSecret: false,
      authFlows: { userPassword: true, userSrp: true },
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
      disableOAuth: true,
      readAttributes: new ClientAttributes()
        .withStandardAttributes({ email: true, emailVerified: true, fullname: true })
        .withCustomAttributes('tenantId'),
      writeAttributes: new ClientAttributes().withStandardAttributes({ fullname: true }),
    });
  }
}
