#!/usr/bin/env node
// Bundles every function (functions/<name>/index.ts → dist/<name>/index.js) and the CLI
// (cli/bundle-entry.ts → dist/cli/argo-oss.cjs) into single self-contained CommonJS files, then
// checks that each bundle loads with no node_modules in reach.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outRoot = resolve(process.argv[2] ?? join(root, 'dist'));

const targets = [];
const functionsDir = join(root, 'functions');
if (existsSync(functionsDir)) {
  for (const name of readdirSync(functionsDir).sort()) {
    const entry = join(functionsDir, name, 'index.ts');
    if (existsSync(entry)) targets.push({ name, entry, outfile: join(outRoot, name, 'index.js') });
  }
}
targets.push({ name: 'cli', entry: join(root, 'cli/bundle-entry.ts'), outfile: join(outRoot, 'cli/argo-oss.cjs'), banner: '#!/usr/bin/env node' });

let failed = false;
for (const t of targets) {
  await mkdir(dirname(t.outfile), { recursive: true });
  await build({
    entryPoints: [t.entry],
    outfile: t.outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
    // Code shared with the sources reads import.meta.url and falls back when it is empty, as in CommonJS.
    logOverride: { 'empty-import-meta': 'silent' },
    // ali-oss's HTTP client (urllib) requires proxy-agent only when an HTTP proxy is configured; it is
    // not installed and must stay an optional run-time require, not a build failure.
    external: ['proxy-agent'],
    banner: t.banner ? { js: t.banner } : undefined,
  });
  // The repository is "type": "module"; mark bundle folders CommonJS so they load the same here and in FC.
  await writeFile(join(dirname(t.outfile), 'package.json'), '{ "type": "commonjs" }\n');
  const size = statSync(t.outfile).size;
  const check = loads(t);
  failed ||= !check.ok;
  console.log(`${t.name.padEnd(22)} ${(size / 1024).toFixed(0).padStart(6)} KiB  ${t.outfile.replace(`${root}/`, '')}  ${check.ok ? 'loads' : `FAILS TO LOAD\n${check.error}`}`);
}
process.exit(failed ? 1 : 0);

/**
 * Loads a copy of the bundle from a temporary folder outside the repository, so no node_modules is
 * in reach of Node's module resolution — as in FC or a pod.
 */
function loads(t) {
  const dir = mkdtempSync(join(tmpdir(), `argo-oss-bundle-${t.name}-`));
  const copy = join(dir, basename(t.outfile));
  try {
    copyFileSync(t.outfile, copy);
    writeFileSync(join(dir, 'package.json'), '{ "type": "commonjs" }\n');
    const script = t.name === 'cli' ? [copy, '--help'] : ['-e', `require(${JSON.stringify(copy)})`];
    execFileSync(process.execPath, script, { cwd: dir, env: { PATH: process.env.PATH }, stdio: 'pipe', timeout: 30_000 });
    return { ok: true };
  } catch (err) {
    return { ok: false, error: String(err.stderr || err.message) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
