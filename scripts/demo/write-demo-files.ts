/**
 * The demo as NDJSON files, one per source, for `c360 replay` and benchmarks:
 *
 * - `clickstream.ndjson`, `telemetry.ndjson`: one event per line, exactly the
 *   message value (a Segment call, a telemetry report).
 * - `cdc.ndjson`: one Kafka record per line, `{"topic", "key", "value"}` with
 *   key and value as JSON (value `null` for a tombstone), because a Debezium
 *   value alone loses its key and cannot express a tombstone.
 *
 * Lines keep generation order, so replaying a file feeds events in arrival order.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { RawMessage, SourceKind } from '../../ingest/hub-event';
import { countDemoMessage, createDemoCounts, type DemoCounts } from './demo-counts';
import { type DemoOptions, generateDemo } from './generate-demo';

export const DEMO_FILES: Readonly<Record<SourceKind, string>> = {
  segment: 'clickstream.ndjson',
  cdc: 'cdc.ndjson',
  telemetry: 'telemetry.ndjson',
};

export interface DemoFilesResult {
  readonly files: Readonly<Record<SourceKind, string>>;
  readonly counts: DemoCounts;
}

function lineFor(message: RawMessage): string {
  if (message.source !== 'cdc') return `${message.value?.toString('utf8') ?? 'null'}\n`;
  const key = message.key ? message.key.toString('utf8') : 'null';
  const value = message.value ? message.value.toString('utf8') : 'null';
  return `{"topic":${JSON.stringify(message.position.topic ?? null)},"key":${key},"value":${value}}\n`;
}

async function write(stream: WriteStream, chunk: string): Promise<void> {
  if (!stream.write(chunk)) await once(stream, 'drain');
}

export async function writeDemoFiles(dir: string, options: DemoOptions): Promise<DemoFilesResult> {
  await mkdir(dir, { recursive: true });
  const files = {
    segment: join(dir, DEMO_FILES.segment),
    cdc: join(dir, DEMO_FILES.cdc),
    telemetry: join(dir, DEMO_FILES.telemetry),
  };
  const streams = {
    segment: createWriteStream(files.segment),
    cdc: createWriteStream(files.cdc),
    telemetry: createWriteStream(files.telemetry),
  };
  const counts = createDemoCounts();
  try {
    for (const message of generateDemo(options)) {
      countDemoMessage(counts, message);
      await write(streams[message.source], lineFor(message));
    }
  } finally {
    await Promise.all(
      Object.values(streams).map(
        (stream) =>
          new Promise<void>((resolve, reject) =>
            stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
          ),
      ),
    );
  }
  return { files, counts };
}

/** Reads one demo file back as RawMessages (transport `file`, offset = line number). */
export async function* readDemoFile(path: string, source: SourceKind): AsyncGenerator<RawMessage> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  let offset = 0;
  for await (const line of lines) {
    if (line.length === 0) continue;
    const position = { source, transport: 'file' as const, offset: String(offset++) };
    if (source !== 'cdc') {
      yield { source, value: Buffer.from(line), key: null, position, receivedAtMs: Date.now() };
      continue;
    }
    const record = JSON.parse(line) as { topic: string | null; key: unknown; value: unknown };
    yield {
      source,
      value: record.value === null ? null : Buffer.from(JSON.stringify(record.value)),
      key: record.key === null ? null : Buffer.from(JSON.stringify(record.key)),
      position: { ...position, ...(record.topic ? { topic: record.topic } : {}) },
      receivedAtMs: Date.now(),
    };
  }
}
