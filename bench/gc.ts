// Artifact GC throughput: the same small objects (one workflow, directory artifacts) deleted by
//   (a) our GC path: kube-eventer completion event → Workflow read → plan → ledger → paged list +
//       DeleteMultipleObjects (1000 keys a request) → audit → mark-deleted patch;
//   (b) one DeleteObject request per object, sequentially — what Argo's OSS driver does (its GC pod
//       deletes artifact by artifact, one request each, with no concurrency);
//   (c) one DeleteObject per object, 16 in parallel: the fairest per-object peer.
// The local OSS server runs in its own process (so server and client each get a core); objects are
// created with concurrency before each run and are not counted. The key list is handed to (b) and
// (c) for free; (a) has to list.
// Loopback has no network: a DeleteObject costs the local server ~1 ms and a key in a batch ~0.12 ms,
// which bounds any ratio there; against OSS each request also pays a network round trip. So the run
// is repeated with --rtt-ms of latency injected into every request by the local server (default 5).
//   npm run bench -- gc [--objects N] [--dirs D] [--sample N] [--rtt-ms MS]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCAL_DEFAULT_CREDENTIALS } from '../local/defaults';
import { startKubeApi } from '../local/kube-api';
import { writeFileAtomic } from '../local/kube-api/manifest-file';
import { loadConfig } from '../shared/config';
import { createGcApp, KubeWorkflows } from '../shared/gc';
import { kubeConfigFromConfig } from '../shared/k8s';
import { createOssClient, deleteObject, iterateObjectPages, mapLimit, putObject, type OssClient } from '../shared/oss';
import { numberOption } from './args';

const BUCKET = 'argo-artifacts';
const TARGET = 50;

/** The local OSS server as a child process; resolves with its port once it listens. */
function startServer(dataDir: string): Promise<{ child: ChildProcess; port: number }> {
  const bin = fileURLToPath(new URL('../bin/argo-oss.mjs', import.meta.url));
  const child = spawn(process.execPath, [bin, 'oss-server', '--port', '0', '--data-dir', dataDir, '--bucket', BUCKET, '--quiet'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, OSS_ACCESS_KEY_ID: LOCAL_DEFAULT_CREDENTIALS.accessKeyId, OSS_ACCESS_KEY_SECRET: LOCAL_DEFAULT_CREDENTIALS.accessKeySecret },
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const m = /on http:\/\/[^:]+:(\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.on('exit', (code) => reject(new Error(`oss-server exited with ${code}: ${out}`)));
  });
}

async function create(oss: OssClient, keys: string[]): Promise<number> {
  const t = performance.now();
  await mapLimit(keys, 64, (k) => putObject(oss, k, 'x'));
  return (performance.now() - t) / 1000;
}

async function count(oss: OssClient, prefix: string): Promise<number> {
  let n = 0;
  for await (const page of iterateObjectPages(oss, { prefix })) n += page.objects.length;
  return n;
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function setRtt(port: number, rttMs: number): Promise<void> {
  const base = `http://127.0.0.1:${port}/_argo-oss/faults`;
  await fetch(base, { method: 'DELETE' });
  if (rttMs > 0) {
    const res = await fetch(base, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ latencyMs: rttMs, count: -1 }) });
    if (!res.ok) throw new Error(`cannot inject latency: ${res.status} ${await res.text()}`);
  }
}

interface Row {
  variant: string;
  objects: number;
  seconds: number;
  /** Measured on a sample; the rate is per-object, so it carries over. */
  sampled?: boolean;
}

function table(title: string, rows: Row[]): number {
  const rate = (r: Row) => r.objects / r.seconds;
  const ours = rows[0];
  console.log(`\n${title}\n`);
  console.log('| variant | objects | seconds | objects/s | ours is |');
  console.log('|---|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.variant} | ${fmt(r.objects)}${r.sampled ? ' (sample)' : ''} | ${fmt(r.seconds, 2)} | ${fmt(rate(r))} | ${r === ours ? '—' : `${fmt(rate(ours) / rate(r), 1)}× faster`} |`);
  }
  const ratio = rate(ours) / rate(rows[1]);
  console.log(`\nours vs Argo's sequential per-object deletes: ${fmt(ratio, 1)}× (target ≥ ${TARGET}×: ${ratio >= TARGET ? 'met' : 'not met'}); vs 16 parallel per-object: ${fmt(rate(ours) / rate(rows[2]), 1)}×`);
  return ratio;
}

export async function run(args: string[]): Promise<void> {
  const objects = numberOption(args, '--objects', 100_000, { integer: true });
  const dirs = numberOption(args, '--dirs', 4, { integer: true });
  const sample = Math.min(objects, numberOption(args, '--sample', Math.min(objects, 10_000), { integer: true }));
  const rtt = numberOption(args, '--rtt-ms', 5, { integer: true, min: 0 });
  const dataDir = await mkdtemp(join(tmpdir(), 'argo-oss-bench-gc-'));
  const { child, port } = await startServer(join(dataDir, 'oss'));
  const kube = await startKubeApi({ clusterDir: join(dataDir, 'cluster'), port: 0, log: () => undefined });
  const endpoint = `http://localhost:${port}`;
  const oss = createOssClient({ bucket: BUCKET, region: 'cn-hangzhou', endpoint, credentials: { ...LOCAL_DEFAULT_CREDENTIALS }, maxSockets: 64 });
  try {
    const name = 'bench-wf';
    const keys: string[] = [];
    for (let i = 0; i < objects; i++) keys.push(`argo/${name}/${name}-${i % dirs}/out/f-${String(i).padStart(7, '0')}.txt`);
    const sampleKeys = keys.slice(0, sample);
    const artifacts = Array.from({ length: dirs }, (_, d) => ({ name: `out-${d}`, path: '/tmp/out', archive: { none: {} }, oss: { key: `argo/${name}/${name}-${d}/out` } }));
    const nodes = Object.fromEntries(artifacts.map((a, d) => [`${name}-${d}`, { id: `${name}-${d}`, type: 'Pod', phase: 'Succeeded', templateName: 'main', outputs: { artifacts: [a] } }]));
    const config = loadConfig({ OSS_ENDPOINT: endpoint, OSS_REGION: 'cn-hangzhou', OSS_BUCKET: BUCKET, ARGO_OSS_GC_STALE_UPLOAD_HOURS: '0', ARGO_OSS_WORKFLOW_KEY_PREFIX: '{{workflow.namespace}}/{{workflow.name}}/' });
    const workflows = new KubeWorkflows(kubeConfigFromConfig({ kubeconfigPath: kube.kubeconfigPath }).kubeConfig);
    const app = createGcApp(config, { oss, workflows, log: () => undefined });
    let generation = 0;

    const creating = async (list: string[]) => {
      process.stdout.write(`  creating ${fmt(list.length)} objects … `);
      console.log(`${fmt(await create(oss, list), 1)} s`);
    };
    const ours = async (variant: string, list = keys): Promise<Row> => {
      await creating(list);
      // A fresh workflow (new uid) each time, so the ledger sees a new completion.
      const uid = `bench-uid-${++generation}`;
      const wf = {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Workflow',
        metadata: { name, namespace: 'argo', uid },
        spec: { artifactGC: { strategy: 'OnWorkflowCompletion' }, templates: [{ name: 'main' }] },
        status: { phase: 'Succeeded', finishedAt: new Date().toISOString(), nodes, artifactRepositoryRef: { artifactRepository: { oss: { bucket: BUCKET, endpoint } } } },
      };
      await writeFileAtomic(join(dataDir, 'cluster', 'workflows', `argo.${name}.json`), JSON.stringify(wf));
      const event = {
        specversion: '1.0',
        id: `bench-${generation}`,
        source: 'acs.cs',
        type: 'cs:k8s:WorkflowRelatedEvent',
        data: { reason: 'WorkflowSucceeded', involvedObject: { kind: 'Workflow', apiVersion: 'argoproj.io/v1alpha1', namespace: 'argo', name, uid } },
      };
      const t = performance.now();
      const summary = await app.handleEvents(Buffer.from(JSON.stringify(event)));
      const seconds = (performance.now() - t) / 1000;
      if (summary.errors.length || summary.failed || summary.objects !== list.length) throw new Error(`GC run incomplete: ${JSON.stringify({ ...summary, plan: undefined })}`);
      if ((await count(oss, `argo/${name}/`)) !== 0) throw new Error('objects left after our GC');
      return { variant, objects: list.length, seconds };
    };
    const perObject = async (variant: string, concurrency: number): Promise<Row> => {
      await creating(sampleKeys);
      const t = performance.now();
      await mapLimit(sampleKeys, concurrency, (k) => deleteObject(oss, k));
      const seconds = (performance.now() - t) / 1000;
      if ((await count(oss, `argo/${name}/`)) !== 0) throw new Error(`objects left after ${variant}`);
      return { variant, objects: sample, seconds, ...(sample < objects ? { sampled: true } : {}) };
    };
    const measure = async () => [
      await ours('ours: event → plan → list + batch delete'),
      await perObject('DeleteObject per object, sequential (Argo)', 1),
      await perObject('DeleteObject per object, 16 in parallel', 16),
    ];

    console.log(`artifact GC: ${fmt(objects)} objects of 1 byte in ${dirs} directory artifacts of one workflow; local OSS server in its own process`);
    console.log(`per-object variants measured on ${fmt(sample)} of the same objects${sample < objects ? ' (--sample; their rate is per object, so it carries over)' : ''}\n`);
    console.log('warm-up (not counted):');
    await ours('warm-up', keys.slice(0, Math.min(objects, 400)));
    console.log('loopback:');
    const loopback = await measure();
    let modelled: Row[] | undefined;
    if (rtt > 0) {
      console.log(`\nwith ${rtt} ms added to every request (the local server's latency injection), modelling the network round trip to OSS:`);
      await setRtt(port, rtt);
      modelled = await measure();
      await setRtt(port, 0);
    }
    app.close();
    table('loopback (no network latency: the local server\'s own per-key work dominates)', loopback);
    if (modelled) table(`${rtt} ms per request`, modelled);
  } finally {
    oss.close();
    await kube.close();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await run(process.argv.slice(2));
