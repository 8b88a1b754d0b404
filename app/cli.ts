/**
 * `c360` — the command line and the composition root of every process it
 * starts. The only module that reads `process.env`; it hands the environment
 * to createConfig, which validates it (and, first of all, defaults NODE_ENV for the libraries:
 * see production-mode.ts).
 */
import './production-mode';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import pino, { type Logger } from 'pino';
import { hashApiKey, isRole, LOG_REDACT_PATHS } from '../api/auth';
import { C360Error, ConfigError } from '../graph-schema';
import {
  type DeadLetterArchive,
  type RawMessage,
  replayDeadLetters,
  type SourceKind,
  type StoredDeadLetter,
} from '../ingest';
import { registerBenchCommand } from '../scripts/bench';
import { createDemoPlan, createProfile, runDemo, writeDemoFiles } from '../scripts/demo';
import { registerInfraCommands } from '../scripts/infra';
import { registerConnectorCommands } from '../services/connect';
import { registerCdcCommands } from './cdc-map-command';
import { type C360Config, type ConfigOptions, createConfig, redactConfig } from './config';
import { type Ingest, openDeadLetterArchive, startApi, startHub, startWorker, wire } from './processes';
import { rebuildGraph } from './rebuild-command';
import { replayFiles } from './replay-files';

function makeLogger(config: Pick<C360Config, 'logLevel'>): Logger {
  return pino({
    level: config.logLevel,
    base: { service: 'c360' },
    redact: [...LOG_REDACT_PATHS],
  });
}

/** Flags use the config option names; commander gives camelCase keys. Undefined = not given. */
function configFrom(flags: Record<string, unknown>, extra: ConfigOptions = {}): C360Config {
  const options: Record<string, unknown> = { ...extra };
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) options[k] = v;
  return createConfig(options as ConfigOptions, process.env);
}

function storeOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--graph <kind>', 'graph store (env C360_GRAPH)').choices(['embedded', 'gremlin', 'neo4j']))
    .option('--graph-url <url>', 'graph store URL (env C360_GRAPH_URL)')
    .option('--data-dir <dir>', 'data directory for the embedded store, dedupe and dead letters (env C360_DATA_DIR)')
    .option('--mappings <file>', 'CDC mapping file (env C360_MAPPINGS; default: the demo CRM, docs/cdc.md)')
    .option('--log-level <level>', 'log level (env C360_LOG_LEVEL)');
}

/** What a process that serves HTTP (`start`, `api`) accepts beyond the store options. */
function httpOptions(cmd: Command): Command {
  return cmd
    .option('--host <host>', 'listen address (env C360_HOST)')
    .option('--port <port>', 'HTTP port (env C360_PORT, default 4000)')
    .option('--write-keys <keys>', 'comma-separated collector write keys (env C360_WRITE_KEYS)')
    .option('--api-keys-file <path>', 'JSON file of GraphQL API keys (env C360_API_KEYS_FILE)')
    .option('--kafka-brokers <list>', 'Kafka brokers host:port,… (env C360_KAFKA_BROKERS)')
    .option(
      '--analytics-refresh-ms <ms>',
      'rerun the trait-writing analytics (pagerank, community, …) this often; 0 = only when queried (env C360_ANALYTICS_REFRESH_MS, default 0)',
    );
}

async function runUntilSignal(close: () => Promise<void>, logger: Logger, timeoutMs: number): Promise<void> {
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      const timer = setTimeout(() => {
        logger.error({ timeoutMs }, 'shutdown timed out');
        process.exit(1);
      }, timeoutMs);
      timer.unref();
      close().then(resolve, (e) => {
        logger.error({ err: e }, 'shutdown failed');
        process.exit(1);
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

export function buildProgram(): Command {
  const program = new Command('c360')
    .description('Customer 360° graph event hub: CDC, clickstream and telemetry in, one live customer graph out.')
    .showHelpAfterError();

  httpOptions(storeOptions(program.command('start')))
    .description('run the hub: Segment-compatible collector, ingest pipeline and GraphQL API with the playground')
    .option('--demo', 'load realistic demo data on first start (env C360_DEMO)')
    .option('--demo-customers <n>', 'how many demo customers (env C360_DEMO_CUSTOMERS)')
    .action(async (flags) => {
      const config = configFrom(flags);
      const logger = makeLogger(config);
      logger.info({ config: redactConfig(config) }, 'starting');
      const hub = await startHub(config, {
        logger,
        demo: (options) => runDemo({ ...options, batchSize: 500, progress: process.stdout.isTTY === true }),
        // The playground's first examples then find a real demo customer instead of null.
        ...(config.demo ? { playgroundExamples: demoExamples(config) } : {}),
      });
      if (config.demo) {
        process.stdout.write(
          '\n  !! DEMO MODE: GraphQL needs no credentials — anyone who can reach this port can read and erase customers.\n',
        );
      }
      process.stdout.write(`\n  c360 is running — open ${hub.url.replace('127.0.0.1', 'localhost')}/graphql\n\n`);
      await runUntilSignal(() => hub.close(), logger, config.shutdownTimeoutMs);
    });

  // Kafka mode split into processes: workers scale out in one consumer group, API replicas are stateless.
  storeOptions(program.command('worker'))
    .description('consume the hub topics in the consumer group and apply them to the store (needs Kafka)')
    .option('--kafka-brokers <list>', 'Kafka brokers host:port,… (env C360_KAFKA_BROKERS)')
    .option('--port <port>', 'port of /healthz, /readyz, /metrics (env C360_PORT)')
    .action(async (flags) => {
      const config = configFrom(flags);
      const logger = makeLogger(config);
      logger.info({ config: redactConfig(config) }, 'starting worker');
      const worker = await startWorker(config, { logger });
      await runUntilSignal(() => worker.close(), logger, config.shutdownTimeoutMs);
    });

  httpOptions(storeOptions(program.command('api')))
    .description('serve GraphQL and the collector; the collector appends to Kafka for the workers (needs Kafka)')
    .action(async (flags) => {
      const config = configFrom(flags);
      const logger = makeLogger(config);
      logger.info({ config: redactConfig(config) }, 'starting api');
      const api = await startApi(config, { logger });
      await runUntilSignal(() => api.close(), logger, config.shutdownTimeoutMs);
    });

  storeOptions(program.command('seed'))
    .alias('demo')
    .description('generate realistic demo customers; load them into the store, or write NDJSON files with --out')
    .option('--customers <n>', 'how many customers', '200')
    .option('--seed <n>', 'random seed (same seed, same data)', '360')
    .option('--out <dir>', 'write clickstream/cdc/telemetry NDJSON files here instead of loading')
    .action(async (flags) => {
      const { customers, seed, out, ...rest } = flags as Record<string, string | undefined>;
      const config = configFrom(rest, {
        demoCustomers: customers as unknown as number,
        demoSeed: seed as unknown as number,
      });
      const logger = makeLogger(config);
      if (out) {
        const summary = await writeDemoFiles(out, { customers: config.demoCustomers, seed: config.demoSeed });
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        return;
      }
      // The worker's wiring without its consumer: seeding drives health, traits and segments like ingest does.
      const w = await wire(config, { role: 'worker', logger });
      w.startFeatures();
      try {
        const result = await runDemo({
          customers: config.demoCustomers,
          seed: config.demoSeed,
          submit: (batch: RawMessage[]) => (w.ingest as Ingest).pipeline.submit(batch),
          batchSize: 500,
          progress: process.stdout.isTTY === true,
        });
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      } finally {
        await w.close();
      }
    });

  registerDeadLetterCommands(program);

  storeOptions(program.command('replay'))
    .description('apply NDJSON files through the ingest pipeline (the format `c360 seed --out` writes)')
    .addOption(
      new Option('--source <kind>', 'what the lines are')
        .choices(['segment', 'cdc', 'telemetry'])
        .makeOptionMandatory(),
    )
    .argument('<files...>', 'NDJSON files: one Segment event / telemetry reading per line; CDC lines {topic,key,value}')
    .action(async (files: string[], flags) => {
      const { source, ...rest } = flags as Record<string, string | undefined>;
      const config = configFrom(rest);
      const logger = makeLogger(config);
      // Like seed: the same features as ingest see the replayed events (health, traits, live segments).
      const totals = await replayFiles(config, [[source as SourceKind, files]], logger);
      process.stdout.write(`${JSON.stringify(totals)}\n`);
    });

  storeOptions(program.command('rebuild'))
    .description(
      're-derive the graph from event files when its store is lost or damaged: moves the graph, live state and dedupe window aside (kept, never deleted), then applies the files ignoring what the old dedupe window remembered',
    )
    .option('--segment <files...>', 'NDJSON files of Segment events (what `c360 seed --out` and event archives hold)')
    .option('--telemetry <files...>', 'NDJSON files of telemetry readings')
    .option('--cdc <files...>', 'NDJSON files of CDC records {topic,key,value}')
    .action(async (flags) => {
      const { segment, telemetry, cdc, ...rest } = flags as Record<string, string[] | string | undefined>;
      const inputs = {
        segment: (segment as string[] | undefined) ?? [],
        telemetry: (telemetry as string[] | undefined) ?? [],
        cdc: (cdc as string[] | undefined) ?? [],
      };
      if (inputs.segment.length + inputs.telemetry.length + inputs.cdc.length === 0) {
        throw new ConfigError(
          '--segment',
          'name the event files to rebuild from (--segment, --telemetry and/or --cdc)',
        );
      }
      const config = configFrom(rest as Record<string, string | undefined>);
      const result = await rebuildGraph(config, inputs, makeLogger(config));
      process.stdout.write(`${JSON.stringify(result)}\n`);
    });

  program
    .command('api-key')
    .description('create a GraphQL API key: prints the key once and the entry (with its hash) for C360_API_KEYS')
    .requiredOption('--name <name>', 'who holds it (shown in the audit log)')
    .requiredOption('--roles <roles>', 'comma-separated: agent, marketer, analyst, admin, ingest')
    .option('--expires-at <iso>', 'refuse the key after this instant')
    .action((flags: { name: string; roles: string; expiresAt?: string }) => {
      const roles = flags.roles.split(',').map((r) => r.trim());
      const bad = roles.filter((r) => !isRole(r));
      if (bad.length > 0) throw new ConfigError('--roles', `unknown roles: ${bad.join(', ')}`);
      const key = `c360_${randomBytes(32).toString('base64url')}`;
      const entry = { name: flags.name, roles, keyHash: hashApiKey(key), expiresAt: flags.expiresAt ?? null };
      process.stdout.write(
        `key (shown once; give it to ${flags.name}): ${key}\nconfig entry: ${JSON.stringify(entry)}\n`,
      );
    });

  registerBenchCommand(program, resolve(__dirname, '..'), process.env);
  registerInfraCommands(program);
  registerConnectorCommands(program, process.env);
  registerCdcCommands(program, process.env);
  return program;
}

/**
 * `c360 dead-letters list|show|replay`: the deployment's dead letters, worked by an
 * operator — the data dir's file, or with Kafka the dead-letter topic.
 */
function registerDeadLetterCommands(program: Command): void {
  const group = program
    .command('dead-letters')
    .description(
      'list, show and replay dead letters: <data dir>/dead-letters.ndjson, or with --kafka-brokers the dead-letter topic (C360_TOPIC_DLQ)',
    );
  const withKafka = (cmd: Command) =>
    storeOptions(cmd).option('--kafka-brokers <list>', 'Kafka brokers host:port,… (env C360_KAFKA_BROKERS)');
  const filterOf = (flags: Record<string, string | undefined>) => {
    const sinceMs = flags.since === undefined ? undefined : Date.parse(flags.since);
    if (sinceMs !== undefined && Number.isNaN(sinceMs)) {
      throw new ConfigError('--since', `must be an ISO date or time, got ${flags.since}`);
    }
    return { ...(flags.reason ? { reason: flags.reason } : {}), ...(sinceMs !== undefined ? { sinceMs } : {}) };
  };
  const brief = (l: StoredDeadLetter) => ({
    id: l.id,
    at: new Date(l.at).toISOString(),
    reason: l.code,
    message: l.message,
    source: l.position.source,
    position: l.position,
    replayedAt: l.replayedAt === null ? null : new Date(l.replayedAt).toISOString(),
  });
  const withArchive = async <T>(config: C360Config, work: (archive: DeadLetterArchive) => Promise<T>): Promise<T> => {
    const opened = await openDeadLetterArchive(config, makeLogger(config));
    try {
      return await work(opened.archive);
    } finally {
      await opened.close();
    }
  };

  withKafka(group.command('list'))
    .description('one JSON line per letter: id, time, reason, message, where it came from, whether replayed')
    .option('--reason <code>', 'only this reason (e.g. UNMAPPED_TABLE, INVALID_JSON, TOO_LATE)')
    .option('--since <iso>', 'only letters dead-lettered at or after this time')
    .option('--limit <n>', 'at most this many (newest last)', '100')
    .action(async (flags: Record<string, string | undefined>) => {
      const { reason, since, limit, ...rest } = flags;
      const config = configFrom(rest);
      const letters = await withArchive(config, (a) => a.list(filterOf({ reason, since })));
      for (const l of letters.slice(-Number(limit ?? 100))) process.stdout.write(`${JSON.stringify(brief(l))}\n`);
    });

  withKafka(group.command('show'))
    .description('one letter in full, with its original bytes decoded as text')
    .argument('<id>', 'the id `list` prints')
    .action(async (id: string, flags: Record<string, string | undefined>) => {
      const config = configFrom(flags);
      const { letter, where } = await withArchive(config, async (a) => ({
        letter: (await a.list()).find((l) => l.id === id),
        where: a.where,
      }));
      if (!letter) throw new ConfigError('<id>', `no dead letter ${id} in ${where}`);
      const original =
        letter.originalBase64 === null ? null : Buffer.from(letter.originalBase64, 'base64').toString('utf8');
      process.stdout.write(
        `${JSON.stringify({ ...brief(letter), eventId: letter.eventId ?? null, original }, null, 2)}\n`,
      );
    });

  withKafka(group.command('replay'))
    .description(
      'replay letters not yet replayed through the pipeline (with the live features); still-bad ones are dead-lettered again',
    )
    .option('--reason <code>', 'only this reason')
    .option('--since <iso>', 'only letters dead-lettered at or after this time')
    .action(async (flags: Record<string, string | undefined>) => {
      const { reason, since, ...rest } = flags;
      const config = configFrom(rest);
      const logger = makeLogger(config);
      // The worker's wiring without its consumer: replayed events drive the same features as ingest,
      // and with Kafka a still-bad letter goes back to the dead-letter topic.
      const w = await wire(config, { role: 'worker', logger });
      w.startFeatures();
      try {
        const opened = await openDeadLetterArchive(config, logger, w.kafka);
        try {
          const letters = await opened.archive.list({ ...filterOf({ reason, since }), includeReplayed: false });
          const result = await replayDeadLetters(letters, (w.ingest as Ingest).pipeline, opened.archive);
          process.stdout.write(`${JSON.stringify(result)}\n`);
        } finally {
          await opened.close();
        }
      } finally {
        await w.close();
      }
    });
}

export function demoExamples(config: C360Config): { email: string; customerId: string } {
  const first = createProfile(createDemoPlan({ customers: config.demoCustomers, seed: config.demoSeed }), 0);
  return { email: first.email, customerId: `Customer:${first.id}` };
}

/** Operating-system errors a user can act on, as one line (no stack trace). */
function systemErrorLine(e: unknown): string | null {
  const err = e as NodeJS.ErrnoException & { address?: string; port?: number };
  switch (err?.code) {
    case 'EADDRINUSE':
      return `port ${err.port ?? '?'} on ${err.address ?? 'this host'} is already in use (another c360 or program); choose another with --port or C360_PORT [EADDRINUSE]`;
    case 'EACCES':
      return err.syscall === 'listen'
        ? `no permission to listen on port ${err.port ?? '?'}; choose a port above 1023 with --port or C360_PORT [EACCES]`
        : `no permission to read or write ${err.path ?? 'a file'} [EACCES]`;
    case 'ENOENT':
      return `no such file or directory: ${err.path ?? err.message} [ENOENT]`;
    case 'EISDIR':
      return `${err.path ?? 'the path'} is a directory, not a file [EISDIR]`;
    default:
      return null;
  }
}

export async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (e) {
    // Startup errors a user can fix get one clear line, not a stack trace.
    if (e instanceof ConfigError) {
      process.stderr.write(`c360: ${e.message}\n`);
      process.exit(2);
    }
    if (e instanceof C360Error) {
      process.stderr.write(`c360: ${e.message} [${e.code}]\n`);
      process.exit(1);
    }
    const system = systemErrorLine(e);
    if (system !== null) {
      process.stderr.write(`c360: ${system}\n`);
      process.exit(1);
    }
    throw e;
  }
}

// Run when executed directly (`tsx app/cli.ts`); app/bin/c360.js calls main() itself.
if (require.main === module) void main();
