import { RemovalPolicy } from 'aws-cdk-lib';
import { CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import { ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledgeNag } from './nag';

/** Properties of {@link ApiGatewayLoggingRole}. */
export interface ApiGatewayLoggingRoleProps {
  /**
   * Kept when the stack is deleted, because the setting is per account and
   * region and other tenant environments in the account rely on it.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The account-level role API Gateway uses to write REST and WebSocket
 * execution and access logs (`AWS::ApiGateway::Account`). Stages that log
 * must depend on {@link ApiGatewayLoggingRole.account}.
 */
export class ApiGatewayLoggingRole extends Construct {
  readonly account: CfnAccount;

  constructor(scope: Construct, id: string, props: ApiGatewayLoggingRoleProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
      description: 'Lets API Gateway write execution and access logs to CloudWatch Logs',
      managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs')],
    });
    role.applyRemovalPolicy(removalPolicy);
    this.account = new CfnAccount(this, 'Account', { cloudWatchRoleArn: role.roleArn });
    this.account.applyRemovalPolicy(removalPolicy);
    acknowledgeNag(
      role,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'AWS maintains this service-role policy for exactly this purpose; API Gateway creates its own log groups, whose names are not known in advance.',
    );
  }
}
