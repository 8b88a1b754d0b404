/**
 * The Gremlin store enforces mergeStates inside the database with plain string comparisons of
 * the encoded state. These properties prove the comparisons mean exactly the merge rule.
 */
import fc from 'fast-check';
import { isLive, makeVersion, mergeStates, stateOfTombstone, stateOfUpsert, visibleProps } from '../../../graph-schema';
import { decodeState, orderKey } from '../../../services/graph/gremlin';
import { encodeProperty, versionMark } from '../../../services/graph/gremlin/element-encoding';

const version = fc
  .tuple(fc.integer({ min: 0, max: 50 }), fc.string({ unit: 'grapheme', maxLength: 6 }))
  .map(([t, tie]) => makeVersion(t, [...tie].filter((ch) => ch >= ' ').join('')));
const value = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 2 }),
);
const utf16 = fc.string({ unit: 'binary', maxLength: 8 });

describe('element encoding', () => {
  test('comparing encoded properties picks the same winner as mergeStates', () => {
    fc.assert(
      fc.property(version, value, version, value, (va, a, vb, b) => {
        const merged = mergeStates(stateOfUpsert({ x: a }, va), stateOfUpsert({ x: b }, vb)).props.x;
        const ea = encodeProperty({ v: va, value: a });
        const eb = encodeProperty({ v: vb, value: b });
        const winner = eb > ea ? { v: vb, value: b } : { v: va, value: a };
        expect(winner).toEqual(merged);
      }),
    );
  });

  test('a property is newer than a tombstone exactly when its encoding sorts above the tombstone mark', () => {
    fc.assert(
      fc.property(version, value, version, (v, x, tomb) => {
        expect(encodeProperty({ v, value: x }) > versionMark(tomb)).toBe(v > tomb);
        expect(encodeProperty({ v, value: x }) > versionMark(null)).toBe(true);
      }),
    );
  });

  test('live and tombstone marks compare like isLive, and like an edge against an endpoint tombstone', () => {
    fc.assert(
      fc.property(fc.option(version), fc.option(version), (live, tomb) => {
        const state = mergeStates(
          live === null ? { live: null, tomb: null, props: {} } : stateOfUpsert({}, live),
          tomb === null ? { live: null, tomb: null, props: {} } : stateOfTombstone(tomb),
        );
        expect(versionMark(live) > versionMark(tomb)).toBe(isLive(state));
      }),
    );
  });

  test('orderKey sorts as the UTF-8 byte order of ids under UTF-16 comparison', () => {
    fc.assert(
      fc.property(utf16, utf16, (a, b) => {
        const bytes = Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
        const ka = orderKey(a);
        const kb = orderKey(b);
        expect(ka < kb ? -1 : ka > kb ? 1 : 0).toBe(bytes);
      }),
    );
  });

  test('decodeState reads back what was encoded, including unsets and odd values', () => {
    const v = makeVersion(5, 'a');
    const state = mergeStates(
      stateOfUpsert({ name: 'O\'Brien "q" \u{1F600}', gone: null, n: 1.5, nested: { a: [1, 'x'] } }, v),
      stateOfTombstone(makeVersion(1, 'z')),
    );
    const stored = new Map<string, unknown>([
      ['_live', versionMark(state.live)],
      ['_tomb', versionMark(state.tomb)],
      ['s.name', 'ignored derived copy'],
      ...Object.entries(state.props).map(([name, p]) => [`c.${name}`, encodeProperty(p)] as [string, unknown]),
    ]);
    const decoded = decodeState(stored);
    expect(decoded).toEqual({ ...state, props: { ...state.props } });
    expect(visibleProps(decoded)).toEqual({ n: 1.5, name: 'O\'Brien "q" \u{1F600}', nested: { a: [1, 'x'] } });
  });
});
