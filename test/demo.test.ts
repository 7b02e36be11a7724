// `npm run demo` end to end: the three seed scenarios against a stack the demo starts itself, with a
// small file, through the real uploader child processes, gateway, OSS server and Kubernetes API.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function demo(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/run-ts.mjs'), join(ROOT, 'scripts/demo.ts'), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run demo', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'argo-oss-demo-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('plays the three scenarios on its own stack, all PASS, and cleans up after itself', async () => {
    // cwd without .local/ and --own-stack: never the developer's running stack.
    const r = await demo(['--size', '48MiB', '--own-stack', '--work-dir', dir], dir);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/^1 oversized upload\s+PASS\s/m);
    expect(r.stdout).toMatch(/^2 artifact GC\s+PASS\s/m);
    expect(r.stdout).toMatch(/^3 streaming download\s+PASS\s/m);
    expect(r.stdout).not.toMatch(/✗|FAIL/);
    // What the scenarios claim is printed as it is checked.
    expect(r.stdout).toMatch(/killed midway \(SIGKILL\) with parts already in OSS: signal SIGKILL, \d+ of 12 parts in OSS/);
    expect(r.stdout).toMatch(/resumes the same upload/);
    expect(r.stdout).toMatch(/on-completion\.txt is removed/);
    expect(r.stdout).toMatch(/sha256 is the source file's/);
    expect(r.stdout).toMatch(/all scenarios passed/);
    // The uploader's progress went to stderr (a plain line off a terminal).
    expect(r.stderr).toMatch(/parts 12\/12/);
    // The generated file and the stack's data dir are gone.
    expect(await readdir(dir)).toEqual([]);
  }, 180_000);

  it('names the wrong option', async () => {
    const size = await demo(['--size', '1MiB'], dir);
    expect(size.code).toBe(2);
    expect(size.stderr).toMatch(/--size must be at least 12MiB/);
    const only = await demo(['--only', 'upload,backup'], dir);
    expect(only.code).toBe(2);
    expect(only.stderr).toMatch(/--only: unknown scenario "backup"/);
    const stack = await demo(['--data-dir', join(dir, 'nothing-here')], dir);
    expect(stack.code).toBe(2);
    expect(stack.stderr).toMatch(/local\.env does not exist/);
  }, 120_000);
});
