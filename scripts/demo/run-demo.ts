/**
 * Pushes the generated demo into whatever the caller wires up (the ingest
 * pipeline, a Kafka producer) in batches, waiting for each batch so that a slow
 * consumer slows the generator instead of filling memory.
 */
import { SingleBar } from 'cli-progress';
import { ConfigError } from '../../graph-schema';
import type { RawMessage } from '../../ingest/hub-event';
import { countDemoMessage, createDemoCounts, type DemoCounts } from './demo-counts';
import { createDemoPlan, DEMO_DEFAULTS, type DemoOptions, generateDemo } from './generate-demo';

export interface RunDemoOptions extends DemoOptions {
  submit(batch: RawMessage[]): Promise<unknown>;
  /** Messages per submit call (default 500). */
  readonly batchSize?: number;
  /** Draw a progress bar when the stream is a TTY. */
  readonly progress: boolean;
  /** Where the bar goes (default process.stdout). */
  readonly stream?: NodeJS.WriteStream;
}

export interface DemoRunResult {
  readonly customers: number;
  readonly seed: number;
  readonly days: number;
  readonly counts: DemoCounts;
  readonly elapsedMs: number;
  readonly messagesPerSecond: number;
}

const PROGRESS_STEPS = 1000;

export async function runDemo(options: RunDemoOptions): Promise<DemoRunResult> {
  const batchSize = options.batchSize ?? 500;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new ConfigError('demo.batchSize', `must be a positive integer, got ${batchSize}`);
  // Fix the window end once, so the plan used for progress matches the generated stream.
  const startMs = options.startMs ?? Date.now();
  const demoOptions: DemoOptions = { ...options, startMs };
  const plan = createDemoPlan(demoOptions);
  const stream = options.stream ?? process.stdout;
  const bar =
    options.progress && stream.isTTY
      ? new SingleBar({
          format: 'demo [{bar}] {percentage}% | event time {day} | {messages} messages',
          stream,
          hideCursor: true,
          clearOnComplete: false,
        })
      : null;
  const windowMs = plan.windowEndMs - plan.windowStartMs;
  bar?.start(PROGRESS_STEPS, 0, { day: 'snapshot', messages: 0 });

  const counts = createDemoCounts();
  const started = performance.now();
  let batch: RawMessage[] = [];
  try {
    for (const message of generateDemo(demoOptions)) {
      countDemoMessage(counts, message);
      batch.push(message);
      if (batch.length >= batchSize) {
        await options.submit(batch);
        batch = [];
        if (bar) {
          const progress = Math.max(0, Math.min(1, (message.receivedAtMs - plan.windowStartMs) / windowMs));
          const day =
            message.receivedAtMs < plan.windowStartMs
              ? 'snapshot'
              : new Date(message.receivedAtMs).toISOString().slice(0, 10);
          bar.update(Math.floor(progress * PROGRESS_STEPS), { day, messages: counts.total });
        }
      }
    }
    if (batch.length > 0) await options.submit(batch);
    bar?.update(PROGRESS_STEPS, { day: 'done', messages: counts.total });
  } finally {
    bar?.stop();
  }
  const elapsedMs = performance.now() - started;
  return {
    customers: options.customers,
    seed: options.seed,
    days: options.days ?? DEMO_DEFAULTS.days,
    counts,
    elapsedMs,
    messagesPerSecond: counts.total / Math.max(elapsedMs / 1000, 0.001),
  };
}
