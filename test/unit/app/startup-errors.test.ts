/**
 * Startup and operator errors (issue 19 item 10): a port in use and a missing
 * replay file are one clear line, not a stack trace; a second hub on the same
 * data dir refuses to start and names the process holding it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createConfig } from '../../../app/config';
import { type Hub, startHub } from '../../../app/processes';
import { runC360 } from '../../helpers/c360-process';

const c360 = runC360;

describe('startup and operator errors', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'c360-startup-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('a second hub on the same data dir refuses to start, naming the lock holder; after the first stops it starts', async () => {
    const dir = tempDir();
    const config = createConfig({ dataDir: dir, port: 0, writeKeys: ['wk'], demo: true, logLevel: 'silent' }, {});
    const deps = { logger: pino({ level: 'silent' }), demo: async () => ({}) };
    const first: Hub = await startHub(config, deps);
    try {
      await expect(startHub(config, deps)).rejects.toMatchObject({
        name: 'ConfigError',
        message: expect.stringContaining(`in use by pid ${process.pid} (c360 start`),
      });
    } finally {
      await first.close();
    }
    const again = await startHub(config, deps);
    await again.close();
  });

  it('a port in use is one line naming the port and the setting, exit code 1', async () => {
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    try {
      const r = await c360(['start', '--demo', '--port', String(port), '--data-dir', tempDir()], {
        C360_LOG_LEVEL: 'silent',
        C360_DEMO_CUSTOMERS: '1',
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`c360: port ${port} on 127.0.0.1 is already in use`);
      expect(r.stderr).toContain('C360_PORT');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      busy.close();
    }
  }, 60_000);

  it('a missing replay file is one line naming the file, exit code 1', async () => {
    const missing = join(tempDir(), 'no-such-events.ndjson');
    const r = await c360(['replay', '--source', 'segment', '--data-dir', tempDir(), missing], {
      C360_LOG_LEVEL: 'silent',
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`c360: no such file or directory: ${missing} [ENOENT]`);
  }, 60_000);
});
