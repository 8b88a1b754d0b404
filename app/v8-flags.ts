/**
 * V8 flags every c360 process is started with: by its bin (`app/bin/c360.js`'s shebang), by
 * `npm start`, and by the bench's child processes, so that what is measured is what runs.
 * They must be given at startup: V8 sizes its heap when the isolate is created, and
 * `v8.setFlagsFromString` later changes nothing.
 *
 * `--max-semi-space-size=64` (MB; Node 20's default is 16): ingest keeps its coalesced batches,
 * pending Kafka fetches and state caches alive across many small allocations, and every
 * scavenge copies what is alive. Four times the room means about a quarter of the scavenges,
 * each copying no more. The demo mix of 1,000 customers replayed from files took 5–13 % less
 * time in three alternated pairs (docs/benchmarks.md, "Young generation"), for 80–150 MB more
 * peak RSS. The segment evaluation workers set the same through `resourceLimits`.
 */
export const V8_FLAGS: readonly string[] = ['--max-semi-space-size=64'];
