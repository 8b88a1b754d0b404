/**
 * A real ingest pipeline over a real embedded store in a fresh temp dir —
 * the fast, in-process way to exercise decode → store end to end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { defaultMappings, type GraphStore } from '../../graph-schema';
import {
  createCdcPipeline,
  createEventMapper,
  createFileDeadLetterSink,
  createLmdbDedupe,
  createPipeline,
  createPipelineMetrics,
  type IngestPipeline,
  type PipelineOptions,
  type RawMessage,
  type SourceKind,
} from '../../ingest';
import { createDecoders } from '../../ingest/decoders';
import { createEmbeddedStore } from '../../services/graph';

export interface TestPipeline {
  readonly dir: string;
  readonly store: GraphStore;
  readonly pipeline: IngestPipeline;
  readonly registry: Registry;
  readonly deadLetterPath: string;
  close(options?: { keepDir?: boolean }): Promise<void>;
}

export async function createTestPipeline(
  options: {
    dir?: string;
    overrides?: Partial<PipelineOptions>;
    /** Wrap the real store (e.g. to inject failures) — the pipeline sees the wrapper. */
    wrapStore?: (store: GraphStore) => GraphStore;
    /** Build the CDC-aware pipeline the processes run (truncates, `_source` markers, kept columns). */
    cdc?: boolean;
  } = {},
): Promise<TestPipeline> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'c360-pipeline-'));
  const store = await createEmbeddedStore({ path: join(dir, 'graph') });
  const dedupe = createLmdbDedupe({ path: join(dir, 'dedupe') });
  const deadLetterPath = join(dir, 'dead-letters.ndjson');
  const deadLetters = createFileDeadLetterSink(deadLetterPath);
  const registry = new Registry();
  const common = {
    store: options.wrapStore ? options.wrapStore(store) : store,
    decoders: createDecoders({}),
    dedupe,
    deadLetters,
    logger: pino({ level: 'silent' }),
    metrics: createPipelineMetrics(registry),
    batchMaxWaitMs: 1,
  };
  const pipeline = options.cdc
    ? createCdcPipeline({ ...common, mappings: defaultMappings, ...options.overrides })
    : createPipeline({ ...common, mapper: createEventMapper(defaultMappings), ...options.overrides });
  return {
    dir,
    store,
    pipeline,
    registry,
    deadLetterPath,
    async close({ keepDir = false } = {}) {
      await pipeline.close();
      await deadLetters.close();
      await dedupe.close();
      await store.close();
      if (!keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

let counter = 0;
export function raw(
  source: SourceKind,
  value: string | Buffer | null,
  receivedAtMs = Date.UTC(2026, 10, 1),
): RawMessage {
  counter++;
  return {
    source,
    value: value === null ? null : typeof value === 'string' ? Buffer.from(value, 'utf8') : value,
    position: { source, transport: 'test', offset: String(counter) },
    receivedAtMs,
  };
}
