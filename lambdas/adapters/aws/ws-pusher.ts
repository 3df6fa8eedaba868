/**
 * Pushes frames to WebSocket connections through the API Gateway management
 * API (PostToConnection). In the local cloud the same client talks to the
 * local gateway's `@connections` endpoint.
 */
import { GoneException, PostToConnectionCommand, type ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import type { ConnectionPusher } from '../../core/ports';
import type { ServerFrame } from '../../core/protocol';

export class ApiGatewayPusher implements ConnectionPusher {
  constructor(private readonly client: ApiGatewayManagementApiClient) {}

  async push(connectionId: string, frame: ServerFrame): Promise<boolean> {
    try {
      await this.client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(JSON.stringify(frame)) }));
      return true;
    } catch (error) {
      if (error instanceof GoneException || (error instanceof Error && error.name === 'GoneException')) return false;
      throw error;
    }
  }
}
