/**
 * A few WebSocket connections to one Gremlin Server, used round-robin. The JS driver opens one
 * WebSocket per DriverRemoteConnection and leaves a request hanging when that socket dies, so a
 * closed connection is retired here: its pending requests fail as retriable, and the slot opens
 * a fresh connection on next use.
 */
import * as gremlin from 'gremlin';
import type { Logger } from 'pino';
import { GremlinStoreError } from './gremlin-store-error';

type GraphTraversalSource = gremlin.process.GraphTraversalSource;
type GraphTraversal = gremlin.process.GraphTraversal;

export interface GremlinConnectionOptions {
  readonly url: string;
  readonly traversalSource: string;
  readonly connections: number;
  /** Longest a request may wait for its answer before it is failed as retriable. */
  readonly requestTimeoutMs: number;
  readonly logger?: Logger;
}

interface Slot {
  readonly connection: gremlin.driver.DriverRemoteConnection;
  readonly g: GraphTraversalSource;
  /** Rejects when the socket closes, so requests on it do not wait forever. */
  readonly closed: Promise<never>;
  dead: boolean;
  retire(reason: string): void;
}

export interface GremlinConnections {
  /** Runs one traversal, built on a connection's source, and returns all its results. */
  run<T>(build: (g: GraphTraversalSource) => GraphTraversal): Promise<T[]>;
  close(): Promise<void>;
}

export function createGremlinConnections(options: GremlinConnectionOptions): GremlinConnections {
  const slots: (Slot | null)[] = new Array(Math.max(1, options.connections)).fill(null);
  let next = 0;
  let closing = false;

  const open = (index: number): Slot => {
    const connection = new gremlin.driver.DriverRemoteConnection(options.url, {
      traversalSource: options.traversalSource,
      // The user-agent probe uses a dynamic import() that some hosts (jest's VM) refuse, leaving the socket unopened.
      enableUserAgentOnConnect: false,
    });
    let fail: (error: Error) => void = () => {};
    const closed = new Promise<never>((_, reject) => {
      fail = reject;
    });
    closed.catch(() => {});
    const slot: Slot = {
      connection,
      g: gremlin.process.AnonymousTraversalSource.traversal().withRemote(connection),
      closed,
      dead: false,
      retire: (reason) => retire(reason),
    };
    const retire = (reason: string) => {
      if (slot.dead) return;
      slot.dead = true;
      if (slots[index] === slot) slots[index] = null;
      if (!closing)
        options.logger?.warn(
          { url: options.url, slot: index, reason },
          'gremlin connection lost; reopening on next use',
        );
      fail(
        new GremlinStoreError('CONNECTION_FAILED', `GremlinStore: the connection closed (${reason})`, {
          retriable: true,
        }),
      );
      connection.close().catch(() => {});
    };
    connection.addListener('close', (code: unknown) => retire(`close code ${String(code)}`));
    connection.addListener('socketError', (error: unknown) =>
      retire(error instanceof Error ? error.message : 'socket error'),
    );
    return slot;
  };

  const take = (): Slot => {
    const index = next;
    next = (next + 1) % slots.length;
    let slot = slots[index];
    if (slot === null || slot.dead) {
      slot = open(index);
      slots[index] = slot;
    }
    return slot;
  };

  return {
    async run<T>(build: (g: GraphTraversalSource) => GraphTraversal): Promise<T[]> {
      if (closing) throw new GremlinStoreError('STORE_CLOSED', 'GremlinStore: the store is closed');
      const slot = take();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          // A socket that lets a request hang may be wedged: the next request gets a fresh one.
          slot.retire('request timed out');
          reject(
            new GremlinStoreError('SERVER_BUSY', `GremlinStore: no answer within ${options.requestTimeoutMs} ms`, {
              retriable: true,
            }),
          );
        }, options.requestTimeoutMs);
      });
      try {
        return (await Promise.race([build(slot.g).toList(), slot.closed, timeout])) as T[];
      } finally {
        clearTimeout(timer);
      }
    },
    async close(): Promise<void> {
      closing = true;
      const open = slots.filter((s): s is Slot => s !== null);
      slots.fill(null);
      await Promise.allSettled(open.map((s) => s.connection.close()));
    },
  };
}
