/**
 * The `c360` CLI as a user runs it, in a child process: `c360 worker`, `c360 api`,
 * `c360 start`, configured only through C360_* environment variables. tsx's loader
 * runs in the node process itself, so a SIGKILL reaches the process that holds the
 * Kafka partitions (the tsx CLI would start a grandchild).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { waitFor } from './wait-for';

export interface C360Child {
  readonly pid: number;
  readonly url: string;
  /** Resolves once /readyz answers 200. */
  readonly ready: Promise<void>;
  /** The exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
  output(): string;
}

/** A port that was free a moment ago (the child binds it right away). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function spawnC360(
  command: readonly string[],
  env: Readonly<Record<string, string>>,
  options: { readyTimeoutMs?: number } = {},
): Promise<C360Child> {
  const root = join(__dirname, '..', '..');
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(root, 'app', 'cli.ts'), ...command], {
    cwd: root,
    env: { ...process.env, ...env, C360_PORT: String(port), C360_HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString('utf8')).slice(-40_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const ready = waitFor(
    async () => {
      if (gone) throw new Error(`c360 ${command.join(' ')} exited before it was ready:\n${out}`);
      const r = await fetch(`${url}/readyz`).catch(() => null);
      return r?.status === 200;
    },
    { timeoutMs: options.readyTimeoutMs ?? 120_000, intervalMs: 200, description: `c360 ${command.join(' ')} ready` },
  ).then(() => undefined);
  ready.catch(() => undefined);
  return {
    pid: child.pid ?? -1,
    url,
    ready,
    exited,
    kill: (signal) => {
      child.kill(signal);
    },
    output: () => out,
  };
}

/** A one-shot `c360 …` command as a user runs it: exit code and both streams. */
export function runC360(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const root = join(__dirname, '..', '..');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'app', 'cli.ts'), ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
    });
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
