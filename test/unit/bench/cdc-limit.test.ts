/**
 * The CDC bench names the layer that held the rate; the last layer that passed on less than
 * it was given is the one whose rate comes out at the end.
 */
import { cdcLimit } from '../../../scripts/bench/cdc-freshness';

describe('cdcLimit', () => {
  test('the worker, when it applies well under what Debezium delivered, even if Debezium lagged too', () => {
    // The third full run (2026-12-04): 7,716 committed → 6,553 delivered → 3,909 applied.
    expect(cdcLimit({ target: 10_000, committed: 7716, debezium: 6553, worker: 3909 })).toBe('worker');
    expect(cdcLimit({ target: 10_000, committed: 8120, debezium: 8312, worker: 5018 })).toBe('worker');
  });

  test('Debezium, when the worker keeps up with what it delivers', () => {
    expect(cdcLimit({ target: 10_000, committed: 8000, debezium: 5000, worker: 4900 })).toBe('debezium');
  });

  test('PostgreSQL (the load), when every later layer keeps up with what was committed', () => {
    expect(cdcLimit({ target: 10_000, committed: 4070, debezium: 4029, worker: 4020 })).toBe('postgres');
  });

  test('none, when every layer passes on about what it was given', () => {
    expect(cdcLimit({ target: 200, committed: 199, debezium: 198, worker: 197 })).toBe('none');
  });
});
