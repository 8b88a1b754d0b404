/**
 * What the Gremlin store does for JanusGraph without a server: the vertex ids it writes (JanusGraph
 * takes only printable ASCII without "-" in custom string ids), the schema it applies (derived from
 * the model, kept in graph-schema/ddl), and how it classifies JanusGraph's errors — from a recorded
 * answer of a real JanusGraph Server (fixtures/janusgraph-lock-conflict.json).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { indexedProperties, VERTEX_LABELS } from '../../../graph-schema';
import { classifyGremlinError } from '../../../services/graph/gremlin';
import { gremlinVertexId } from '../../../services/graph/gremlin/element-encoding';
import { janusGraphSchema, janusGraphSchemaScript } from '../../../services/graph/gremlin/janusgraph-schema';

const root = join(__dirname, '..', '..', '..');

/** A driver ResponseError as the gremlin package builds it from a server's error status. */
function responseError(message: string, statusCode: number, attributes: Record<string, unknown>): Error {
  return Object.assign(new Error(message), {
    name: 'ResponseError',
    statusCode,
    statusMessage: message,
    statusAttributes: new Map(Object.entries(attributes)),
  });
}

/** Keys come from JSON text and are well-formed UTF-16 (a lone surrogate has no UTF-8 bytes of its own). */
const wellFormed = fc.string({ unit: 'binary' }).filter((s) => Buffer.from(s, 'utf8').toString('utf8') === s);

describe('gremlinVertexId', () => {
  test('keeps readable ids readable and escapes "-", "%" and everything outside printable ASCII', () => {
    expect(gremlinVertexId('Customer:C42')).toBe('Customer:C42');
    expect(gremlinVertexId('Identity:email:ann@example.com')).toBe('Identity:email:ann@example.com');
    expect(gremlinVertexId('Customer:t1-c1')).toBe('Customer:t1%2Dc1');
    expect(gremlinVertexId('Customer:100%')).toBe('Customer:100%25');
    expect(gremlinVertexId('Customer:é')).toBe('Customer:%C3%A9');
    expect(gremlinVertexId('Customer:a\tb')).toBe('Customer:a%09b');
  });

  test('is injective and yields only what JanusGraph accepts, over arbitrary Unicode keys', () => {
    fc.assert(
      fc.property(wellFormed, wellFormed, (a, b) => {
        const [x, y] = [gremlinVertexId(`Customer:${a}`), gremlinVertexId(`Customer:${b}`)];
        expect(x).toMatch(/^[\x20-\x2c\x2e-\x7e]+$/);
        expect(x === y).toBe(a === b);
        // %XX decodes back to the UTF-8 bytes of the id.
        expect(decodeURIComponent(x)).toBe(`Customer:${a}`);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('JanusGraph schema', () => {
  test('graph-schema/ddl/janusgraph-schema.groovy is the script generated from the model', () => {
    const checkedIn = readFileSync(join(root, 'graph-schema', 'ddl', 'janusgraph-schema.groovy'), 'utf8');
    expect(checkedIn).toBe(janusGraphSchemaScript());
  });

  test('has a composite index for every lookup the store starts from, and locks every merge on _up', () => {
    const schema = janusGraphSchema();
    const indexedKeys = new Set(Object.values(schema.compositeIndexes));
    expect(indexedKeys.has('c360id')).toBe(true);
    for (const label of VERTEX_LABELS) {
      for (const name of indexedProperties(label)) expect(indexedKeys.has(`x.${name}`)).toBe(true);
    }
    for (const key of indexedKeys) expect(schema.propertyKeys[key]).toBe('String');
    expect(schema.lockedKeys).toEqual(['_up']);
    expect(schema.propertyKeys['_up']).toBe('Boolean');
    expect(schema.propertyKeys['t']).toBe('Double');
    expect(schema.vertexLabels).toEqual([...VERTEX_LABELS]);
  });
});

describe('classifyGremlinError on JanusGraph answers', () => {
  test('a lost lock race at commit (recorded) is a retriable WRITE_CONFLICT', () => {
    const recorded = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'janusgraph-lock-conflict.json'), 'utf8')) as {
      message: string;
      statusCode: number;
      exceptions: string[];
      stackTraceHead: string;
    };
    const error = classifyGremlinError(
      'apply',
      responseError(recorded.message, recorded.statusCode, {
        exceptions: recorded.exceptions,
        stackTrace: recorded.stackTraceHead,
      }),
    );
    expect(error).toMatchObject({ name: 'GremlinStoreError', code: 'WRITE_CONFLICT', retriable: true });
    expect(error.cause).toBeInstanceOf(Error);
  });

  test('a storage backend timeout is retriable SERVER_BUSY', () => {
    const error = classifyGremlinError(
      'apply',
      responseError('Could not commit transaction due to exception during persistence', 500, {
        exceptions: ['org.janusgraph.core.JanusGraphException', 'org.janusgraph.diskstorage.TemporaryBackendException'],
      }),
    );
    expect(error).toMatchObject({ code: 'SERVER_BUSY', retriable: true });
  });

  test('a step the server does not have (TinkerPop 3.7 and asNumber) is not retried', () => {
    const error = classifyGremlinError(
      'traverse',
      responseError('Could not locate method: DefaultGraphTraversal.asNumber()', 599, {
        exceptions: ['java.lang.IllegalStateException'],
      }),
    );
    expect(error).toMatchObject({ code: 'TRAVERSAL_REJECTED', retriable: false });
  });
});
