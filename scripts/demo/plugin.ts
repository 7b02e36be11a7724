// Scenario 4, "Any workflow through the artifact plugin": the managed service's two sample workflows,
// unchanged (examples/sample-large-output.yaml, examples/sample-artifact-gc.yaml), run by the executor
// harness (local/argo-executor) as Argo >= 4.0 runs them with examples/plugin-artifact-repository.yaml
// as the default repository: each pod's `argo-oss plugin` sidecar (a child process with the pod's
// token) saves its outputs through the coordinator. Then the big output is downloaded through the
// download function (a member of its .tgz, as the Argo UI links it) and compared with the source,
// and the GC sample is reclaimed on completion and on deletion. Every claim is checked against OSS.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parse, parseAllDocuments } from 'yaml';
import { formatBytes } from '../../cli/upload/size';
import type { Workflow } from '../../shared/argo';
import { headObject, objectExists } from '../../shared/oss';
import { pluginProcess, runWorkflow, type MainFunction, type PluginRepository, type RunResult } from '../../local/argo-executor';
import { pseudoRandom, pseudoRandomSha } from '../../local/pseudo-random';
import type { DemoContext } from './context';
import { DemoError, type ScenarioResult } from './report';
import { post } from './gc';
import { completionEvent, EXAMPLES, NAMESPACE } from './workflows';

type Json = Record<string, any>;

/** examples/plugin-artifact-repository.yaml's default repository, its configuration pointed at the stack. */
async function pluginRepository(ctx: DemoContext): Promise<{ repo: PluginRepository; key: string }> {
  const cm = parseAllDocuments(await readFile(join(EXAMPLES, 'plugin-artifact-repository.yaml'), 'utf8'))
    .map((d) => d.toJS() as Json)
    .find((d) => d?.kind === 'ConfigMap');
  const key = cm?.metadata?.annotations?.['workflows.argoproj.io/default-artifact-repository'];
  if (!cm?.data?.[key]) throw new DemoError('examples/plugin-artifact-repository.yaml: no default artifact repository');
  const repo = parse(cm.data[key]) as PluginRepository;
  const example = parse(repo.plugin.configuration) as Json;
  // The stack's coordinator and bucket; the region's -internal endpoint, as in the example, is served.
  repo.plugin.configuration = `coordinator: ${ctx.stack.gatewayUrl}\nbucket: ${ctx.stack.bucket}\nendpoint: https://oss-${ctx.stack.region}-internal.aliyuncs.com\n`;
  if (Object.keys(example).some((k) => !['coordinator', 'bucket', 'endpoint', 'partSize', 'concurrency'].includes(k))) {
    throw new DemoError('examples/plugin-artifact-repository.yaml: the configuration has fields the plugin does not know');
  }
  return { repo, key };
}

async function sample(file: string): Promise<Workflow> {
  return parse(await readFile(join(EXAMPLES, file), 'utf8')) as Workflow;
}

/** GET through the gateway with `token`, the body hashed as it streams. */
async function sha256Of(ctx: DemoContext, path: string, token: string): Promise<{ status: number; bytes: number; sha256: string }> {
  const res = await fetch(`${ctx.stack.gatewayUrl}${path}`, { headers: { authorization: `Bearer ${token}` }, signal: ctx.signal });
  const hash = createHash('sha256');
  let bytes = 0;
  if (res.body) {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      bytes += chunk.length;
    }
  }
  return { status: res.status, bytes, sha256: hash.digest('hex') };
}

export async function pluginScenario(ctx: DemoContext, result: ScenarioResult): Promise<void> {
  const r = ctx.report;
  const checks = result.checks;
  const size = ctx.pluginSize ?? ctx.size;
  r.section(
    4,
    'Any workflow through the artifact plugin',
    "The managed service's samples, unchanged (examples/sample-*.yaml), as Argo >= 4.0 runs them with examples/plugin-artifact-repository.yaml: the executor harness plays Argo's executor, each pod's `argo-oss plugin` sidecar saves through the coordinator.",
  );
  const { repo, key: repoKey } = await pluginRepository(ctx);
  r.info(`repository ${repoKey}: plugin ${repo.plugin.name}, keyFormat ${repo.plugin.keyFormat}, configuration ${JSON.stringify(repo.plugin.configuration.trim())}`);
  const run = (manifest: Workflow, main: MainFunction): Promise<RunResult> =>
    runWorkflow({
      manifest,
      cluster: ctx.cluster,
      workDir: join(ctx.workDir, 'pods'),
      repository: repo,
      repositoryRef: { configMap: 'artifact-repositories', key: repoKey },
      startPlugin: pluginProcess({ onSpawn: (child) => ctx.children.add(child) }),
      main,
      namespace: NAMESPACE,
      log: (line) => r.info(line),
    });

  // 1. The 20 GiB sample: the main container's dd, then Argo's tar+gzip, then Save through the plugin.
  const seed = `plugin-demo-${randomBytes(8).toString('hex')}`;
  r.step(`argo submit examples/sample-large-output.yaml: its main container writes /out/testfile.txt (${formatBytes(size)} here; the manifest's dd writes 20 GiB)`);
  r.info('Argo\'s executor tar+gzips the output before Save (the harness does the same, single-threaded): that step takes a while for big files');
  const t0 = Date.now();
  const big = await run(await sample('sample-large-output.yaml'), async (pod) => {
    const file = join(pod.root, 'out', 'testfile.txt');
    await mkdir(dirname(file), { recursive: true });
    await pipeline(pseudoRandom(size, seed), createWriteStream(file), { signal: ctx.signal });
    return { log: 'created files!\n' };
  });
  const bigName = big.workflow.metadata.name!;
  ctx.prefixes.push(`${NAMESPACE}/${bigName}/`);
  const [pod] = big.pods;
  const out = pod?.saves.find((s) => s.artifact === 'out');
  r.check(checks, 'the workflow succeeds; its output is saved through the plugin as <keyFormat>/out.tgz', big.workflow.status?.phase === 'Succeeded' && out?.key === `${NAMESPACE}/${bigName}/${pod.podName}/out.tgz`, `${big.workflow.status?.phase}; ${out?.key ?? pod?.errors.join('; ')}`);
  if (!out) throw new DemoError(`the large output was not saved: ${pod?.errors.join('; ')}`);
  const head = await headObject(ctx.stack.oss, out.key);
  r.check(checks, 'OSS holds the whole .tgz, verified (CRC-64)', head.size === out.bytes && !!head.crc64, `${formatBytes(head.size)}, CRC-64 ${head.crc64?.toString() ?? 'none'}; Save took ${out.seconds.toFixed(1)} s (${formatBytes(head.size / Math.max(out.seconds, 0.001))}/s); run ${((Date.now() - t0) / 1000).toFixed(0)} s in all`);
  const status = big.workflow.status?.nodes?.[pod.nodeId]?.outputs?.artifacts ?? [];
  r.check(checks, 'the status records plugin: {key} only, as Argo does', status.length === 2 && status.every((a) => a.plugin && Object.keys(a.plugin).join() === 'key'), JSON.stringify(status.map((a) => ({ [a.name]: a.plugin }))));

  // 2. Download through the function: the file inside the .tgz, as the Argo UI links it.
  const token = `demo-plugin-viewer-${randomBytes(12).toString('hex')}`;
  await ctx.cluster.addTokens([{ token, user: 'demo-plugin-viewer', rules: [{ namespaces: [NAMESPACE], apiGroups: ['argoproj.io'], resources: ['workflows'], verbs: ['get'] }] }]);
  const path = `/artifact-files/${NAMESPACE}/workflows/${bigName}/${pod.nodeId}/outputs/out/testfile.txt`;
  r.step(`GET ${path} (the download function; a member of the .tgz, streamed)`);
  const [got, want] = await Promise.all([sha256Of(ctx, path, token), pseudoRandomSha(size, seed)]);
  r.check(checks, "the downloaded file's sha256 is the source's", got.status === 200 && got.bytes === size && got.sha256 === want, `HTTP ${got.status}, ${formatBytes(got.bytes)}, ${got.sha256.slice(0, 16)}…`);

  // 3. The GC sample: artifactGC on completion (one artifact) and on deletion (the rest).
  r.step('argo submit examples/sample-artifact-gc.yaml');
  const gc = await run(await sample('sample-artifact-gc.yaml'), async (p) => {
    // What the manifest's `echo "hello world" > …` lines write.
    await mkdir(join(p.root, 'tmp'), { recursive: true });
    for (const f of ['on-completion.txt', 'on-deletion.txt']) await writeFile(join(p.root, 'tmp', f), 'hello world\n');
    return { log: '' };
  });
  const gcName = gc.workflow.metadata.name!;
  ctx.prefixes.push(`${NAMESPACE}/${gcName}/`);
  const keys = Object.fromEntries((gc.pods[0]?.saves ?? []).map((s) => [s.artifact, s.key]));
  const exists = (k: string | undefined) => (k ? objectExists(ctx.stack.oss, k) : Promise.resolve(false));
  r.check(checks, 'the GC sample succeeds with on-completion.tgz, on-deletion.tgz and main.log saved', gc.workflow.status?.phase === 'Succeeded' && (await exists(keys['on-completion'])) && (await exists(keys['on-deletion'])) && (await exists(keys['main-logs'])), Object.values(keys).join(', '));
  r.step(`kube-eventer's WorkflowSucceeded event for ${gcName} → POST /events`);
  const s1 = await post(ctx, '/events', [completionEvent(gc.workflow, 'WorkflowSucceeded', ctx.stack.region)]);
  r.check(checks, 'on completion: on-completion.tgz is removed, the rest stays', !(await exists(keys['on-completion'])) && (await exists(keys['on-deletion'])) && (await exists(keys['main-logs'])), `deleted ${s1.deleted}, deferred ${s1.deferred}`);
  r.step(`argo delete ${gcName}, then the reconcile timer → POST /reconcile`);
  const del = await ctx.cluster.deleteWorkflow(NAMESPACE, gcName);
  const s2 = await post(ctx, '/reconcile', {});
  r.check(checks, 'on deletion: on-deletion.tgz and main.log are removed', del === 200 && !(await exists(keys['on-deletion'])) && !(await exists(keys['main-logs'])), `HTTP ${del}; deleted ${s2.deleted}`);

  result.summary = `${formatBytes(size)} saved through the plugin and downloaded intact; GC sample reclaimed on completion and deletion`;
}
