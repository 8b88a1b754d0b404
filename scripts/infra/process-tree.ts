/**
 * Detached server processes with pid files, and stopping them with everything
 * they started. Linux /proc is the source of truth: a pid file only counts when
 * the pid is alive and its command line still carries our marker, so a reused
 * pid is never mistaken for a server (or killed).
 */
import { type SpawnOptions, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PidRecord {
  readonly pid: number;
  /** A string that appears in the process's command line (a -D flag, a data directory). */
  readonly marker: string;
  readonly startedAt: string;
}

export function readPidFile(file: string): PidRecord | null {
  if (!existsSync(file)) return null;
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as PidRecord;
    return Number.isInteger(record.pid) && typeof record.marker === 'string' ? record : null;
  } catch {
    return null;
  }
}

function cmdline(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return null;
  }
}

/** Zombies have exited; they only wait for their parent to reap them. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

export function isRunning(record: PidRecord | null): record is PidRecord {
  if (record === null) return false;
  const line = cmdline(record.pid);
  return line?.includes(record.marker) === true && !isZombie(record.pid);
}

/**
 * The oldest live process whose command line carries `marker` — a server of
 * ours whose pid file was lost (cache deleted under it, pid file removed by hand).
 */
export function findByMarker(marker: string): number | null {
  const pids = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .sort((a, b) => a - b);
  for (const pid of pids) {
    if (pid === process.pid) continue;
    const line = cmdline(pid);
    if (line?.includes(marker) && !isZombie(pid)) return pid;
  }
  return null;
}

/** The pid and c360 marker of a process listening on `port` — which c360 server, of which cache, holds a port. */
export function c360ServerOnPort(port: number): { pid: number; marker: string } | null {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const row of text.split('\n').slice(1)) {
      const cols = row.trim().split(/\s+/);
      // local_address is HEX_IP:HEX_PORT, state 0A is LISTEN, column 9 is the socket inode.
      if (cols.length > 9 && cols[3] === '0A' && Number.parseInt(cols[1]!.split(':')[1]!, 16) === port)
        inodes.add(cols[9]!);
    }
  }
  if (inodes.size === 0) return null;
  for (const d of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${d}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target = '';
      try {
        target = readlinkSync(`/proc/${d}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode)) {
        // JVMs carry -Dc360.infra=<name>@<cache>; a c360 PostgreSQL carries its data directory.
        const marker = /-Dc360\.infra=\S+|-D \S*(?:c360-infra-|c360\/infra\/)\S*/.exec(cmdline(Number(d)) ?? '')?.[0];
        return marker ? { pid: Number(d), marker } : null;
      }
    }
  }
  return null;
}

function parentOf(pid: number): { ppid: number; pgid: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), pgid: Number(fields[2]) };
  } catch {
    return null;
  }
}

/** The process, its descendants, and anything still in its process group (children that were re-parented). */
export function processTree(root: number): number[] {
  const all = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
  const info = new Map<number, { ppid: number; pgid: number }>();
  for (const pid of all) {
    const i = parentOf(pid);
    if (i !== null) info.set(pid, i);
  }
  const tree = new Set<number>([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, i] of info) {
      if (!tree.has(pid) && (tree.has(i.ppid) || i.pgid === root)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  return [...tree].filter((pid) => info.has(pid) && !isZombie(pid));
}

function signal(pids: readonly number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

/**
 * Asks the main process to shut down cleanly (`gracefulSignal`), waits for it
 * and its whole tree to exit, then SIGKILLs whatever is left.
 */
export async function stopTree(record: PidRecord, gracefulSignal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (!isRunning(record)) return;
  let tree = processTree(record.pid);
  signal([record.pid], gracefulSignal);
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    tree = tree.filter((pid) => existsSync(`/proc/${pid}`) && !isZombie(pid));
    if (tree.length === 0) return;
    await sleep(100);
  }
  signal(processTree(record.pid).concat(tree), 'SIGKILL');
  const killDeadline = Date.now() + 5000;
  while (Date.now() < killDeadline && tree.some((pid) => existsSync(`/proc/${pid}`) && !isZombie(pid))) {
    await sleep(50);
  }
}

export interface DetachedProcess {
  readonly record: PidRecord;
  /** Resolves with the exit code if the process exits while we are still watching it. */
  readonly exited: Promise<number | null>;
}

/**
 * Starts a process in its own process group with stdout/stderr appended to
 * `logFile` (the previous run's log is kept as `<logFile>.1`), writes the pid
 * file, and lets this Node process exit without waiting for it.
 */
export function spawnDetached(
  command: string,
  args: readonly string[],
  options: { logFile: string; pidFile: string; marker: string } & Pick<SpawnOptions, 'cwd' | 'env' | 'uid' | 'gid'>,
): DetachedProcess {
  mkdirSync(dirname(options.logFile), { recursive: true });
  mkdirSync(dirname(options.pidFile), { recursive: true });
  if (existsSync(options.logFile)) renameSync(options.logFile, `${options.logFile}.1`);
  const fd = openSync(options.logFile, 'a');
  writeFileSync(fd, `$ ${command} ${args.join(' ')}\n`);
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    uid: options.uid,
    gid: options.gid,
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
  if (child.pid === undefined) {
    return { record: { pid: -1, marker: options.marker, startedAt: new Date().toISOString() }, exited };
  }
  const record: PidRecord = { pid: child.pid, marker: options.marker, startedAt: new Date().toISOString() };
  writeFileSync(options.pidFile, `${JSON.stringify(record)}\n`);
  child.unref();
  return { record, exited };
}

export function writePidFile(file: string, record: PidRecord): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(record)}\n`);
}

export function removePidFile(file: string): void {
  rmSync(file, { force: true });
}
