/**
 * Stand-alone entry for the infra commands (`npx tsx scripts/infra/main.ts up`),
 * the same subcommands `c360 infra` has; useful when the rest of the CLI is broken.
 */
import { Command } from 'commander';
import { C360Error } from '../../graph-schema/errors';
import { registerInfraCommands } from './commands';

const program = new Command('c360');
registerInfraCommands(program);
// `main.ts up` means `c360 infra up`.
program.parseAsync([...process.argv.slice(0, 2), 'infra', ...process.argv.slice(2)]).catch((e: unknown) => {
  process.stderr.write(`${e instanceof C360Error ? `${e.name} [${e.code}]: ${e.message}` : String(e)}\n`);
  process.exitCode = 1;
});
