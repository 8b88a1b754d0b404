/**
 * TCK-style tests of the Neo4j store's translation, without a database (neo4j/graphql does
 * the same): a GraphBatch or a read becomes Cypher text plus parameters, snapshotted so a
 * change in generated queries shows in review; data never reaches the query text.
 */
import fc from 'fast-check';
import neo4j from 'neo4j-driver';
import {
  coalesce,
  type ElementState,
  type GraphBatch,
  type JsonValue,
  type Mutation,
  makeVersion,
  type VertexLabel,
} from '../../../graph-schema';
import { Neo4jStoreError, planWriteStatements, planWriteTransactions } from '../../../services/graph/neo4j';
import {
  getVerticesStatement,
  lookupStatement,
  neighborsStatement,
  searchStatement,
  statsStatement,
  timelineStatement,
} from '../../../services/graph/neo4j/cypher-reads';
import { schemaStatements } from '../../../services/graph/neo4j/cypher-schema';
import type { CypherStatement } from '../../../services/graph/neo4j/cypher-writes';
import { classifyDriverError } from '../../../services/graph/neo4j/neo4j-store-error';
import { fromIdKey, fromVersionKey, toIdKey, toVersionKey } from '../../../services/graph/neo4j/sort-key';
import { decodeState, type StateRow, searchableSet, stateRow } from '../../../services/graph/neo4j/stored-element';

const ver = (t: number, tie = 'tck') => makeVersion(t, tie);
const customer = (key: string) => ({ label: 'Customer' as const, key });
const order = (key: string) => ({ label: 'Order' as const, key });

/** Neo4j integers (LIMIT parameters) print as `int(n)` so snapshots stay readable. */
function printable(statement: CypherStatement | null): unknown {
  if (statement === null) return null;
  return JSON.parse(
    JSON.stringify(statement.params, (_key, value) =>
      neo4j.isInt(value) ? `int(${neo4j.integer.toString(value)})` : value,
    ),
  ) as unknown;
}
function snapshotOf(statement: CypherStatement | null) {
  return statement === null ? null : { text: statement.text, params: printable(statement) };
}

const sampleBatch: GraphBatch = coalesce([
  {
    op: 'upsertVertex',
    label: 'Customer',
    key: 'c1',
    props: { name: 'Ann', email: 'ann@example.com' },
    version: ver(10),
  },
  { op: 'upsertVertex', label: 'Customer', key: 'c1', props: { email: null, plan: 'gold' }, version: ver(20) },
  { op: 'deleteVertex', label: 'Customer', key: 'c2', version: ver(15) },
  {
    op: 'upsertVertex',
    label: 'Event',
    key: 'e1',
    props: { ts: 100, properties: { sku: 'A-1', qty: [1, 2] } },
    version: ver(11),
  },
  {
    op: 'upsertEdge',
    label: 'PLACED',
    from: customer('c1'),
    to: order('o1'),
    props: { channel: 'web' },
    version: ver(12),
  },
  {
    op: 'upsertEdge',
    label: 'PERFORMED',
    from: customer('c1'),
    to: { label: 'Event', key: 'e1' },
    props: {},
    version: ver(11),
  },
  { op: 'deleteEdge', label: 'OWNS', from: customer('c1'), to: { label: 'Account', key: 'a1' }, version: ver(13) },
]);

describe('Neo4j writes: GraphBatch → UNWIND MERGE statements', () => {
  test('one statement per vertex label and per edge shape, vertices first, rows sorted by id', () => {
    const statements = planWriteStatements(sampleBatch);
    // Every write keeps its first plan (see KEEP_PLAN in cypher-writes.ts).
    expect(new Set(statements.map((s) => s.text.split('\n')[0]))).toEqual(new Set(['CYPHER replan=skip']));
    expect(statements.map((s) => s.text.split('\n')[2])).toEqual([
      'MERGE (n:Customer {c360id: r.id})',
      'MERGE (n:Event {c360id: r.id})',
      'MERGE (n:Order {c360id: r.id})',
      'MERGE (a:Customer {c360id: r.from})',
      'MERGE (a:Customer {c360id: r.from})',
      'MERGE (a:Customer {c360id: r.from})',
    ]);
    expect(statements.map((s) => s.rows)).toEqual([2, 1, 1, 1, 1, 1]);
    expect(statements.map((s) => snapshotOf(s))).toMatchSnapshot();
  });

  test('rows are chunked by batchSize and statements packed into transactions of at most batchSize rows', () => {
    const mutations: Mutation[] = [];
    for (let n = 0; n < 5; n++) {
      mutations.push({
        op: 'upsertEdge',
        label: 'PLACED',
        from: customer(`c${n}`),
        to: order(`o${n}`),
        props: {},
        version: ver(1),
      });
    }
    const batch = coalesce(mutations);
    const transactions = planWriteTransactions(batch, 4);
    expect(transactions.map((tx) => tx.map((s) => `${s.text.split('\n')[2]} ×${s.rows}`))).toEqual([
      ['MERGE (n:Customer {c360id: r.id}) ×4'],
      ['MERGE (n:Customer {c360id: r.id}) ×1'],
      ['MERGE (n:Order {c360id: r.id}) ×4'],
      ['MERGE (n:Order {c360id: r.id}) ×1'],
      ['MERGE (a:Customer {c360id: r.from}) ×4'],
      ['MERGE (a:Customer {c360id: r.from}) ×1'],
    ]);
    const rows = transactions.flat().flatMap((s) => (s.params.rows as { id: string }[]).map((r) => r.id));
    expect(rows).toHaveLength(batch.vertices.length + batch.edges.length);
    expect(planWriteTransactions({ vertices: [], edges: [] })).toEqual([]);
  });

  test('labels outside graph-schema are rejected before anything is planned', () => {
    const badVertex = {
      vertices: [{ id: 'x', label: 'Customer {x:1}) DETACH DELETE n //', key: 'k', state: emptyLive() }],
      edges: [],
    };
    const badEdge = {
      vertices: [],
      edges: [{ id: 'e', label: 'OWNS|KNOWS', from: customer('a'), to: customer('b'), state: emptyLive() }],
    };
    for (const batch of [badVertex, badEdge]) {
      expect(() => planWriteStatements(batch as unknown as GraphBatch)).toThrow(
        expect.objectContaining({ name: 'Neo4jStoreError', code: 'INVALID_ELEMENT', retriable: false }),
      );
    }
  });
});

describe('Neo4j reads: GraphStore calls → Cypher', () => {
  test('getVertices, neighbors, timeline, lookup, search, stats and the schema', () => {
    const after = Buffer.from(JSON.stringify(['OWNS', 'Account:a', 0])).toString('base64url');
    expect({
      getVertices: snapshotOf(getVerticesStatement(['Customer:c1', 'Order:o1', 'no-label', 'Customer:c2'])),
      neighbors: snapshotOf(
        neighborsStatement([
          { id: 'Customer:c1', direction: 'out', first: 2, after },
          { id: 'Identity:i1', direction: 'both', first: 5, edgeLabels: ['PLACED'], vertexLabels: ['Order'] },
          { id: 'Order:o1', direction: 'in', first: 0 },
        ]),
      ),
      timeline: snapshotOf(
        timelineStatement({ ownerIds: ['Customer:c1', 'Identity:i1', 'Customer:c1'], first: 10, labels: ['Order'] }),
      ),
      lookup: snapshotOf(lookupStatement('Identity', 'value', 'ann@example.com')),
      lookupJson: snapshotOf(lookupStatement('Customer', 'email', { a: [1] })),
      searchAll: snapshotOf(searchStatement('Segment', '', 20, null)),
      searchText: snapshotOf(searchStatement('Customer', 'AnN', 20, 'Customer:c0')),
      stats: snapshotOf(statsStatement()),
      schema: schemaStatements(),
    }).toMatchSnapshot();
  });

  test('answers that need no query, and bad requests', () => {
    expect(getVerticesStatement([])).toBeNull();
    expect(getVerticesStatement(['nolabel', 'Nope:x'])).toBeNull();
    expect(neighborsStatement([{ id: 'Nope:x', direction: 'out', first: 1 }])).toBeNull();
    expect(timelineStatement({ ownerIds: [], first: 3 })).toBeNull();
    expect(lookupStatement('Customer', 'email', null)).toBeNull();
    expect(searchStatement('Order', 'abc', 5, null)).toBeNull();
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return error instanceof Neo4jStoreError ? error.code : 'not a Neo4jStoreError';
      }
      return 'no error';
    };
    expect(code(() => lookupStatement('Customer', 'name', 'x'))).toBe('BAD_QUERY');
    expect(code(() => lookupStatement('Customer', 'email` = 1 OR true //' as never, 'x'))).toBe('BAD_QUERY');
    expect(code(() => searchStatement('Customer) DETACH DELETE n //' as VertexLabel, 'x', 1, null))).toBe('BAD_QUERY');
    expect(code(() => neighborsStatement([{ id: 'Customer:c', direction: 'out', first: -1 }]))).toBe('BAD_PAGE');
    expect(code(() => neighborsStatement([{ id: 'Customer:c', direction: 'out', first: 1, after: 'garbage' }]))).toBe(
      'BAD_CURSOR',
    );
    expect(code(() => timelineStatement({ ownerIds: ['Customer:c'], first: 1.5 }))).toBe('BAD_PAGE');
  });
});

/** Strings that would change a query if they ever reached its text. */
const INJECTIONS = [
  "O'Brien",
  'say "hi"',
  'back`tick`',
  '}) DETACH DELETE n //',
  "' OR 1=1 //",
  '`}]->() DELETE r //',
  '\\u0027',
  'Zoë 東京 🚀',
  'nul\u0000byte',
];
/** Data that looks like c360's own parameter and property names: it must not change the query either. */
const LOOKALIKES = ['$rows', 'c360live', 'c360v:name', ''];
const HOSTILE = [...INJECTIONS, ...LOOKALIKES];

/** Every string anywhere inside a parameter value. */
function stringsIn(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (typeof value === 'string') out.add(value);
  else if (Array.isArray(value)) for (const item of value) stringsIn(item, out);
  else if (value !== null && typeof value === 'object') for (const item of Object.values(value)) stringsIn(item, out);
  return out;
}

describe('hostile strings travel only as parameters', () => {
  const hostile = INJECTIONS;
  const shapes = (h: string, n: number): Mutation[] => [
    {
      op: 'upsertVertex',
      label: 'Customer',
      key: h,
      props: { [h]: h, name: h, nested: { [h]: [h] } },
      version: ver(n + 1, h),
    },
    {
      op: 'upsertEdge',
      label: 'PLACED',
      from: customer(h),
      to: order(`${h}-o`),
      props: { [h]: h },
      version: ver(n + 1, h),
    },
    { op: 'deleteEdge', label: 'OWNS', from: customer(h), to: { label: 'Account', key: h }, version: ver(n + 2, h) },
  ];
  const mutations = HOSTILE.flatMap(shapes);

  test('in writes: keys, property names, values and versions', () => {
    const statements = planWriteStatements(coalesce(mutations), 3);
    const texts = new Set(statements.map((s) => s.text));
    for (const text of texts) {
      for (const h of hostile) expect(text).not.toContain(h);
    }
    const params = stringsIn(statements.map((s) => s.params));
    for (const h of hostile) {
      expect(params).toContain(toIdKey(`Customer:${h}`));
      expect(params).toContain(h);
    }
    // The text depends on the batch's labels only: benign data of the same shape gives the same statements.
    const benign = planWriteStatements(coalesce(HOSTILE.map((_, n) => `plain${n}`).flatMap(shapes)), 3);
    expect([...texts]).toEqual([...new Set(benign.map((s) => s.text))]);
    expect(texts.size).toBe(4);
  });

  test('in reads: ids, cursors, filters, lookup values and search text', () => {
    const textsFor = (h: string) => {
      const cursor = Buffer.from(JSON.stringify([h, h, 1])).toString('base64url');
      const statements = [
        getVerticesStatement([`Customer:${h}`]),
        neighborsStatement([
          {
            id: `Customer:${h}`,
            direction: 'both',
            first: 3,
            after: cursor,
            edgeLabels: [h as never],
            vertexLabels: [h as never],
          },
        ]),
        timelineStatement({
          ownerIds: [`Identity:${h}`],
          first: 3,
          labels: [h as never],
          after: Buffer.from(JSON.stringify([1, h])).toString('base64url'),
        }),
        lookupStatement('Identity', 'value', h),
        lookupStatement('Identity', 'value', { [h]: h }),
        searchStatement('Customer', h, 3, h),
      ];
      for (const statement of statements) {
        expect(statement).not.toBeNull();
        for (const other of hostile) expect(statement?.text).not.toContain(other);
        const params = [...stringsIn(statement?.params)];
        const forms = [h, h.toLowerCase(), JSON.stringify(h).slice(1, -1), toIdKey(h)];
        expect(params.some((p) => forms.some((form) => p.includes(form)))).toBe(true);
      }
      return statements.map((s) => s?.text);
    };
    const benign = textsFor('plain');
    for (const h of HOSTILE.filter((x) => x !== '')) expect(textsFor(h)).toEqual(benign);
  });
});

function emptyLive(): ElementState {
  return { live: ver(1), tomb: null, props: {} };
}

/** What the merge Cypher leaves on a fresh element for a row: its state properties, nulls absent. */
function storedFresh(row: StateRow): Record<string, unknown> {
  const stored: Record<string, unknown> = {};
  if (row.live !== null) stored.c360live = row.live;
  if (row.tomb !== null) stored.c360tomb = row.tomb;
  for (const p of row.props) {
    stored[`c360v:${p.k}`] = p.v;
    stored[`c360j:${p.k}`] = p.j;
    if (p.n !== null) stored[p.k] = p.n;
    if (p.x !== null) stored[`c360json:${p.k}`] = p.x;
    if (p.s !== null) stored[`c360s:${p.k}`] = p.s;
  }
  return stored;
}

describe('stored layout', () => {
  const jsonValue: fc.Arbitrary<JsonValue> = fc.jsonValue() as fc.Arbitrary<JsonValue>;
  const name = fc.oneof(
    fc.string({ unit: 'grapheme' }),
    fc.constantFrom(...HOSTILE, 'email', 'c360id', 'c360p:x', 'valueOf', 'constructor', '__proto__'),
  );
  const version = fc
    .tuple(fc.integer({ min: 0, max: 1e12 }), fc.string({ unit: 'grapheme' }))
    .map(([t, tie]) => ver(t, tie));

  test('every state round-trips through the stored properties, names and JSON exactly', () => {
    fc.assert(
      fc.property(fc.dictionary(name, fc.tuple(version, jsonValue)), fc.option(version), (props, live) => {
        const state: ElementState = {
          live: live ?? null,
          tomb: null,
          props: Object.fromEntries(Object.entries(props).map(([k, [v, value]]) => [k, { v, value }])),
        };
        const stored = storedFresh(stateRow(state, searchableSet('Customer')));
        for (const key of Object.keys(stored)) {
          expect(key).not.toBe('');
          expect(key).not.toContain('\u0000');
        }
        expect(decodeState(stored)).toEqual({ ...state, props: { ...state.props } });
      }),
    );
  });

  test('a property named like an Object.prototype member decodes as what was stored (null stays null)', () => {
    const state: ElementState = { live: ver(1), tomb: null, props: { valueOf: { v: ver(1), value: null } } };
    expect(decodeState(storedFresh(stateRow(state, searchableSet('Customer'))))).toEqual(state);
  });

  test('searchable string properties get a lowercased shadow; nothing else does', () => {
    const row = stateRow(
      {
        live: ver(1),
        tomb: null,
        props: {
          name: { v: ver(1), value: 'ÅSA Öberg' },
          plan: { v: ver(1), value: 'Gold' },
          firstName: { v: ver(1), value: 7 },
        },
      },
      searchableSet('Customer'),
    );
    expect(row.props.map((p) => [p.k, p.s])).toEqual([
      ['firstName', null],
      ['name', 'åsa öberg'],
      ['plan', null],
    ]);
  });

  test('sort keys hold only characters below U+D800 and order as ids (UTF-8 bytes) and versions (UTF-16 units) do', () => {
    const utf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
    const utf16 = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    const below = (key: string) => [...key].every((c) => (c.codePointAt(0) as number) < 0xd800);
    const symbol = fc.constantFrom(
      'a',
      '~',
      'é',
      '東',
      '\ucfff',
      '\ud000',
      '\uffff',
      '\ue000',
      '！',
      '😀',
      '🚀',
      '\u{10ffff}',
    );
    const wellFormed = fc.array(fc.oneof(symbol, fc.string({ unit: 'grapheme', maxLength: 1 }))).map((a) => a.join(''));
    const units = fc.string({ unit: fc.oneof(symbol, fc.string({ unit: 'binary', maxLength: 1 })) });
    fc.assert(
      fc.property(wellFormed, wellFormed, (a, b) => {
        expect(Math.sign(utf16(toIdKey(a), toIdKey(b)))).toBe(Math.sign(utf8(a, b)));
        expect(below(toIdKey(a))).toBe(true);
        expect(fromIdKey(toIdKey(a))).toBe(a);
      }),
    );
    fc.assert(
      fc.property(units, units, (a, b) => {
        expect(utf16(toVersionKey(a), toVersionKey(b))).toBe(utf16(a, b));
        expect(below(toVersionKey(a))).toBe(true);
        expect(fromVersionKey(toVersionKey(a))).toBe(a);
      }),
    );
    // Ordinary ids and every version makeVersion builds from ASCII are stored as they are.
    expect(toIdKey('Customer:ann-東京')).toBe('Customer:ann-東京');
    expect(toVersionKey('000000000000010~cdc:1')).toBe('000000000000010~cdc:1');
  });
});

describe('driver errors are classified by code, not message', () => {
  const driverError = (code: string) => new neo4j.Neo4jError('server said no', code as never, '50N42', 'error');

  test.each([
    ['Neo.TransientError.Transaction.DeadlockDetected', 'STORE_WRITE_FAILED', true],
    ['ServiceUnavailable', 'SERVICE_UNAVAILABLE', true],
    ['SessionExpired', 'SERVICE_UNAVAILABLE', true],
    ['Neo.ClientError.Security.Unauthorized', 'AUTH_FAILED', false],
    ['Neo.ClientError.Statement.SyntaxError', 'STORE_WRITE_FAILED', false],
    ['Neo.ClientError.Schema.ConstraintValidationFailed', 'STORE_WRITE_FAILED', false],
  ])('%s → %s (retriable: %s)', (neo4jCode, code, retriable) => {
    const error = classifyDriverError('apply', 'STORE_WRITE_FAILED', driverError(neo4jCode));
    expect(error).toBeInstanceOf(Neo4jStoreError);
    expect(error).toMatchObject({ name: 'Neo4jStoreError', code, retriable, neo4jCode });
    expect(error.message).not.toContain('server said no');
    expect((error.cause as Error).message).toBe('server said no');
  });

  test('a non-driver failure is not retriable', () => {
    expect(classifyDriverError('getVertices', 'STORE_READ_FAILED', new TypeError('bug'))).toMatchObject({
      code: 'STORE_READ_FAILED',
      retriable: false,
      neo4jCode: null,
    });
  });
});
