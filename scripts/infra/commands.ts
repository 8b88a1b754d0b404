/** `c360 infra up|down|status|logs` — wired into the c360 CLI by scripts/cli.ts, and into scripts/infra/main.ts. */
import { type Command, InvalidArgumentError } from 'commander';
import { infraDown, infraLogs, infraStatus, infraUp, type ServerStatus } from './infra';
import { defaultServerNames, isServerName, type ServerName, serverNames } from './server-name';

function checkNames(values: readonly string[]): ServerName[] {
  for (const v of values) {
    if (!isServerName(v)) throw new InvalidArgumentError(`unknown server '${v}' (one of ${serverNames.join(', ')})`);
  }
  return values as ServerName[];
}

/** The named servers, or `fallback` when none is named. */
function parseNames(values: readonly string[], fallback: readonly ServerName[] = serverNames): ServerName[] {
  const names = checkNames(values);
  return names.length === 0 ? [...fallback] : names;
}

function printStatus(statuses: readonly ServerStatus[], asJson: boolean): void {
  if (asJson) {
    process.stdout.write(`${JSON.stringify(statuses, null, 2)}\n`);
    return;
  }
  for (const s of statuses) {
    const health = s.healthy ? 'healthy' : s.state === 'stopped' ? 'stopped' : 'UNHEALTHY';
    const pid = s.pid === null ? '' : ` pid ${s.pid}`;
    process.stdout.write(`${s.name.padEnd(9)} ${health.padEnd(9)} ${s.endpoint}${pid}  ${s.detail}\n`);
  }
}

export function registerInfraCommands(program: Command): Command {
  const infra = program
    .command('infra')
    .description(
      `local Kafka, Gremlin Server, Neo4j, PostgreSQL, Kafka Connect (and, opt-in, Cassandra + JanusGraph) without Docker (servers: ${serverNames.join(', ')})`,
    );
  infra
    .command('up')
    .description('download (first run) and start servers, waiting until each answers a real client call')
    .argument('[names...]', `servers to start (default: ${defaultServerNames.join(', ')})`)
    .option('--with <names...>', 'start these too, e.g. --with janusgraph (it brings Cassandra)')
    .option('--json', 'print the status as JSON')
    .action(async (names: string[], flags: { json?: boolean; with?: string[] }) => {
      const wanted = [...parseNames(names, defaultServerNames), ...checkNames(flags.with ?? [])];
      printStatus(await infraUp([...new Set(wanted)]), flags.json === true);
    });
  infra
    .command('down')
    .description('stop servers and every process they started')
    .argument('[names...]', 'servers to stop (default: all, JanusGraph and Cassandra included)')
    .action(async (names: string[]) => {
      const stopped = await infraDown(parseNames(names));
      process.stdout.write(stopped.length ? `stopped ${stopped.join(', ')}\n` : 'nothing was running\n');
    });
  infra
    .command('status')
    .description(
      'state of every server (Cassandra and JanusGraph when running) and the answer to its client probe; exits 1 unless all are healthy',
    )
    .option('--json', 'print the status as JSON')
    .action(async (flags: { json?: boolean }) => {
      const statuses = await infraStatus();
      printStatus(statuses, flags.json === true);
      if (!statuses.every((s) => s.healthy)) process.exitCode = 1;
    });
  infra
    .command('logs')
    .description("print the end of a server's log")
    .argument('<name>', `one of ${serverNames.join(', ')}`)
    .option('-n, --lines <count>', 'how many lines', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a positive integer');
      return n;
    })
    .action((name: string, flags: { lines?: number }) => {
      const [server] = parseNames([name]);
      const log = infraLogs(server!, { lines: flags.lines ?? 100 });
      process.stdout.write(log.text ? `${log.text}\n` : `(no log yet at ${log.file})\n`);
      process.stderr.write(`— ${log.file}\n`);
    });
  return infra;
}
