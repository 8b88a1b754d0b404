/**
 * The GraphStore on Neo4j through `neo4j-driver`: `UNWIND $rows AS r MERGE …` batches whose
 * Cypher applies graph-schema's version rule itself, and reads that answer exactly what the
 * embedded store answers (the conformance suite checks both). One driver per store — the
 * composition root makes one store per process — with the database always named.
 */
import neo4j, { type Driver, type Record as Neo4jRecord, type QueryResult } from 'neo4j-driver';
import type { Logger } from 'pino';
import {
  type ApplyResult,
  type Edge,
  type EdgeLabel,
  type ElementState,
  edgeId,
  type GraphBatch,
  type GraphStore,
  isLive,
  type JsonValue,
  type Neighbor,
  type NeighborQuery,
  type Page,
  type PageRequest,
  parseVertexId,
  type StoredState,
  type StoreStats,
  type TimelineItem,
  type TimelineQuery,
  type Vertex,
  type VertexLabel,
  visibleProps,
  visibleVersion,
} from '../../../graph-schema';
import { encodeCursor } from './cursor';
import {
  checkFirst,
  decodeSearchCursor,
  getVerticesStatement,
  lookupStatement,
  neighborsStatement,
  scanStatesStatement,
  searchStatement,
  statsStatement,
  timelineStatement,
} from './cypher-reads';
import { AWAIT_INDEXES, schemaStatements } from './cypher-schema';
import { type CypherStatement, DEFAULT_BATCH_SIZE, planWriteTransactions, validateBatch } from './cypher-writes';
import { classifyDriverError, Neo4jStoreError } from './neo4j-store-error';
import { fromIdKey } from './sort-key';
import { decodeState, toNumber } from './stored-element';

const SCHEMA_RULE_EXISTS = 'Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists';

export interface Neo4jStoreOptions {
  /** `bolt://host:7687` or `neo4j://…` (routing). */
  readonly url: string;
  readonly user: string;
  readonly password: string;
  /** Always named: a session without one costs a round trip to resolve the home database. */
  readonly database: string;
  readonly logger?: Logger;
  /** Rows per UNWIND statement and per write transaction (default 5000, see docs/benchmarks.md). */
  readonly batchSize?: number;
  /** Seconds to wait at startup for the indexes to come online (default 300). */
  readonly indexTimeoutSeconds?: number;
  /** Connection pool size of the driver (default 50, the driver's default is 100). */
  readonly maxConnectionPoolSize?: number;
}

export interface Neo4jGraphStore extends GraphStore {
  readonly kind: 'neo4j';
  readonly database: string;
  /**
   * Runs a parameterized read query (features that compile to Cypher: segment previews);
   * driver errors are translated like every other read. Records as plain objects.
   */
  readCypher(query: {
    readonly text: string;
    readonly params: Record<string, unknown>;
  }): Promise<Record<string, unknown>[]>;
}

export async function createNeo4jStore(options: Neo4jStoreOptions): Promise<Neo4jGraphStore> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Neo4jStoreError(
      'STORE_OPEN_FAILED',
      `createNeo4jStore: batchSize must be a positive integer, got ${batchSize}`,
    );
  }
  const logger = options.logger;
  let driver: Driver;
  try {
    driver = neo4j.driver(options.url, neo4j.auth.basic(options.user, options.password), {
      maxConnectionPoolSize: options.maxConnectionPoolSize ?? 50,
      userAgent: 'c360',
      logging: logger
        ? {
            level: 'warn',
            logger: (level, message) => {
              if (level === 'error') logger.error({ neo4j: message }, 'neo4j driver error');
              else logger.warn({ neo4j: message }, 'neo4j driver warning');
            },
          }
        : undefined,
    });
  } catch (error) {
    throw new Neo4jStoreError('STORE_OPEN_FAILED', `createNeo4jStore: cannot create a driver for ${options.url}`, {
      cause: error,
    });
  }
  try {
    await driver.verifyConnectivity({ database: options.database });
  } catch (error) {
    await driver.close();
    throw classifyDriverError('open', 'STORE_OPEN_FAILED', error);
  }
  const store = new CypherGraphStore(driver, options.database, batchSize, logger);
  try {
    await store.ensureSchema(options.indexTimeoutSeconds ?? 300);
  } catch (error) {
    await driver.close();
    throw classifyDriverError('ensureSchema', 'SCHEMA_SETUP_FAILED', error);
  }
  logger?.info({ url: options.url, database: options.database, batchSize }, 'neo4j graph store opened');
  return store;
}

class CypherGraphStore implements Neo4jGraphStore {
  readonly kind = 'neo4j' as const;
  private closed = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly driver: Driver,
    readonly database: string,
    private readonly batchSize: number,
    private readonly logger: Logger | undefined,
  ) {}

  /**
   * Schema statements cannot share a transaction with each other or with data, so each runs
   * alone. Workers starting together race on `IF NOT EXISTS`: the loser is told an equivalent
   * rule already exists, which is what it wanted.
   */
  async ensureSchema(timeoutSeconds: number): Promise<void> {
    for (const text of schemaStatements()) {
      try {
        await this.driver.executeQuery(text, {}, { database: this.database });
      } catch (error) {
        if ((error as { code?: unknown }).code !== SCHEMA_RULE_EXISTS) throw error;
      }
    }
    await this.driver.executeQuery(
      AWAIT_INDEXES,
      { timeoutSeconds: neo4j.int(timeoutSeconds) },
      { database: this.database },
    );
  }

  async apply(batch: GraphBatch): Promise<ApplyResult> {
    this.assertOpen('apply');
    validateBatch(batch);
    const result = { vertices: batch.vertices.length, edges: batch.edges.length };
    if (result.vertices === 0 && result.edges === 0) return result;
    const transactions = planWriteTransactions(batch, this.batchSize);
    const write = this.write(transactions);
    this.inFlight.add(write);
    try {
      await write;
    } finally {
      this.inFlight.delete(write);
    }
    return result;
  }

  /**
   * Transactions run one after another, so every vertex statement commits before the edge
   * statements that follow it. `executeWrite` retries a transaction on transient errors
   * (deadlocks between concurrent workers, leader changes) within the driver's retry time.
   *
   * A transaction's statements are sent without waiting for each other's results: Bolt runs
   * them in order, one after another, as if awaited one by one, but the batch pays one round
   * trip instead of one per statement. The driver does not set TCP_NODELAY, so each separate
   * round trip waited ≈ 40 ms on Nagle and delayed ACKs — more than most statements take.
   * After a failure the server ignores the statements behind it and the driver rejects them
   * with the same error, so the first failure in statement order is the cause.
   */
  private async write(transactions: readonly (readonly CypherStatement[])[]): Promise<void> {
    const session = this.driver.session({ database: this.database, defaultAccessMode: neo4j.session.WRITE });
    try {
      for (const statements of transactions) {
        await session.executeWrite(async (tx) => {
          const results = await Promise.allSettled(statements.map((s) => tx.run(s.text, s.params)));
          const failed = results.find((r) => r.status === 'rejected');
          if (failed) throw failed.reason;
        });
      }
    } catch (error) {
      const classified = classifyDriverError('apply', 'STORE_WRITE_FAILED', error);
      this.logger?.error({ err: classified, neo4jCode: classified.neo4jCode }, 'neo4j graph store write failed');
      throw classified;
    } finally {
      await session.close();
    }
  }

  private async read(operation: string, statement: CypherStatement): Promise<Neo4jRecord[]> {
    try {
      const result: QueryResult = await this.driver.executeQuery(statement.text, statement.params, {
        database: this.database,
        routing: neo4j.routing.READ,
      });
      return result.records;
    } catch (error) {
      throw classifyDriverError(operation, 'STORE_READ_FAILED', error);
    }
  }

  async readCypher(query: {
    readonly text: string;
    readonly params: Record<string, unknown>;
  }): Promise<Record<string, unknown>[]> {
    this.assertOpen('readCypher');
    const records = await this.read('readCypher', query);
    return records.map((r) => r.toObject());
  }

  async getVertices(ids: readonly string[]): Promise<(Vertex | null)[]> {
    this.assertOpen('getVertices');
    const found: (Vertex | null)[] = ids.map(() => null);
    const statement = getVerticesStatement(ids);
    if (statement === null) return found;
    for (const record of await this.read('getVertices', statement)) {
      const i = toNumber(record.get('i'));
      const state = decodeState(record.get('props'));
      if (isLive(state)) found[i] = toVertex(ids[i], state);
    }
    return found;
  }

  async neighbors(queries: readonly NeighborQuery[]): Promise<Page<Neighbor>[]> {
    this.assertOpen('neighbors');
    const statement = neighborsStatement(queries);
    const rows: Neighbor[][] = queries.map(() => []);
    const cursors: string[][] = queries.map(() => []);
    if (statement !== null) {
      for (const record of await this.read('neighbors', statement)) {
        const i = toNumber(record.get('i'));
        const label = record.get('label') as EdgeLabel;
        const rank = toNumber(record.get('rank'));
        const start = fromIdKey(record.get('sid') as string);
        const otherKey = record.get('oid') as string;
        const other = fromIdKey(otherKey);
        const from = rank === 0 ? start : other;
        const to = rank === 0 ? other : start;
        rows[i].push({
          edge: toEdge(label, from, to, decodeState(record.get('edge'))),
          vertex: toVertex(other, decodeState(record.get('other'))),
        });
        cursors[i].push(encodeCursor([label, otherKey, rank]));
      }
    }
    return queries.map((q, i) => {
      const first = q.first;
      return {
        items: rows[i].slice(0, first),
        cursors: cursors[i].slice(0, first),
        hasNextPage: rows[i].length > first,
      };
    });
  }

  async timeline(query: TimelineQuery): Promise<Page<TimelineItem>> {
    this.assertOpen('timeline');
    const statement = timelineStatement(query);
    if (statement === null) return { items: [], cursors: [], hasNextPage: false };
    const records = await this.read('timeline', statement);
    const items: TimelineItem[] = [];
    const cursors: string[] = [];
    for (const record of records.slice(0, query.first)) {
      const idKey = record.get('id') as string;
      const ts = toNumber(record.get('ts'));
      items.push({
        vertex: toVertex(fromIdKey(idKey), decodeState(record.get('props'))),
        ts,
        via: record.get('via') as EdgeLabel,
      });
      cursors.push(encodeCursor([ts, idKey]));
    }
    return { items, cursors, hasNextPage: records.length > query.first };
  }

  async lookup(label: VertexLabel, property: string, value: JsonValue): Promise<string[]> {
    this.assertOpen('lookup');
    const statement = lookupStatement(label, property, value);
    if (statement === null) return [];
    return (await this.read('lookup', statement)).map((r) => fromIdKey(r.get('id') as string));
  }

  async search(label: VertexLabel, text: string, page: PageRequest): Promise<Page<Vertex>> {
    this.assertOpen('search');
    const first = checkFirst('search', page.first);
    const after = page.after ? decodeSearchCursor(page.after) : null;
    const statement = searchStatement(label, text, first, after);
    if (statement === null) return { items: [], cursors: [], hasNextPage: false };
    const records = await this.read('search', statement);
    const rows = records.slice(0, first);
    return {
      items: rows.map((r) => toVertex(fromIdKey(r.get('id') as string), decodeState(r.get('props')))),
      cursors: rows.map((r) => encodeCursor([r.get('id') as string])),
      hasNextPage: records.length > first,
    };
  }

  async scanStates(label: VertexLabel, page: PageRequest): Promise<Page<StoredState>> {
    this.assertOpen('scanStates');
    const first = checkFirst('scanStates', page.first);
    const after = page.after ? decodeSearchCursor(page.after) : null;
    const records = await this.read('scanStates', scanStatesStatement(label, first, after));
    const items = records.slice(0, first).map((r) => ({
      id: fromIdKey(r.get('id') as string),
      props: visibleProps(decodeState(r.get('props'))),
    }));
    return {
      items,
      cursors: records.slice(0, first).map((r) => encodeCursor([r.get('id') as string])),
      hasNextPage: records.length > first,
    };
  }

  async stats(): Promise<StoreStats> {
    this.assertOpen('stats');
    const vertices: Record<string, number> = {};
    const edges: Record<string, number> = {};
    for (const record of await this.read('stats', statsStatement())) {
      const count = toNumber(record.get('count'));
      if (count === 0) continue;
      const target = record.get('kind') === 'v' ? vertices : edges;
      for (const label of record.get('labels') as string[]) target[label] = (target[label] ?? 0) + count;
    }
    return { vertices, edges } as StoreStats;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A batch a caller is awaiting finishes before the driver goes away.
    await Promise.allSettled([...this.inFlight]);
    await this.driver.close();
    this.logger?.info({ database: this.database }, 'neo4j graph store closed');
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new Neo4jStoreError('STORE_CLOSED', `Neo4jStore.${operation}: the store is closed`);
  }
}

function toVertex(id: string, state: ElementState): Vertex {
  const ref = parseVertexId(id);
  return {
    id,
    label: ref?.label as VertexLabel,
    key: ref?.key ?? '',
    props: visibleProps(state),
    version: visibleVersion(state) ?? '',
  };
}

function toEdge(label: EdgeLabel, from: string, to: string, state: ElementState): Edge {
  return {
    id: edgeId(label, from, to),
    label,
    from,
    to,
    props: visibleProps(state),
    version: visibleVersion(state) ?? '',
  };
}
