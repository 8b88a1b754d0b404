/**
 * TCK-style translation tests, no server: a GraphBatch → the bytecode the Gremlin store sends,
 * rendered as Groovy by the driver's Translator, plus the parameters it injects. Snapshots make
 * any change of the generated queries visible in review; the hostile-input tests prove data only
 * ever travels as bytecode arguments.
 */
import * as gremlin from 'gremlin';
import { coalesce, type Mutation, makeVersion } from '../../../graph-schema';
import { batchRows, edgeUpsertTraversal, vertexUpsertTraversal } from '../../../services/graph/gremlin';
import {
  getVerticesTraversal,
  lookupTraversal,
  neighborsTraversal,
  searchTraversal,
  statsTraversal,
  timelineTraversal,
} from '../../../services/graph/gremlin/read-traversals';

const { Translator, GraphTraversalSource, TraversalStrategies, EnumValue, Bytecode } = gremlin.process;

/** The driver's Groovy translator, with enums written the way Groovy names them (`T.id`, `Cardinality.single`). */
class GroovyText extends Translator {
  override convert(anyObject: unknown): string {
    if (anyObject instanceof EnumValue) {
      const e = anyObject as unknown as { typeName: string; elementName: string };
      return `${e.typeName}.${e.elementName}`;
    }
    return super.convert(anyObject);
  }
}

/** Stands for the injected rows in the rendered text: the query text is the same for every batch. */
class Parameter {
  constructor(readonly name: string) {}
  toString(): string {
    return this.name;
  }
}

const g = new GraphTraversalSource(new gremlin.structure.Graph(), new TraversalStrategies());
const groovy = (traversal: gremlin.process.Traversal) => new GroovyText('g').translate(traversal);

/** Plain data for a snapshot: enum keys and values as their Groovy names, Maps as objects. */
function plain(value: unknown): unknown {
  if (value instanceof EnumValue) return new GroovyText('g').convert(value);
  if (value instanceof Map) {
    return Object.fromEntries([...value.entries()].map(([k, v]) => [String(plain(k)), plain(v)]));
  }
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  // The separators of the version encoding, made visible for review.
  if (typeof value === 'string') return value.replaceAll('\u0001', '␁').replaceAll('\u0002', '␂');
  return value;
}

/** Every string that appears in a bytecode's instructions, outside the arguments of `inject`. */
function stepStrings(bytecode: gremlin.process.Bytecode, out: string[] = []): string[] {
  const code = bytecode as unknown as { sourceInstructions: unknown[][]; stepInstructions: unknown[][] };
  for (const [name, ...args] of [...code.sourceInstructions, ...code.stepInstructions]) {
    out.push(String(name));
    if (name === 'inject') continue;
    const walk = (arg: unknown) => {
      if (arg instanceof gremlin.process.Traversal) stepStrings(arg.getBytecode(), out);
      else if (arg instanceof Bytecode) stepStrings(arg, out);
      else if (typeof arg === 'string') out.push(arg);
      else if (arg instanceof EnumValue) out.push(String(arg));
      else if (arg !== null && typeof arg === 'object') {
        const p = arg as { value?: unknown; other?: unknown };
        walk(p.value);
        walk(p.other);
        if (Array.isArray(arg)) arg.forEach(walk);
      }
    };
    args.forEach(walk);
  }
  return out;
}

const v = (t: number, tie = 'cdc:1') => makeVersion(t, tie);
const c = { label: 'Customer' as const, key: 'c1' };
const o = { label: 'Order' as const, key: 'o1' };
const sample: Mutation[] = [
  {
    op: 'upsertVertex',
    label: 'Customer',
    key: 'c1',
    props: { name: 'Ann', email: 'ann@example.com', plan: null },
    version: v(10),
  },
  { op: 'upsertVertex', label: 'Order', key: 'o1', props: { ts: 1700000000000, total: 12.5 }, version: v(11) },
  { op: 'deleteVertex', label: 'Order', key: 'o2', version: v(12) },
  { op: 'upsertEdge', label: 'PLACED', from: c, to: o, props: { channel: 'web' }, version: v(11) },
  { op: 'deleteEdge', label: 'OWNS', from: c, to: { label: 'Account', key: 'a1' }, version: v(9) },
];

describe('write translation', () => {
  test('vertex upsert: one mergeV traversal over the injected rows', () => {
    expect(groovy(vertexUpsertTraversal(g, new Parameter('rows')))).toMatchSnapshot();
  });

  test('edge upsert: one mergeE traversal over the injected rows', () => {
    expect(groovy(edgeUpsertTraversal(g, new Parameter('rows')))).toMatchSnapshot();
  });

  test('a batch becomes vertex rows (edge endpoints included) and edge rows', () => {
    const rows = batchRows(coalesce(sample));
    expect(plain(rows)).toMatchSnapshot();
    expect(rows.vertices.map((r) => r.m.get(gremlin.process.t.id))).toEqual([
      'Customer:c1',
      'Order:o1',
      'Order:o2',
      'Account:a1',
    ]);
  });

  test('the query text does not depend on the batch', () => {
    const rows = batchRows(coalesce(sample));
    const text = groovy(vertexUpsertTraversal(g, new Parameter('rows')));
    const actual = vertexUpsertTraversal(g, rows.vertices);
    expect(stepStrings(actual.getBytecode())).toEqual(stepStrings(vertexUpsertTraversal(g, []).getBytecode()));
    expect(text).toContain('inject(rows)');
  });
});

/** Versions refuse control characters (see the last test); everything else of the text is kept. */
const printable = (text: string) => [...text].filter((ch) => ch >= ' ').join('');

describe('hostile input stays a parameter', () => {
  const hostile = [
    "'); g.V().drop(); //",
    '"; g.V().drop(); "',
    "\\'); System.exit(0); //",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Groovy GString injection attempt, on purpose
    '${g.V().drop()}',
    'Zoë \u{1F600} \u202E漢字 \u0000 null',
  ];

  test.each(hostile)('in keys, property names and values: %j', (text) => {
    const batch = coalesce([
      {
        op: 'upsertVertex',
        label: 'Customer',
        key: text,
        props: { name: text, [text]: text },
        version: v(10, printable(text)),
      },
      {
        op: 'upsertEdge',
        label: 'PLACED',
        from: { label: 'Customer', key: text },
        to: o,
        props: { [text]: text },
        version: v(10),
      },
    ]);
    const rows = batchRows(batch);
    for (const traversal of [vertexUpsertTraversal(g, rows.vertices), edgeUpsertTraversal(g, rows.edges)]) {
      const strings = stepStrings(traversal.getBytecode());
      expect(strings.some((s) => s.includes(text))).toBe(false);
    }
    // The data is there, verbatim, in the injected rows.
    expect(JSON.stringify(plain(rows))).toContain(JSON.stringify(text).slice(1, -1));
  });

  test.each(hostile)('in read arguments, only ever whole values: %j', (text) => {
    const traversals = [
      getVerticesTraversal(g, [text]),
      lookupTraversal(g, 'Customer', 'email', JSON.stringify(text)),
      searchTraversal(g, { label: 'Customer', needle: text, properties: ['name'], limit: 3, after: text }),
      timelineTraversal(g, { ownerIds: [text], labels: [], limit: 3, after: [5, text] }),
      neighborsTraversal(g, [
        { ids: [text], direction: 'both', edgeLabels: [], vertexLabels: [], limit: 3, after: ['PLACED', text, 0] },
      ]),
    ];
    for (const traversal of traversals) {
      const strings = stepStrings(traversal.getBytecode()).filter((s) => s.includes(text));
      expect(strings.every((s) => s === text || s === JSON.stringify(text))).toBe(true);
    }
  });

  test('a version with control characters is refused before any traversal is built', () => {
    const batch = coalesce([{ op: 'upsertVertex', label: 'Customer', key: 'k', props: {}, version: 'x\u0001y' }]);
    expect(() => batchRows(batch)).toThrow(
      expect.objectContaining({ name: 'GremlinStoreError', code: 'INVALID_ELEMENT' }),
    );
  });
});

describe('read translation', () => {
  test('neighbours: every query of a batched call in one traversal', () => {
    const text = groovy(
      neighborsTraversal(g, [
        {
          ids: ['Customer:c1', 'Customer:c2'],
          direction: 'out',
          edgeLabels: ['PLACED'],
          vertexLabels: [],
          limit: 11,
          after: null,
        },
        {
          ids: ['Identity:i1'],
          direction: 'both',
          edgeLabels: [],
          vertexLabels: ['Order'],
          limit: 3,
          after: ['HAS_IDENTITY', 'Customer:c1', 0],
        },
      ]),
    );
    expect(text).toMatchSnapshot();
  });

  test('timeline, lookup, search, stats, getVertices', () => {
    expect({
      timeline: groovy(
        timelineTraversal(g, {
          ownerIds: ['Customer:c1', 'Identity:i1'],
          labels: ['Order'],
          limit: 6,
          after: [100, 'Order:o1'],
        }),
      ),
      lookup: groovy(lookupTraversal(g, 'Identity', 'value', '"ann@example.com"')),
      search: groovy(
        searchTraversal(g, { label: 'Customer', needle: 'an', properties: ['name', 'email'], limit: 3, after: null }),
      ),
      list: groovy(
        searchTraversal(g, { label: 'Segment', needle: '', properties: ['name'], limit: 3, after: 'Segment:s1' }),
      ),
      stats: groovy(statsTraversal(g)),
      getVertices: groovy(getVerticesTraversal(g, ['Customer:c1', 'Order:o1'])),
    }).toMatchSnapshot();
  });
});
