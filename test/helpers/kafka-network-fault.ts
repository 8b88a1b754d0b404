/**
 * A broker outage as one client sees it, without stopping the shared broker
 * other tests use: a kafkajs `socketFactory` whose connections can be cut
 * (reset, like a crashed broker) and refused until the "broker" is back.
 */
import { connect, type Socket } from 'node:net';
import type { ISocketFactory } from 'kafkajs';

export interface NetworkFault {
  readonly socketFactory: ISocketFactory;
  /** Resets every open connection and refuses new ones. */
  down(): void;
  up(): void;
}

/** Port 1 on loopback: nothing listens there, so a connect is refused at once. */
const REFUSING_PORT = 1;

export function createNetworkFault(): NetworkFault {
  const open = new Set<Socket>();
  let isDown = false;
  return {
    socketFactory: ({ host, port, onConnect }) => {
      const socket = connect({ host: isDown ? '127.0.0.1' : host, port: isDown ? REFUSING_PORT : port }, onConnect);
      socket.setKeepAlive(true, 60_000);
      open.add(socket);
      socket.once('close', () => open.delete(socket));
      return socket;
    },
    down() {
      isDown = true;
      // What a client sees when the broker dies: an ECONNRESET error on each open connection.
      for (const s of open) s.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -104 }));
    },
    up() {
      isDown = false;
    },
  };
}
