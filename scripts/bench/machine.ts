import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { BenchResult } from './bench-result';

export function describeMachine(): BenchResult['machine'] {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    platform: `${process.platform}-${process.arch}`,
    node: process.version,
  };
}

/** Versions of the parts whose speed is measured, read from their installed package.json. */
export function describeVersions(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['lmdb', 'graphology', '@apollo/server', 'express', 'kafkajs', 'gremlin', 'neo4j-driver']) {
    try {
      const pkg = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as {
        version: string;
      };
      out[name] = pkg.version;
    } catch {
      // Not installed: that store's scenarios are not run either.
    }
  }
  return out;
}

function statusMiB(pid: number, field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`${field}:\\s+(\\d+)\\s+kB`).exec(status);
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** Peak resident set size of a live process (Linux VmHWM), in MiB. */
export function peakRssMiB(pid: number): number | null {
  return statusMiB(pid, 'VmHWM');
}

/** Resident set size now (Linux VmRSS), in MiB: for long-running servers whose peak predates the run. */
export function currentRssMiB(pid: number): number | null {
  return statusMiB(pid, 'VmRSS');
}
