import { Duration, Stack } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  EndpointType,
  IdentitySource,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RequestAuthorizer,
  RequestValidator,
  ResponseType,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IDependable } from 'constructs';
import { Construct } from 'constructs';
import { corsAllowHeaders, gatewayErrors, type FunctionName, type RestRouteDecl } from '../declaration';
import { acknowledgeNag } from './nag';

/** Request limits of a stage. */
export interface Throttling {
  /** Steady-state requests per second. */
  readonly rateLimit: number;
  /** Burst capacity. */
  readonly burstLimit: number;
}

/** Properties of {@link ConciergeRestApi}. */
export interface ConciergeRestApiProps {
  /**
   * The API's name (also the `ApiName` dimension of its metrics).
   * @default '<stack name>-api'
   */
  readonly name?: string;
  /** Every REST route of the declaration. */
  readonly routes: readonly RestRouteDecl[];
  /** The function behind a declared function name. */
  readonly functionFor: (name: FunctionName) => IFunction;
  /** The REQUEST authorizer guarding `staff` and `admin` routes. */
  readonly authorizer: { readonly handler: IFunction; readonly identityHeader: string };
  /** Origins allowed by CORS (widget sites, the widget CDN, the admin UI). */
  readonly allowedOrigins: readonly string[];
  /**
   * Stage name; also the first path segment of the invoke URL.
   * @default 'live'
   */
  readonly stageName?: string;
  /**
   * Stage request limits.
   * @default { rateLimit: 50, burstLimit: 100 }
   */
  readonly throttling?: Throttling;
  /**
   * Retention of the access log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * How long API Gateway caches an authorizer decision per `Authorization` header.
   * @default Duration.minutes(5)
   */
  readonly authorizerCacheTtl?: Duration;
  /**
   * What the stage must wait for before logging (the account's API Gateway logging role).
   * @default - nothing
   */
  readonly loggingDependsOn?: IDependable;
}

/**
 * The REST API: every declared route, public routes open, `staff`/`admin`
 * routes behind the Lambda REQUEST authorizer; CORS for the allowed origins
 * (also on gateway errors, so the browser can read a 401), request
 * validation, throttling, JSON access logs, error-level execution logs and X-Ray.
 */
export class ConciergeRestApi extends Construct {
  readonly api: RestApi;
  readonly authorizer: RequestAuthorizer;
  /** The stage's name as plain text (the stage's own `stageName` is a reference to it). */
  readonly stageName: string;

  constructor(scope: Construct, id: string, props: ConciergeRestApiProps) {
    super(scope, id);
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention ?? RetentionDays.ONE_MONTH });
    const throttling = props.throttling ?? { rateLimit: 50, burstLimit: 100 };
    const allowOrigins = [...new Set(props.allowedOrigins)];
    if (allowOrigins.length === 0) throw new Error('ConciergeRestApi needs at least one allowed origin');

    this.stageName = props.stageName ?? 'live';
    this.api = new RestApi(this, 'Api', {
      restApiName: props.name ?? `${Stack.of(this).stackName}-api`,
      description: 'Concierge REST API: public widget routes and staff admin routes',
      endpointTypes: [EndpointType.REGIONAL],
      cloudWatchRole: false,
      deployOptions: {
        stageName: this.stageName,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        throttlingRateLimit: throttling.rateLimit,
        throttlingBurstLimit: throttling.burstLimit,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
      },
      defaultCorsPreflightOptions: {
        allowOrigins,
        allowMethods: [...new Set(props.routes.map((r) => r.method)), 'OPTIONS'],
        allowHeaders: [...corsAllowHeaders],
        maxAge: Duration.hours(1),
      },
    });
    if (props.loggingDependsOn) this.api.deploymentStage.node.addDependency(props.loggingDependsOn);
    // The stack publishes the URL as RestApiUrl; drop RestApi's own unnamed duplicate output.
    this.api.node.tryRemoveChild('Endpoint');

    // Authorizer denials and gateway errors carry CORS headers too, echoing the caller's origin, and answer in the
    // API's error shape (lib/declaration.ts gatewayErrors; the local gateway answers the same bodies).
    for (const error of gatewayErrors) {
      const type = ResponseType.of(error.type);
      const message = error.message === undefined ? '$context.error.messageString' : JSON.stringify(error.message);
      this.api.addGatewayResponse(`Gateway${type.responseType}`, {
        type,
        responseHeaders: {
          'Access-Control-Allow-Origin': 'method.request.header.Origin',
          Vary: "'Origin'",
        },
        ...(error.overridesStatus ? { statusCode: String(error.status) } : {}),
        templates: { 'application/json': `{"error":{"code":${JSON.stringify(error.code)},"message":${message}}}` },
      });
    }

    this.authorizer = new RequestAuthorizer(this, 'StaffAuthorizer', {
      handler: props.authorizer.handler,
      identitySources: [IdentitySource.header(props.authorizer.identityHeader)],
      resultsCacheTtl: props.authorizerCacheTtl ?? Duration.minutes(5),
    });

    const validator = new RequestValidator(this, 'Validator', {
      restApi: this.api,
      validateRequestParameters: true,
      validateRequestBody: true,
    });

    const operationIds = new Set<string>();
    for (const route of props.routes) {
      if (operationIds.has(route.operationId)) throw new Error(`operationId "${route.operationId}" is declared twice`);
      operationIds.add(route.operationId);

      const resource = this.api.root.resourceForPath(route.path);
      const pathParameters = [...route.path.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]);
      const requestParameters: Record<string, boolean> = Object.fromEntries(
        pathParameters.map((p) => [`method.request.path.${p}`, true]),
      );
      const isPublic = route.auth === 'public';
      if (!isPublic) requestParameters[`method.request.header.${props.authorizer.identityHeader}`] = true;

      const method = resource.addMethod(
        route.method,
        // One invoke permission per function for this API (not one per method): with 100+ routes,
        // per-method permissions alone would push a tenant stack past CloudFormation's 500 resources.
        new LambdaIntegration(props.functionFor(route.fn), { proxy: true, scopePermissionToMethod: false }),
        {
          operationName: route.operationId,
          requestValidator: validator,
          requestParameters,
          ...(isPublic
            ? { authorizationType: AuthorizationType.NONE }
            : { authorizationType: AuthorizationType.CUSTOM, authorizer: this.authorizer }),
        },
      );
      if (isPublic) {
        acknowledgeNag(method, 'AwsSolutions-APIG4', `${route.method} ${route.path} is public by declaration: ${route.summary}.`);
        acknowledgeNag(method, 'AwsSolutions-COG4', `${route.method} ${route.path} is public by declaration: ${route.summary}.`);
      } else {
        acknowledgeNag(
          method,
          'AwsSolutions-COG4',
          'Staff routes use a Lambda REQUEST authorizer that verifies the Cognito JWT and its tenant claim, so the same code runs against the local Cognito.',
        );
      }
    }

    acknowledgeNag(
      this.api,
      'AwsSolutions-APIG3',
      'No WAF web ACL per tenant environment (about $5+/month each for an SMB); stage throttling and the authorizer bound abuse. Add WAF for high-traffic tenants.',
    );
  }

  /** The invoke URL of the stage, ending in a slash. */
  get url(): string {
    return this.api.url;
  }
}
