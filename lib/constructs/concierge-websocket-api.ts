import { Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { LogGroupLogDestination, WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { WebSocketRouteOptions } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IDependable } from 'constructs';
import { Construct } from 'constructs';
import type { FunctionName, WsRouteDecl } from '../declaration';
import type { Throttling } from './concierge-rest-api';
import { acknowledgeNag } from './nag';

/** Properties of {@link ConciergeWebSocketApi}. */
export interface ConciergeWebSocketApiProps {
  /** Every WebSocket route of the declaration (`$connect` is required). */
  readonly routes: readonly WsRouteDecl[];
  /** How API Gateway picks the route of a frame, e.g. `$request.body.action`. */
  readonly routeSelectionExpression: string;
  /** The function behind a declared function name. */
  readonly functionFor: (name: FunctionName) => IFunction;
  /** The REQUEST authorizer of `$connect` and the query parameters that identify a caller. */
  readonly authorizer: { readonly handler: IFunction; readonly identityQueryParams: readonly string[] };
  /**
   * Stage name; the last segment of the wss:// URL.
   * @default 'live'
   */
  readonly stageName?: string;
  /**
   * Stage message limits.
   * @default { rateLimit: 50, burstLimit: 100 }
   */
  readonly throttling?: Throttling;
  /**
   * Retention of the access log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * What the stage must wait for before logging (the account's API Gateway logging role).
   * @default - nothing
   */
  readonly loggingDependsOn?: IDependable;
}

/**
 * The widget's WebSocket API: every declared route to its Lambda function, a
 * Lambda REQUEST authorizer on `$connect` (identity from query parameters),
 * an auto-deployed stage with throttling and JSON access logs.
 */
export class ConciergeWebSocketApi extends Construct {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;

  constructor(scope: Construct, id: string, props: ConciergeWebSocketApiProps) {
    super(scope, id);
    const routeKeys = props.routes.map((r) => r.route);
    const duplicate = routeKeys.find((key, i) => routeKeys.indexOf(key) !== i);
    if (duplicate) throw new Error(`WebSocket route "${duplicate}" is declared twice`);

    const authorizer = new WebSocketLambdaAuthorizer('ConnectAuthorizer', props.authorizer.handler, {
      identitySource: props.authorizer.identityQueryParams.map((p) => `route.request.querystring.${p}`),
    });
    const options = (route: WsRouteDecl): WebSocketRouteOptions => ({
      integration: new WebSocketLambdaIntegration(`${routeId(route.route)}Integration`, props.functionFor(route.fn)),
      ...(route.route === '$connect' ? { authorizer } : {}),
    });
    const find = (key: string) => props.routes.find((r) => r.route === key);
    const connect = find('$connect');
    if (!connect) throw new Error('The WebSocket API needs a $connect route');
    const disconnect = find('$disconnect');
    const fallback = find('$default');

    this.api = new WebSocketApi(this, 'Api', {
      apiName: `${Stack.of(this).stackName}-widget`,
      description: 'Concierge widget WebSocket API',
      routeSelectionExpression: props.routeSelectionExpression,
      connectRouteOptions: options(connect),
      disconnectRouteOptions: disconnect ? options(disconnect) : undefined,
      defaultRouteOptions: fallback ? options(fallback) : undefined,
    });
    for (const route of props.routes.filter((r) => !r.route.startsWith('$'))) {
      this.api.addRoute(route.route, options(route));
    }

    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention ?? RetentionDays.ONE_MONTH });
    const throttling = props.throttling ?? { rateLimit: 50, burstLimit: 100 };
    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: props.stageName ?? 'live',
      autoDeploy: true,
      throttle: { rateLimit: throttling.rateLimit, burstLimit: throttling.burstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            connectionId: '$context.connectionId',
            eventType: '$context.eventType',
            routeKey: '$context.routeKey',
            status: '$context.status',
            requestTime: '$context.requestTime',
            sourceIp: '$context.identity.sourceIp',
            integrationError: '$context.integration.error',
            authorizerError: '$context.authorizer.error',
          }),
        ),
      },
    });
    if (props.loggingDependsOn) this.stage.node.addDependency(props.loggingDependsOn);

    for (const route of props.routes.filter((r) => r.route !== '$connect')) {
      const construct = this.api.node.tryFindChild(`${route.route}-Route`);
      if (!construct) throw new Error(`WebSocket route ${route.route} was not created`);
      acknowledgeNag(
        construct,
        'AwsSolutions-APIG4',
        `${route.route} runs on an already authorized connection: API Gateway only supports authorizers on $connect, which checks the widget key and origin.`,
      );
    }
  }

  /** The wss:// URL of the stage. */
  get url(): string {
    return this.stage.url;
  }
}

function routeId(route: string): string {
  return route.replace(/^\$/, '').replace(/^./, (c) => c.toUpperCase());
}
