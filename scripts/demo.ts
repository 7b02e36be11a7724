// `npm run demo`: the scenarios end to end against the local stack — a running one
// (`npm start` in another terminal) or one started here — printing what happens and a final
// pass/fail table. Exit code 0 only when every scenario passed. Modules: scripts/demo/*.
import { mkdtemp, rm, stat, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatBytes, parseSize } from '../cli/upload/size';
import { deletePrefix } from '../shared/oss';
import { DemoCluster } from './demo/cluster';
import type { DemoContext } from './demo/context';
import { downloadScenario } from './demo/download';
import { gcScenario } from './demo/gc';
import { DemoError, passed, Reporter, type ScenarioResult } from './demo/report';
import { findRunningStack, StackError, startOwnStack, type DemoStack } from './demo/stack';
import { removeSource, uploadScenario } from './demo/upload';
import { pluginScenario } from './demo/plugin';

import { optionsNpmTook } from './demo/npm-options';

const usage = `Usage: npm run demo -- [options]

Plays the scenarios argo-oss-artifacts exists for against the local stack, checking every
claim against OSS, and prints a pass/fail table (exit code 0 only when all pass):
  upload    a pod-like step generates a big file and uploads it through the coordinator with
            argo-oss upload (progress, part plan, verified CRC-64); a second upload is SIGKILLed
            midway and resumed (examples/large-upload-workflow.yaml)
  gc        examples/artifact-gc-workflow.yaml completes, then is deleted: the completion event
            and the reconcile remove exactly what Argo's artifactGC says; a failed
            examples/gc-success-only-delayed.yaml run keeps its artifacts
  download  the big artifact through the download function, cut midway and resumed with Range;
            sha256 must match and the serving process's memory must stay flat
  plugin    the managed service's samples, unchanged (examples/sample-large-output.yaml,
            examples/sample-artifact-gc.yaml), run as Argo >= 4.0 runs them with the argo-oss
            artifact plugin (executor harness + one \`argo-oss plugin\` sidecar per pod): the big
            output saved through the coordinator and downloaded intact, the GC sample reclaimed

Uses the running stack of --data-dir (default ./.local, written by \`npm start\`) when its gateway
answers; otherwise starts its own in a temp directory and stops it at the end.

Options:
  --only LIST       run only these scenarios: upload, gc, download, plugin (comma-separated)
  --size SIZE       size of the generated file (default 1GiB, and 20GiB for plugin when the disk has
                    room for it three times over; e.g. 48MiB, 20GiB; at least 12MiB)
  --keep            keep the workflows, objects and files this run made (and an own stack's data)
  --stack URL       the gateway of a running stack (its local.env still comes from --data-dir)
  --data-dir DIR    data dir of a running stack (default ./.local)
  --own-stack       start an own stack even when one is running
  --work-dir DIR    where the generated file (and an own stack's data) go (default the temp dir)
  --help            this text`;

const SCENARIOS = {
  upload: { id: 1, title: 'oversized upload', run: uploadScenario },
  gc: { id: 2, title: 'artifact GC', run: gcScenario },
  download: { id: 3, title: 'streaming download', run: downloadScenario },
  plugin: { id: 4, title: 'artifact plugin', run: pluginScenario },
} as const;
type ScenarioName = keyof typeof SCENARIOS;

class UsageError extends Error {}

function options(argv: string[]) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        only: { type: 'string' },
        size: { type: 'string' },
        keep: { type: 'boolean' },
        stack: { type: 'string' },
        'data-dir': { type: 'string' },
        'work-dir': { type: 'string' },
        'own-stack': { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const only = (values.only ?? Object.keys(SCENARIOS).join(',')).split(',').map((s) => s.trim());
  for (const name of only) if (!(name in SCENARIOS)) throw new UsageError(`--only: unknown scenario ${JSON.stringify(name)} (${Object.keys(SCENARIOS).join(', ')})`);
  let size: number;
  try {
    size = parseSize(values.size ?? '1GiB');
  } catch (err) {
    throw new UsageError(`--size: ${(err as Error).message}`);
  }
  if (size < 12 * 1024 * 1024) throw new UsageError(`--size must be at least 12MiB (the killed upload needs 12 parts), got ${JSON.stringify(values.size)}`);
  if (values['own-stack'] && (values.stack !== undefined || values['data-dir'] !== undefined)) throw new UsageError('--own-stack cannot be combined with --stack or --data-dir');
  if (values.stack !== undefined && !/^https?:\/\/[^/]+/.test(values.stack)) throw new UsageError(`--stack must be the gateway's http URL, got ${JSON.stringify(values.stack)}`);
  return {
    help: values.help === true,
    only: (Object.keys(SCENARIOS) as ScenarioName[]).filter((n) => only.includes(n)),
    size,
    sizeGiven: values.size !== undefined,
    keep: values.keep === true,
    ownStack: values['own-stack'] === true,
    stackUrl: values.stack,
    dataDir: values['data-dir'],
    workDir: values['work-dir'] ? resolve(values['work-dir']) : undefined,
  };
}

async function main(argv: string[]): Promise<number> {
  const taken = optionsNpmTook(process.env);
  if (taken.length > 0) {
    console.error(`demo: npm kept ${taken.join(' ')} for itself, so the demo never saw it. Put the demo's options after --:\n  npm run demo -- ${taken.join(' ')}`);
    return 2;
  }
  let o: ReturnType<typeof options>;
  try {
    o = options(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`demo: ${err.message}\nRun 'npm run demo -- --help' for the options.`);
    return 2;
  }
  if (o.help) {
    console.log(usage);
    return 0;
  }
  if (o.workDir && !(await stat(o.workDir).then((st) => st.isDirectory(), () => false))) {
    console.error(`demo: --work-dir ${o.workDir} is not a directory`);
    return 2;
  }
  const report = new Reporter();
  let stack: DemoStack;
  try {
    const running = o.ownStack ? undefined : await findRunningStack({ stackUrl: o.stackUrl, dataDir: o.dataDir, log: (l) => console.log(l) });
    stack = running ?? (await startOwnStack({ keep: o.keep, parent: o.workDir }));
  } catch (err) {
    if (!(err instanceof StackError)) throw err;
    console.error(`demo: ${err.message}`);
    return 2;
  }
  console.log(`argo-oss demo: ${o.only.join(', ')} with ${formatBytes(o.size)}`);
  if (o.only.length === Object.keys(SCENARIOS).length && process.env.npm_lifecycle_event === 'demo') {
    console.log('  (all three scenarios; one of them: npm run demo -- --only gc — the -- matters, npm keeps options before it)');
  }
  console.log(
    stack.kind === 'own'
      ? `  started a local stack in this process: gateway ${stack.gatewayUrl}, OSS ${stack.ossEndpoint}, data ${stack.dataDir}, log ${stack.logFile}`
      : `  using the running local stack: gateway ${stack.gatewayUrl}, OSS ${stack.ossEndpoint}, cluster dir ${stack.clusterDir}`,
  );

  const workDir = await mkdtemp(join(o.workDir ?? tmpdir(), 'argo-oss-demo-'));
  const pluginSize = o.only.includes('plugin') && !o.sizeGiven ? await pluginDefaultSize(workDir, o.size) : o.size;
  if (pluginSize !== o.size) console.log(`  plugin scenario: ${formatBytes(pluginSize)}, the sample's own size (the disk has room for it)`);
  const abort = new AbortController();
  const ctx: DemoContext = {
    stack,
    cluster: new DemoCluster(stack.clusterDir, stack.kubeUrl, stack.adminToken, abort.signal),
    report,
    size: o.size,
    pluginSize,
    workDir,
    prefixes: [],
    signal: abort.signal,
    children: new Set(),
  };

  // Ctrl-C: stop the uploader child and the step in progress, then clean up as at a normal end;
  // a second Ctrl-C exits at once.
  const onSignal = () => {
    if (abort.signal.aborted) process.exit(130);
    abort.abort(new Error('interrupted'));
    report.muted = true;
    for (const c of ctx.children) c.kill('SIGKILL');
    console.error('\ninterrupted: stopping and cleaning up (Ctrl-C again to quit at once)…');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const results: ScenarioResult[] = [];
  try {
    for (const name of o.only) {
      const s = SCENARIOS[name];
      const result: ScenarioResult = { id: s.id, title: s.title, checks: [], summary: '' };
      results.push(result);
      try {
        await s.run(ctx, result);
      } catch (err) {
        if (abort.signal.aborted) break;
        result.error = (err as Error).message;
        report.info(`✗ ${s.title} stopped: ${err instanceof DemoError ? err.message : ((err as Error).stack ?? String(err))}`);
      }
      if (abort.signal.aborted) break;
    }
  } finally {
    await cleanup(ctx, o.keep);
  }
  if (abort.signal.aborted) return 130;
  report.table(results);
  const ok = results.every(passed);
  console.log(ok ? '\nall scenarios passed' : '\nsome scenarios failed');
  return ok ? 0 : 1;
}

const SAMPLE_SIZE = 20 * 1024 ** 3;

/**
 * The plugin scenario's size without --size: the sample's 20 GiB when the work dir's file system has
 * room for it three times over (the file, its .tgz staged as Argo stages it, the object), else `fallback`.
 */
async function pluginDefaultSize(workDir: string, fallback: number): Promise<number> {
  const fs = await statfs(workDir);
  return fs.bavail * fs.bsize >= 3 * SAMPLE_SIZE + 4 * 1024 ** 3 ? SAMPLE_SIZE : fallback;
}

/** Removes what the run made (unless --keep) and stops an own stack. */
async function cleanup(ctx: DemoContext, keep: boolean): Promise<void> {
  const { stack } = ctx;
  try {
    if (keep) {
      console.log(`\nkept: objects under ${ctx.prefixes.join(', ') || '(none)'}; their workflows in ${stack.clusterDir}/workflows; the file in ${ctx.workDir}`);
      if (ctx.viewer && stack.kind === 'external') console.log(`the artifact: curl -H 'Authorization: Bearer ${ctx.viewer.token}' ${stack.gatewayUrl}${ctx.viewer.path} (user demo-viewer stays in tokens.yaml)`);
      if (stack.kind === 'own') console.log(`the stack's data is in ${stack.dataDir}: \`npx argo-oss local --data-dir ${stack.dataDir}\` serves it again`);
      return;
    }
    for (const prefix of ctx.prefixes) await deletePrefix(stack.oss, prefix).catch((err) => console.error(`cleanup: ${prefix}: ${(err as Error).message}`));
    await ctx.cluster.cleanup().catch((err) => console.error(`cleanup: ${(err as Error).message}`));
    await removeSource();
    await rm(ctx.workDir, { recursive: true, force: true });
  } finally {
    await stack.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
