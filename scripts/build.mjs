#!/usr/bin/env node
// Bundles every function (functions/<name>/index.ts → dist/<name>/index.js) and the CLI
// (cli/bundle-entry.ts → dist/cli/argo-oss.cjs) into single self-contained CommonJS files, then
// checks that each bundle loads with no node_modules in reach.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
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

/** Loads the bundle in a child process whose cwd and NODE_PATH cannot reach node_modules. */
function loads(t) {
  const script = t.name === 'cli' ? [t.outfile, '--help'] : ['-e', `require(${JSON.stringify(t.outfile)})`];
  try {
    execFileSync(process.execPath, script, { cwd: dirname(t.outfile), env: { PATH: process.env.PATH }, stdio: 'pipe', timeout: 30_000 });
    return { ok: true };
  } catch (err) {
    return { ok: false, error: String(err.stderr || err.message) };
  }
}
