/**
 * `c360 bench --quick --kafka` against the real servers: the demo mix produced to
 * Kafka and consumed into the embedded store, Gremlin Server and Neo4j (batched
 * and the one-call-per-element baseline), each graph served by the 360° view.
 * Checks the result file's shape and that every store holds the same graph — not
 * speed. (The bench empties the Gremlin and Neo4j graphs before and after.)
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { benchResultSchema, type ScenarioResult } from '../../scripts/bench';

const run = promisify(execFile);
const root = resolve(__dirname, '../..');

describe('c360 bench --quick --kafka (embedded, gremlin, neo4j)', () => {
  it('ingests the same demo mix from Kafka into every store and serves each graph', async () => {
    const out = mkdtempSync(join(tmpdir(), 'c360-bench-kafka-'));
    try {
      const args = ['bench', '--quick', '--kafka', '--stores', 'embedded,gremlin,neo4j', '--only', 'ingest'];
      await run(
        process.execPath,
        ['-r', 'tsx/cjs', join(root, 'app/cli.ts'), ...args, '--naive-seconds', '10', '--out', out],
        { cwd: root, maxBuffer: 16 * 1024 * 1024 },
      );
      const result = benchResultSchema.parse(JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')));
      const find = (name: string, store: string): ScenarioResult => {
        const s = result.scenarios.find((x) => x.name === name && x.store === store);
        if (!s) throw new Error(`no ${name} result for ${store}`);
        return s;
      };
      const produced = find('produce-kafka', 'embedded').metrics.records;
      expect(produced).toBeGreaterThan(10_000);
      // The layer underneath, same topics, same run: everything consumed, and the ratio reported.
      const noop = find('consume-kafka-noop', 'embedded');
      expect(noop.metrics.consumed).toBe(produced);
      expect(noop.metrics.recordsPerSecond).toBeGreaterThan(0);
      const fraction = find('ingest-kafka-ratio', 'embedded').metrics.fractionOfNoopConsumer;
      expect(fraction).toBeGreaterThan(0);
      const graphs = ['embedded', 'gremlin', 'neo4j'].map((store) => {
        const batched = find('ingest-kafka', store);
        // Everything produced was committed, i.e. durable in that store.
        expect(batched.metrics).toMatchObject({ committed: produced, caughtUp: 1 });
        expect(batched.metrics.eventsPerSecond).toBeGreaterThan(0);
        // The baseline is time-boxed: it wrote something, and its rate was measured.
        const naive = find('ingest-kafka-naive', store);
        expect(naive.metrics.elementsWritten).toBeGreaterThan(0);
        expect(find('ingest-kafka-ratio', store).metrics.speedupElements).toBeGreaterThan(0);
        const view = find('view-360', store);
        expect(view.metrics).toMatchObject({ non2xx: 0, errors: 0, warmupMissingCustomers: 0 });
        return { vertices: batched.metrics.vertices, edges: batched.metrics.edges };
      });
      // One mix, one graph: the three stores agree on what they hold.
      expect(graphs[1]).toEqual(graphs[0]);
      expect(graphs[2]).toEqual(graphs[0]);
      expect(find('freshness', 'embedded').metrics.samples).toBe(10);
      // Freshness at half the hub's own measured maximum, and at half the worker's rate as before.
      const capacity = find('collector-capacity', 'embedded').metrics.eventsPerSecond;
      expect(capacity).toBeGreaterThan(0);
      expect(find('freshness', 'embedded').params.targetEventsPerSecond).toBe(Math.max(1, Math.round(capacity / 2)));
      expect(find('freshness-worker-rate', 'embedded').params.targetEventsPerSecond).toBe(
        Math.max(1, Math.round(find('ingest-kafka', 'embedded').metrics.eventsPerSecond / 2)),
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 900_000);
});
