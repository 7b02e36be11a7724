// npm run deploy [-- <s deploy options>]   build once and deploy s.yaml, then print the URLs
// npm run deploy -- --info                 print the deployed URLs again (s info)
//
// 1. Serverless Devs credentials are there (else: how to add them, before anything is built);
// 2. the bundles are built once (scripts/build.mjs; s.yaml has no build action of its own);
// 3. ARGO_OSS_KUBECONFIG_FILE / ARGO_OSS_LIFECYCLE_RULES_FILE are copied into the function packages;
// 4. s.yaml, resolved offline (`s preview`), is within FC's limits (4 KB environment, no FC_* names,
//    trigger order);
// 5. `s deploy -y`, then the URLs it reports.
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deployProblems, endpointsOf, formatEndpoints, jsonFromSOutput, NO_CREDENTIALS_HINT, stagePackageFiles } from './deploy/checks';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const S = join(root, 'node_modules', '.bin', 's');

/** Runs a command; with `capture` its output is also collected (and shown unless `quiet`). */
function run(command: string, args: string[], capture: boolean, quiet = false): Promise<{ code: number; out: string }> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: root, stdio: ['inherit', capture ? 'pipe' : 'inherit', capture ? 'pipe' : 'inherit'] });
    let out = '';
    const collect = (to: NodeJS.WriteStream) => (d: Buffer) => {
      out += d;
      if (!quiet) to.write(d);
    };
    child.stdout?.on('data', collect(process.stdout));
    child.stderr?.on('data', collect(process.stderr));
    child.on('error', fail);
    child.on('close', (code) => done({ code: code ?? 1, out }));
  });
}

function accessAlias(args: string[]): string {
  const i = args.findIndex((a) => a === '-a' || a === '--access');
  return i >= 0 && args[i + 1] ? args[i + 1] : 'default';
}

async function main(args: string[]): Promise<number> {
  if (args.includes('--info')) {
    const info = await run(S, ['info', '-o', 'json', ...args.filter((a) => a !== '--info')], true, true);
    if (info.code !== 0) return info.code;
    console.log(formatEndpoints(endpointsOf(jsonFromSOutput(info.out))));
    return 0;
  }
  const creds = await run(S, ['config', 'get', '-a', accessAlias(args)], true, true);
  if (!/AccountID/.test(creds.out)) {
    console.error(NO_CREDENTIALS_HINT);
    return 1;
  }
  const build = await run(process.execPath, [join(root, 'scripts', 'build.mjs')], false);
  if (build.code !== 0) return build.code;
  for (const file of stagePackageFiles(join(root, 'dist'), process.env)) console.log(`packaged ${file}`);
  const preview = await run(S, ['preview', '-o', 'json'], true, true);
  if (preview.code !== 0) return preview.code;
  const problems = deployProblems(jsonFromSOutput(preview.out));
  if (problems.length > 0) {
    console.error(`s.yaml would not deploy as configured:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    return 1;
  }
  const deploy = await run(S, ['deploy', '-y', '-o', 'json', ...args], true);
  if (deploy.code !== 0) {
    if (/config\('AccountID'\) not found/.test(deploy.out)) console.error(NO_CREDENTIALS_HINT);
    return deploy.code;
  }
  console.log(formatEndpoints(endpointsOf(jsonFromSOutput(deploy.out))));
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
