import { CfnOutput, Duration, NestedStack, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { sesIdentityOf } from './config';
import type { TenantEnvironment } from './config';
import * as declaration from './declaration';
import { AdminUiHosting } from './constructs/admin-ui-hosting';
import { ApiGatewayLoggingRole } from './constructs/api-gateway-logging-role';
import { ConciergeEvents } from './constructs/concierge-events';
import { ConciergeFunctions } from './constructs/concierge-functions';
import { EMBEDDED_MODEL_PACKAGES, OPENSEARCH_PACKAGES } from './constructs/concierge-function';
import { ConciergeRestApi } from './constructs/concierge-rest-api';
import { ConciergeTable } from './constructs/concierge-table';
import { ConciergeWebSocketApi } from './constructs/concierge-websocket-api';
import { ConciergeWorkflows } from './constructs/concierge-workflows';
import { applyGrant } from './constructs/grants';
import type { LanguageModelAccess } from './constructs/grants';
import { OperationalAlarms } from './constructs/operational-alarms';
import { OperationsDashboard } from './constructs/operations-dashboard';
import { StaffUserPool } from './constructs/staff-user-pool';
import { VectorSearchCollection } from './constructs/vector-search-collection';
import { WidgetHosting } from './constructs/widget-hosting';
import { fromRepoRoot } from './paths';

/** Properties of {@link ConciergeStack}. */
export interface ConciergeStackProps extends StackProps {
  /** The validated tenant environment this stack deploys. */
  readonly config: TenantEnvironment;
  /**
   * Built widget files; uploaded only when the folder exists at synth time.
   * @default '<repository>/dist/widget'
   */
  readonly widgetDir?: string;
}

/**
 * One tenant environment of Concierge, built entirely from `lib/declaration.ts`:
 * functions, REST and WebSocket routes, authorizers, event rules, the table
 * and the state machines; plus staff sign-in, the optional vector
 * collection, widget hosting, admin UI hosting and alarms.
 */
export class ConciergeStack extends Stack {
  readonly functions: ConciergeFunctions;
  readonly table: ConciergeTable;
  readonly restApi: ConciergeRestApi;
  /** The nested stack that holds the REST API (its resources, methods, preflights, stage and authorizer). */
  readonly restApiStack: NestedStack;
  readonly webSocketApi: ConciergeWebSocketApi;
  readonly workflows: ConciergeWorkflows<declaration.StateMachineName>;
  readonly events: ConciergeEvents;
  readonly staff: StaffUserPool;
  readonly widget: WidgetHosting;
  readonly adminUi: AdminUiHosting;
  readonly vectors?: VectorSearchCollection;
  /** The KMS key of tenants' integration credentials. */
  readonly integrationsKey: Key;
  /** The CloudWatch dashboard of this tenant environment. */
  readonly dashboard: OperationsDashboard;

  constructor(scope: Construct, id: string, props: ConciergeStackProps) {
    super(scope, id, props);
    const { config } = props;
    const retention = config.retentionDays;
    Tags.of(this).add('concierge:environment', config.name);

    this.staff = new StaffUserPool(this, 'Staff', { mfa: config.staffMfa });
    this.table = new ConciergeTable(this, 'Data', { declaration: declaration.table, encryption: config.tableEncryption });
    // Tenants' integration credentials (Stripe, Twilio, Meta, calendars): envelope-encrypted under this key.
    this.integrationsKey = new Key(this, 'IntegrationSecretsKey', {
      description: "Encrypts tenants' integration credentials (data keys bound to tenant and provider)",
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.functions = new ConciergeFunctions(this, 'Functions', {
      declarations: declaration.functions,
      logRetention: retention,
      environment: {
        TENANT_ENVIRONMENT: config.name,
        USER_POOL_ID: this.staff.userPool.userPoolId,
        USER_POOL_CLIENT_ID: this.staff.client.userPoolClientId,
        LLM_PROVIDER: config.llmProvider,
        VECTOR_STORE: config.vectorStore,
      },
      // The functions that search or write knowledge: USE-lite's packages (embedded vector store) or the OpenSearch client.
      installedModulesFor: (_name, decl) =>
        decl.grants.some((g) => g === 'llm:invoke' || g === 'knowledge:index') ? (config.vectorStore === 'embedded' ? EMBEDDED_MODEL_PACKAGES : OPENSEARCH_PACKAGES) : [],
    });
    const functionFor = (name: declaration.FunctionName) => this.functions.get(name).fn;

    this.workflows = new ConciergeWorkflows(this, 'Workflows', {
      declarations: declaration.stateMachines,
      functionFor,
      logRetention: retention,
    });
    this.events = new ConciergeEvents(this, 'Events', {
      rules: declaration.eventRules,
      schedules: declaration.schedules,
      functionFor,
      stateMachineFor: (name) => this.workflows.get(name),
    });

    const apiLogging = new ApiGatewayLoggingRole(this, 'ApiGatewayLogging');
    this.widget = new WidgetHosting(this, 'Widget', { logRetention: retention });
    this.adminUi = new AdminUiHosting(this, 'AdminUi', { domain: config.domain });

    const widgetOrigins = [this.widget.origin, ...config.allowedWidgetOrigins];
    const adminOrigins = [this.adminUi.defaultOrigin, ...(this.adminUi.customOrigin ? [this.adminUi.customOrigin] : [])];
    const corsOrigins = [...widgetOrigins, ...adminOrigins];

    // The REST API is a nested stack of its own: a route costs a method, its resource and a CORS preflight
    // (about three resources), and with them in this stack it would pass CloudFormation's 500 resources.
    this.restApiStack = new NestedStack(this, 'RestApiStack', { description: `Concierge ${config.name}: REST API routes` });
    this.restApi = new ConciergeRestApi(this.restApiStack, 'Rest', {
      name: `${this.stackName}-api`,
      routes: declaration.restRoutes,
      functionFor,
      authorizer: { handler: functionFor(declaration.restAuthorizer.fn), identityHeader: declaration.restAuthorizer.identityHeader },
      allowedOrigins: corsOrigins,
      throttling: config.throttling,
      logRetention: retention,
      loggingDependsOn: apiLogging.account,
    });
    this.webSocketApi = new ConciergeWebSocketApi(this, 'WebSocket', {
      routes: declaration.wsRoutes,
      routeSelectionExpression: declaration.wsRouteSelectionExpression,
      functionFor,
      authorizer: { handler: functionFor(declaration.wsAuthorizer.fn), identityQueryParams: declaration.wsAuthorizer.identityQueryParams },
      throttling: config.throttling,
      logRetention: retention,
      loggingDependsOn: apiLogging.account,
    });

    this.widget.publish({
      assetsDir: props.widgetDir ?? fromRepoRoot('dist/widget'),
      runtimeConfig: { wsUrl: this.webSocketApi.url, apiUrl: this.restApi.url },
    });
    this.adminUi.setEnvironment('VITE_API_URL', this.restApi.url);
    this.adminUi.setEnvironment('VITE_WS_URL', this.webSocketApi.url);
    this.adminUi.setEnvironment('VITE_USER_POOL_ID', this.staff.userPool.userPoolId);
    this.adminUi.setEnvironment('VITE_USER_POOL_CLIENT_ID', this.staff.client.userPoolClientId);
    this.adminUi.setEnvironment('VITE_REGION', this.region);

    if (config.vectorStore === 'opensearch-serverless') {
      this.vectors = new VectorSearchCollection(this, 'Vectors', { standbyReplicas: config.opensearchStandbyReplicas });
    }

    this.applyDeclaredGrants(config);

    // Plain configuration that is not a grant: which origins may call.
    for (const fnName of new Set(declaration.restRoutes.map((r) => r.fn))) {
      this.functions.get(fnName).setEnvironment('CORS_ALLOWED_ORIGINS', this.toJsonString(corsOrigins));
    }
    // The WebSocket origin check needs no list here: each tenant's allowed origins are its widget settings (ws-authorizer.ts).
    // The widget CDN serves the loader businesses paste (shown in the admin UI's embed snippet) and the static
    // page Stripe Checkout sends a customer back to after a deposit.
    const widgetBase = `https://${this.widget.distribution.distributionDomainName}/widget`;
    this.functions.get('widgetSettingsApi').setEnvironment('WIDGET_LOADER_URL', `${widgetBase}/loader.js`);
    for (const [, f] of this.functions.all()) f.setEnvironment('CHECKOUT_RETURN_URL', `${widgetBase}/checkout-return.html`);
    // Twilio's StatusCallback URLs point under the REST API's default endpoint; built from the API id (not `api.url`,
    // whose stage would make the function depend on the deployment that depends on it).
    this.functions
      .get('channelSender')
      .setEnvironment('PUBLIC_API_URL', `https://${this.restApi.api.restApiId}.execute-api.${this.region}.${this.urlSuffix}/${this.restApi.stageName}`);

    const observed = {
      functions: Object.fromEntries(this.functions.all().map(([name, f]) => [name, f.fn])),
      stateMachines: this.workflows.all(),
      restApi: this.restApi.api,
      deadLetterQueues: {
        EventDeliveries: this.events.deadLetters,
        // Rules with their own dead-letter queue (ChannelSend: messages for customers that could not be sent).
        ...Object.fromEntries(Object.entries(this.events.ruleDeadLetters).map(([rule, queue]) => [`${rule}Deliveries`, queue])),
      },
    };
    this.dashboard = new OperationsDashboard(this, 'Operations', {
      ...observed,
      environment: config.name,
      webSocketApi: this.webSocketApi.api,
      table: this.table.table,
    });
    if (config.alarmEmail) {
      new OperationalAlarms(this, 'Alarms', {
        ...observed,
        email: config.alarmEmail,
        webSocketApi: this.webSocketApi.api,
        table: this.table.table,
        restLatencyP99Threshold: Duration.millis(config.restLatencyP99AlarmMs),
      });
    }

    this.addOutputs();
  }

  private applyDeclaredGrants(config: TenantEnvironment): void {
    const languageModel: LanguageModelAccess =
      config.llmProvider === 'bedrock'
        ? { provider: 'bedrock', modelId: config.bedrockModelId }
        : config.llmProvider === 'openai' && config.openAiSecretName !== undefined
          ? { provider: 'openai', apiKeySecret: Secret.fromSecretNameV2(this, 'OpenAiApiKey', config.openAiSecretName) }
          : { provider: 'embedded' };

    const targets = {
      table: this.table.table,
      bus: this.events.bus,
      webSocket: { api: this.webSocketApi.api, stage: this.webSocketApi.stage },
      stateMachines: this.workflows.all(),
      languageModel,
      vectorCollection: this.vectors,
      embeddingModelId: config.embeddingModelId,
      userPool: this.staff.userPool,
      integrationsKey: this.integrationsKey,
      ...(config.sesSender ? { email: { ...config.sesSender, identity: sesIdentityOf(config.sesSender) } } : {}),
    };
    for (const [name, fn] of this.functions.all()) {
      const grants: readonly declaration.Grant[] = declaration.functions[name].grants;
      for (const grant of grants) {
        if ((grant === 'workflows:start' || grant === 'workflows:callback') && this.workflows.taskFunctions.has(name)) {
          throw new Error(
            `Function "${name}" is a task of a state machine and also declares "${grant}": its STATE_MACHINE_ARNS would make ` +
              'the function and the machine depend on each other. Use a separate function for one of the two roles.',
          );
        }
        applyGrant(fn, grant, targets);
      }
    }
  }

  private addOutputs(): void {
    const output = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    output('RestApiUrl', this.restApi.url, 'REST API invoke URL');
    output('WebSocketUrl', this.webSocketApi.url, 'WebSocket URL for the widget');
    output('WebSocketManagementEndpoint', this.webSocketApi.stage.callbackUrl, 'Connection management endpoint');
    output('UserPoolId', this.staff.userPool.userPoolId, 'Staff user pool id');
    output('UserPoolClientId', this.staff.client.userPoolClientId, 'Admin UI app client id');
    output('TableName', this.table.table.tableName, 'DynamoDB table');
    output('EventBusName', this.events.bus.eventBusName, 'EventBridge bus');
    for (const [name, machine] of Object.entries(this.workflows.all())) {
      output(`${name.charAt(0).toUpperCase()}${name.slice(1)}StateMachineArn`, machine.stateMachineArn, `${name} workflow`);
    }
    output('WidgetCdnUrl', this.widget.origin, 'Widget files and config.json');
    output('WidgetBucketName', this.widget.bucket.bucketName, 'Widget bucket');
    output('WidgetDistributionId', this.widget.distribution.distributionId, 'Widget CloudFront distribution');
    output('AdminAppId', this.adminUi.app.attrAppId, 'Amplify app of the admin UI (manual deployments)');
    output('AdminBranchName', this.adminUi.branchName, 'Amplify branch to deploy to');
    output('AdminUrl', this.adminUi.defaultOrigin, 'Admin UI on the Amplify default domain');
    // The admin UI reads ./config.json at run time (frontend/src/lib/config.ts): this is its text, to put beside the build.
    output(
      'AdminConfigJson',
      this.toJsonString({ apiUrl: this.restApi.url, wsUrl: this.webSocketApi.url, region: this.region, userPoolId: this.staff.userPool.userPoolId, userPoolClientId: this.staff.client.userPoolClientId }),
      "The admin UI's config.json (save it into dist/admin before deploying the build to the Amplify branch)",
    );
    if (this.adminUi.customOrigin) output('AdminCustomUrl', this.adminUi.customOrigin, 'Admin UI on the custom domain');
    if (this.vectors) output('VectorCollectionEndpoint', this.vectors.endpoint, 'OpenSearch Serverless collection endpoint');
  }
}
