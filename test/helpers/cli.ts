// Runs the `argo-oss` command from the sources (bin/argo-oss.mjs) as a child process, as a user would.
// No wall-clock deadlines here: starting the CLI from the TypeScript sources costs seconds of CPU,
// which on a loaded machine become tens of seconds of wall time. A child that hangs is caught by the
// test's own timeout, and every child still running when the test worker exits is killed.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ARGO_OSS_BIN = fileURLToPath(new URL('../../bin/argo-oss.mjs', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function spawnCli(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, [ARGO_OSS_BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('close', () => running.delete(child));
  return child;
}

/** Runs `argo-oss ...args` to completion. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts a long-running `argo-oss ...args` and resolves once its stdout contains `ready`; rejects if it exits first. */
export function startCli(args: string[], env: NodeJS.ProcessEnv, ready: string): Promise<{ child: ChildProcess; output: () => string; exit: Promise<number | null> }> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, env);
    let out = '';
    let isReady = false;
    const exit = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      if (!isReady && out.includes(ready)) {
        isReady = true;
        resolve({ child, output: () => out, exit });
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out += d));
    child.on('error', reject);
    void exit.then((code) => {
      if (!isReady) reject(new Error(`argo-oss ${args.join(' ')} exited with ${code} before it printed ${JSON.stringify(ready)}:\n${out}`));
    });
  });
}
