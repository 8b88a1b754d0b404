/**
 * Translation without a database (neo4j/graphql's TCK style): definitions → Gremlin
 * bytecode rendered by the driver's Groovy translator, and → Cypher text +
 * parameters, snapshotted so that a change in generated queries shows in review.
 * Injection: hostile strings only ever travel as bytecode arguments / parameters.
 */
import * as gremlin from 'gremlin';
import {
  cypherCountQuery,
  cypherMembersQuery,
  gremlinCountTraversal,
  gremlinMembersTraversal,
  parseSegmentDefinition,
  SegmentDefinitionError,
} from '../../../features/segments';

const NOW = Date.UTC(2026, 0, 15, 12);
// A source bound to no server: traversals are only built and translated, never run.
const g = new gremlin.process.GraphTraversalSource(
  new gremlin.structure.Graph(),
  new gremlin.process.TraversalStrategies(),
);
const groovy = new gremlin.process.Translator('g');

const DEFINITIONS: Record<string, unknown> = {
  'trait comparison': { trait: { name: 'lifetimeValue', op: 'gt', value: 500 } },
  'traits: in, prefix, exists, notIn': {
    and: [
      { trait: { name: 'country', op: 'in', value: ['DE', 'AT'] } },
      { trait: { name: 'email', op: 'startsWith', value: 'ann' } },
      { trait: { name: 'pagerank', op: 'exists' } },
      { trait: { name: 'plan', op: 'notIn', value: ['free'] } },
    ],
  },
  'behaviour in a window (the marketer example)': {
    and: [
      { event: { name: 'Product Viewed', product: { category: 'tv' }, within: '7d', atLeast: 2 } },
      { not: { order: { within: '7d' } } },
    ],
  },
  'device condition': { device: { where: [{ name: 'ind_packetErrors', op: 'gt', value: 100 }] } },
  'shares a household with a segment member': { shares: { via: 'account', with: { segment: 'vip' } } },
  'bought what another customer bought': { boughtWith: { customer: 'Customer:c-9' } },
  'or / not over segments and graph traits': {
    or: [{ segment: 'Segment:vip' }, { not: { trait: { name: 'community', op: 'eq', value: 7 } } }],
  },
};

describe('segment compilers (snapshots)', () => {
  test.each(Object.entries(DEFINITIONS))('%s', (_name, raw) => {
    const definition = parseSegmentDefinition(raw);
    const request = { now: NOW, first: 20, after: 'Customer:c-100' };
    expect({
      gremlinMembers: groovy.translate(gremlinMembersTraversal(g, definition, request)),
      gremlinCount: groovy.translate(gremlinCountTraversal(g, definition, { now: NOW })),
      cypherMembers: cypherMembersQuery(definition, request),
      cypherCount: cypherCountQuery(definition, { now: NOW }),
    }).toMatchSnapshot();
  });
});

const HOSTILE = [
  "x' OR 1=1 //",
  "'}) DETACH DELETE n //",
  '`) MATCH (n) DETACH DELETE n //',
  "').drop().V('",
  '$p0 $limit',
  '"\\" }',
];

function hostileDefinition(text: string): unknown {
  return {
    or: [
      { trait: { name: text, op: 'eq', value: text } },
      { trait: { name: 'country', op: 'startsWith', value: text } },
      { trait: { name: text, op: 'exists' } },
      { event: { type: text, name: text, product: { category: text }, within: '7d' } },
      { order: { status: text } },
      { device: { where: [{ name: text, op: 'in', value: [text] }] } },
      { segment: text },
      { boughtWith: { customer: text } },
      { shares: { via: 'device', with: { trait: { name: 'plan', op: 'neq', value: text } } } },
    ],
  };
}

/** Every string anywhere inside a value (arrays, objects, P predicates). */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value instanceof gremlin.process.Traversal) steps(value, out);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) strings(v, out);
  return out;
}
/** @types/gremlin does not declare the bytecode's instruction list. */
const instructions = (t: gremlin.process.Traversal) =>
  (t.getBytecode() as unknown as { stepInstructions: unknown[][] }).stepInstructions;
function steps(t: gremlin.process.Traversal, args: string[]): string[] {
  for (const [, ...rest] of instructions(t)) strings(rest, args);
  return args;
}
function stepNames(t: gremlin.process.Traversal, out: string[] = []): string[] {
  for (const [name, ...rest] of instructions(t)) {
    out.push(String(name));
    for (const arg of rest) if (arg instanceof gremlin.process.Traversal) stepNames(arg, out);
  }
  return out;
}

describe('injection: hostile strings are only data', () => {
  test.each(HOSTILE)('Cypher text never contains %j; it travels as a parameter', (text) => {
    const definition = parseSegmentDefinition(hostileDefinition(text));
    for (const q of [
      cypherMembersQuery(definition, { now: NOW, first: 5, after: text }),
      cypherCountQuery(definition, { now: NOW }),
    ]) {
      expect(q.text).not.toContain(text);
      expect(JSON.stringify(q.params)).toContain(JSON.stringify(text).slice(1, -1));
      // Labels and relationship types in the text come from graph-schema's closed sets only.
      for (const m of q.text.matchAll(/:([A-Za-z_|]+)[)\]{ ]/g)) {
        for (const label of m[1].split('|'))
          expect(label).toMatch(
            /^(Customer|Identity|Device|Account|Order|Product|Event|Segment|HAS_IDENTITY|USES_DEVICE|OWNS|BELONGS_TO|PLACED|CONTAINS|PERFORMED|ABOUT|MEMBER_OF|)$/,
          );
      }
    }
  });

  test.each(HOSTILE)('Gremlin bytecode carries %j only as step arguments, never as a step', (text) => {
    const definition = parseSegmentDefinition(hostileDefinition(text));
    const traversal = gremlinMembersTraversal(g, definition, { now: NOW, first: 5 });
    const names = stepNames(traversal);
    expect(names).not.toContain(text);
    for (const name of names) expect(name).toMatch(/^[a-zA-Z]+$/);
    expect(steps(traversal, []).some((s) => s.includes(text))).toBe(true);
  });
});

describe('definition validation', () => {
  const issues = (raw: unknown) => {
    try {
      parseSegmentDefinition(raw);
    } catch (e) {
      if (e instanceof SegmentDefinitionError) return e.issues.map((i) => [i.path.join('.'), i.message]);
      throw e;
    }
    return [];
  };

  test('every problem is reported with its path', () => {
    expect(
      issues({
        and: [
          { trait: { name: 'ltv', op: 'gt', value: 'high' } },
          { event: { within: '7 days', atLeast: 3, atMost: 1 } },
          { shares: { via: 'phone', with: { nope: 1 } } },
          {},
        ],
      }),
    ).toEqual([
      ['and.0.trait.value', expect.stringMatching(/number/)],
      ['and.1.event.within', 'within must be a duration such as 30m, 12h, 7d or 2w'],
      ['and.1.event.atMost', 'atLeast must not exceed atMost'],
      ['and.2.shares.via', expect.any(String)],
      ['and.2.shares.with', expect.stringMatching(/exactly one of/)],
      ['and.3', expect.stringMatching(/got no key/)],
    ]);
    expect(issues({ event: { atLeast: 3, atMost: 1 } })).toEqual([['event.atMost', 'atLeast must not exceed atMost']]);
    expect(issues([])).toEqual([['', expect.stringMatching(/must be an object/)]]);
    expect(issues({ and: [] })).toEqual([['and', 'and takes a non-empty list of conditions']]);
  });

  test('ids are normalized to bare keys and defaults are kept minimal', () => {
    expect(
      parseSegmentDefinition({ or: [{ segment: 'Segment:vip' }, { boughtWith: { customer: 'Customer:c1' } }] }),
    ).toEqual({
      or: [{ segment: 'vip' }, { boughtWith: { customer: 'c1' } }],
    });
  });

  test("property names with control characters are refused (they would break the stores' encodings)", () => {
    expect(issues({ trait: { name: 'a\u0001b', op: 'exists' } })).toEqual([
      ['trait.name', 'property name must not contain control characters'],
    ]);
  });

  test('trees too deep or too large are refused', () => {
    let deep: unknown = { trait: { name: 'a', op: 'exists' } };
    for (let i = 0; i < 20; i++) deep = { not: deep };
    expect(issues(deep)[0]?.[1]).toMatch(/nests at most/);
    const wide = { or: Array.from({ length: 300 }, () => ({ trait: { name: 'a', op: 'exists' } })) };
    expect(issues(wide)[0]?.[1]).toMatch(/at most 200 nodes/);
  });
});
