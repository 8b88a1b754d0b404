import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { V8_FLAGS } from '../../app/v8-flags';

/**
 * Run a TypeScript entry point in a child process (through tsx), hand its
 * `progress <n>` stderr lines to `onProgress`, and parse its last stdout line
 * as JSON.
 */
export function runTsChild<T>(
  root: string,
  script: string,
  args: readonly string[],
  onProgress?: (n: number) => void,
): Promise<T> {
  return new Promise((resolve, reject) => {
    // `-r tsx/cjs` (not the tsx CLI, which forks again) so the child's pid is the measured process.
    const child = spawn(process.execPath, [...V8_FLAGS, '-r', 'tsx/cjs', join(root, script), ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      const text = d.toString('utf8');
      for (const line of text.split('\n')) {
        const m = /^progress (\d+)$/.exec(line.trim());
        if (m) onProgress?.(Number(m[1]));
        else if (line.trim()) err += `${line}\n`;
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`${script} exited with ${code}: ${err.slice(-2000)}`));
        return;
      }
      const last = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`${script} printed no JSON result: ${out.slice(-500)} ${err.slice(-500)}`));
      }
    });
  });
}
