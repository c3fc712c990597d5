import type { FastifyInstance } from 'fastify';
import { WebSocketServer } from 'ws';
import type { SubscriptionSockets } from '../subscriptions/ws-hub.js';

/** Where subscribers connect for the websocket channel (the `websocket-url` of $get-ws-binding-token). */
export const SUBSCRIPTION_WS_PATH = '/ws/subscriptions';
/** A client only ever sends `bind-with-token: <token>` (or `ping`): small messages. */
const MAX_MESSAGE_BYTES = 16 * 1024;

/**
 * The websocket endpoint of Subscriptions: HTTP upgrades of SUBSCRIPTION_WS_PATH become sockets of the
 * hub; any other upgrade is refused. The upgrade itself carries no credentials — what a socket receives
 * is decided by the binding tokens it presents (issued to the subscriptions' owner, checked at bind).
 */
export function registerSubscriptionSockets(app: FastifyInstance, hub: SubscriptionSockets): void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  app.server.on('upgrade', (request, socket, head) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== SUBSCRIPTION_WS_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => hub.accept(ws));
  });
  app.addHook('onClose', async () => {
    await hub.stop();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  });
}
