/**
 * Every way of starting c360 runs it with app/v8-flags.ts's flags: the bin (its shebang),
 * `npm start` and `npm run c360`, and the bench's children (they import V8_FLAGS).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { V8_FLAGS } from '../../../app/v8-flags';

const root = resolve(__dirname, '../../..');
const run = promisify(execFile);

describe('V8 flags', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'c360-v8-flags-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are what the bin starts node with: the process itself reports them', async () => {
    // Preloaded before the CLI: reports the flags node was started with, and stops there.
    const probe = join(dir, 'probe.js');
    writeFileSync(probe, 'process.stdout.write(JSON.stringify(process.execArgv)); process.exit(0);\n');
    const { stdout } = await run(join(root, 'app/bin/c360.js'), ['--help'], {
      env: { ...process.env, NODE_OPTIONS: `--require=${probe}` },
    });
    const execArgv = JSON.parse(stdout) as string[];
    for (const flag of V8_FLAGS) expect(execArgv).toContain(flag);
  });

  it('are in the npm scripts that start c360', () => {
    const scripts = (
      JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    for (const name of ['start', 'c360']) {
      expect(scripts[name]).toBe(
        `node ${V8_FLAGS.join(' ')} app/bin/c360.js${name === 'start' ? ' start --demo' : ''}`,
      );
    }
  });
});
