/**
 * The benchmark result file: one JSON document per `c360 bench` run. CI's
 * `--quick` run checks the shape with this schema, never the speed.
 */
import { z } from 'zod';

export const scenarioResultSchema = z.object({
  /** e.g. `ingest`, `view-360`, `freshness`. */
  name: z.string().min(1),
  store: z.enum(['embedded', 'gremlin', 'janusgraph', 'neo4j']),
  /** What was run: sizes, concurrency, batch sizes. */
  params: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
  /** Measured numbers; every key has a unit in `units`. */
  metrics: z.record(z.string(), z.number().finite()),
  units: z.record(z.string(), z.string()),
  notes: z.array(z.string()).default([]),
});

export const benchResultSchema = z.object({
  schemaVersion: z.literal(1),
  startedAt: z.string(),
  finishedAt: z.string(),
  command: z.string(),
  quick: z.boolean(),
  machine: z.object({
    cpus: z.number().int().positive(),
    cpuModel: z.string(),
    memoryGiB: z.number().positive(),
    platform: z.string(),
    node: z.string(),
  }),
  versions: z.record(z.string(), z.string()),
  scenarios: z.array(scenarioResultSchema).min(1),
});

export type ScenarioResult = z.infer<typeof scenarioResultSchema>;
export type BenchResult = z.infer<typeof benchResultSchema>;
