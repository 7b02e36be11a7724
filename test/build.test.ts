// `npm run build` produces self-contained bundles: each is copied away from node_modules and run.
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;

describe('npm run build', () => {
  let out: string;
  let isolated: string;
  let buildLog: string;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'argo-oss-dist-'));
    isolated = await mkdtemp(join(tmpdir(), 'argo-oss-isolated-'));
    buildLog = (await run(process.execPath, [join(root, 'scripts/build.mjs'), out], { cwd: root, timeout: 120_000 })).stdout;
  }, 180_000);

  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
    await rm(isolated, { recursive: true, force: true });
  });

  it('reports each bundle with its size and a successful load check', () => {
    expect(buildLog).toMatch(/^cli\s+\d+ KiB\s+.*argo-oss\.cjs\s+loads$/m);
    expect(buildLog).not.toMatch(/FAILS TO LOAD/);
  });

  it('writes one file per bundle folder plus its CommonJS marker', async () => {
    expect((await readdir(join(out, 'cli'))).sort()).toEqual(['argo-oss.cjs', 'package.json']);
  });

  it('runs the CLI bundle with no node_modules in reach', async () => {
    await copyFile(join(out, 'cli/argo-oss.cjs'), join(isolated, 'argo-oss.cjs'));
    await writeFile(join(isolated, 'package.json'), '{ "type": "commonjs" }\n');
    const { stdout } = await run(process.execPath, [join(isolated, 'argo-oss.cjs'), '--help'], { cwd: isolated, env: { PATH: process.env.PATH } });
    expect(stdout).toMatch(/Usage: argo-oss <command>/);
    const { stdout: help } = await run(process.execPath, [join(isolated, 'argo-oss.cjs'), 'oss-server', '--help'], { cwd: isolated, env: { PATH: process.env.PATH } });
    expect(help).toContain('--data-dir');
  });
});
