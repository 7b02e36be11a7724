// Download throughput: the same object (default 1 GiB) (a) straight from the local OSS server with a
// presigned GET and (b) through the artifact-download function, in one run, plus (peer) a bare
// node:http pass-through process, which shows what any extra hop costs on this machine. The function
// runs as a separate process (its esbuild bundle under plain node, as FC runs it) over the local OSS
// server and the local Kubernetes API, so its RSS and CPU are its own; the client runs in a worker
// thread of this process, the OSS server and the Kubernetes API in its main thread.
// Measured: MB/s of one download, time to first byte (median of N 1 KiB range requests, keep-alive),
// the function's RSS growth while it streams --stream-total (default 4 GiB) and its peak RSS, and 16
// concurrent downloads (aggregate MB/s).
//   npm run bench -- download [--size 1GiB] [--runs 3] [--ttfb-samples 40] [--stream-total 4GiB]
//                             [--concurrency 16] [--concurrent-size 128MiB]
import { spawn, type ChildProcess } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdtemp, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import { formatBytes, parseSize } from '../cli/upload/size';
import { sleep } from '../shared/backoff';
import { LOCAL_DEFAULT_REGION } from '../local/defaults';
import { createOssClient, headObject, presignGetObject, type OssClient } from '../shared/oss';
import { startTestKubeApi, type TestKubeApi } from '../test/helpers/kube-api';
import { startTestOssServer, type TestOssServer } from '../test/helpers/oss-server';
import { stringOption } from './args';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NAMESPACE = 'argo';
const WORKFLOW = 'bench-download';
const NODE_ID = 'bench-download-1234567890';
const READER_TOKEN = 'bench-download-reader';
type Via = 'direct' | 'peer' | 'fn';
const VIAS: Via[] = ['direct', 'peer', 'fn'];
const LABEL: Record<Via, string> = { direct: 'direct presigned GET', peer: 'peer pass-through proxy', fn: 'through the function' };

function sizeOption(args: string[], name: string, fallback: string): number {
  const bytes = parseSize(stringOption(args, name) ?? fallback);
  if (bytes <= 0) throw new Error(`${name} must be positive`);
  return bytes;
}

function countOption(args: string[], name: string, fallback: number): number {
  const raw = stringOption(args, name);
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return n;
}

/** The client: plain JS in a worker thread (no tsx), node:http with a keep-alive agent; bodies are counted and dropped. */
const CLIENT_WORKER = String.raw`
const { parentPort } = require('node:worker_threads');
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
function get(url, headers) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.get(url, { agent, headers }, (res) => {
      let bytes = 0, first = 0;
      res.on('data', (c) => { if (bytes === 0) first = Number(process.hrtime.bigint() - t0) / 1e6; bytes += c.length; });
      res.on('end', () => {
        if (res.statusCode !== 200 && res.statusCode !== 206) return reject(new Error('GET ' + url + ': ' + res.statusCode));
        if (!res.complete) return reject(new Error('GET ' + url + ': body cut short after ' + bytes + ' bytes'));
        resolve({ status: res.statusCode, bytes, ttfbMs: first, secs: Number(process.hrtime.bigint() - t0) / 1e9 });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}
const ops = {
  get: (m) => get(m.url, m.headers),
  // Alternating samples of each target, so drift (GC, page cache) hits both alike.
  ttfb: async (m) => {
    const out = m.targets.map(() => []);
    for (let i = 0; i < m.samples; i++) {
      for (let t = 0; t < m.targets.length; t++) {
        const r = await get(m.targets[t].url, { ...m.targets[t].headers, range: 'bytes=0-1023' });
        if (r.status !== 206 || r.bytes !== 1024) throw new Error('range request: ' + r.status + ', ' + r.bytes + ' bytes');
        out[t].push(r.ttfbMs);
      }
    }
    return out;
  },
  concurrent: async (m) => {
    const t0 = process.hrtime.bigint();
    const rs = await Promise.all(Array.from({ length: m.n }, () => get(m.url, m.headers)));
    return { secs: Number(process.hrtime.bigint() - t0) / 1e9, bytes: rs.reduce((a, r) => a + r.bytes, 0) };
  },
};
parentPort.on('message', async (m) => {
  try {
    parentPort.postMessage({ result: await ops[m.op](m) });
  } catch (err) {
    parentPort.postMessage({ error: String((err && err.stack) || err) });
  }
});
`;

interface GetResult {
  status: number;
  bytes: number;
  ttfbMs: number;
  secs: number;
}

function clientThread() {
  const worker = new Worker(CLIENT_WORKER, { eval: true });
  const call = <T>(msg: Record<string, unknown>): Promise<T> =>
    new Promise((resolve, reject) => {
      worker.once('message', (m: { result: T; error?: string }) => (m.error ? reject(new Error(m.error)) : resolve(m.result)));
      worker.postMessage(msg);
    });
  return { call, close: () => worker.terminate() };
}

interface Target {
  url: string;
  headers: Record<string, string>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** Writes `bytes` of random data to `key` with one streamed presigned PUT (a 16 MiB pool, never the whole object). */
async function putRandomObject(oss: OssClient, key: string, bytes: number): Promise<void> {
  if (bytes > 5 * GiB) throw new Error('--size: at most 5 GiB (one PutObject)');
  const url = await oss.presignSdk.signatureUrlV4('PUT', 3600, { headers: {}, queries: {} }, key);
  const pool = randomFillSync(Buffer.alloc(16 * MiB));
  await new Promise<void>((resolve, reject) => {
    const req = request(url, { method: 'PUT', headers: { 'content-length': bytes } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`PUT ${key}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    let sent = 0;
    const pump = (): void => {
      while (sent < bytes) {
        const n = Math.min(MiB, bytes - sent);
        const off = sent % pool.length;
        sent += n;
        if (!req.write(pool.subarray(off, off + n))) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

function workflow(artifacts: Array<{ name: string; key: string }>, bucket: string): object {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { name: WORKFLOW, namespace: NAMESPACE },
    spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'alpine:3.20' } }] },
    status: {
      phase: 'Succeeded',
      artifactRepositoryRef: { artifactRepository: { oss: { bucket, keyFormat: '{{workflow.namespace}}/{{workflow.name}}/{{pod.name}}' } } },
      nodes: {
        [NODE_ID]: {
          id: NODE_ID,
          name: WORKFLOW,
          displayName: WORKFLOW,
          type: 'Pod',
          templateName: 'main',
          phase: 'Succeeded',
          outputs: { artifacts: artifacts.map((a) => ({ name: a.name, path: `/tmp/${a.name}.bin`, archive: { none: {} }, oss: { key: a.key } })) },
        },
      },
    },
  };
}

/** The function as FC runs it: one esbuild bundle, plain node, listening on FC_CUSTOM_LISTEN_PORT. */
async function startFunction(work: string, env: Record<string, string>): Promise<{ child: ChildProcess; url: string; stop(): Promise<void> }> {
  // The same build as scripts/build.mjs (dist/artifact-download/index.js).
  const bundle = join(work, 'artifact-download.cjs');
  await build({
    entryPoints: [join(ROOT, 'functions/artifact-download/index.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    outfile: bundle,
    external: ['proxy-agent'],
    logLevel: 'warning',
  });
  const port = await freePort();
  const child = spawn(process.execPath, [bundle], {
    env: { PATH: process.env.PATH ?? '', ...env, FC_CUSTOM_LISTEN_PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`the function exited (${code}):\n${stderr}`))));
  exited.catch(() => {});
  // Up when it answers anything over HTTP.
  for (let i = 0; ; i++) {
    const up = await Promise.race([
      fetch(`${url}/artifacts/`).then(
        () => true,
        () => false,
      ),
      exited,
    ]);
    if (up) break;
    if (i > 300) throw new Error(`the function did not listen on ${port} within 30 s:\n${stderr}`);
    await sleep(100);
  }
  return {
    child,
    url,
    stop: async () => {
      if (child.exitCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/**
 * The peer: the least a pass-through process can do — node:http in, node:http to OSS, pipe() — with no
 * auth, no Workflow lookup, no SDK. It shares the machine exactly as the function does, so
 * function ÷ peer isolates our overhead from what a third busy process costs on this host.
 */
const PROXY = String.raw`
const http = require('node:http');
const { pipeline } = require('node:stream');
const routes = JSON.parse(process.argv[2]);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
http.createServer((req, res) => {
  const target = routes[req.url];
  if (!target) { res.writeHead(404); return res.end(); }
  const headers = req.headers.range ? { range: req.headers.range } : {};
  const up = http.get(target, { agent, headers }, (o) => {
    res.writeHead(o.statusCode, { 'content-length': o.headers['content-length'], 'content-type': o.headers['content-type'] || 'application/octet-stream' });
    pipeline(o, res, () => {});
  });
  up.on('error', () => res.destroy());
  res.on('close', () => up.destroy());
}).listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('up'));
`;

async function startProxy(work: string, routes: Record<string, string>): Promise<{ url: string; stop(): Promise<void> }> {
  const script = join(work, 'proxy.cjs');
  await writeFile(script, PROXY);
  const port = await freePort();
  const child = spawn(process.execPath, [script, JSON.stringify(routes)], { env: { PATH: process.env.PATH ?? '', PORT: String(port) }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the proxy exited (${code})`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    },
  };
}

interface ProcStatus {
  rss: number;
  hwm: number;
  cpuSeconds: number;
}

/** VmRSS / VmHWM from /proc/<pid>/status and utime+stime from /proc/<pid>/stat. */
async function procStatus(pid: number): Promise<ProcStatus> {
  const [status, stat] = await Promise.all([readFile(`/proc/${pid}/status`, 'utf8'), readFile(`/proc/${pid}/stat`, 'utf8')]);
  const kb = (field: string) => Number(new RegExp(`${field}:\\s*(\\d+) kB`).exec(status)?.[1] ?? NaN) * 1024;
  // Fields after the parenthesised command name; utime and stime are the 14th and 15th overall.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(rest[11]) + Number(rest[12]);
  return { rss: kb('VmRSS'), hwm: kb('VmHWM'), cpuSeconds: ticks / 100 };
}

/** Samples a process's VmRSS every 50 ms while `work` runs. */
async function sampled<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; before: ProcStatus; maxRss: number; after: ProcStatus }> {
  const before = await procStatus(pid);
  let maxRss = before.rss;
  const timer = setInterval(() => {
    procStatus(pid).then(
      (s) => (maxRss = Math.max(maxRss, s.rss)),
      () => {},
    );
  }, 50);
  try {
    const result = await work();
    const after = await procStatus(pid);
    return { result, before, maxRss: Math.max(maxRss, after.rss), after };
  } finally {
    clearInterval(timer);
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const mbps = (bytes: number, secs: number) => bytes / 1e6 / secs;
const f = (n: number, d = 0) => n.toFixed(d);

export async function run(args: string[]): Promise<void> {
  const size = sizeOption(args, '--size', '1GiB');
  const runs = countOption(args, '--runs', 3);
  const samples = countOption(args, '--ttfb-samples', 40);
  const streamTotal = sizeOption(args, '--stream-total', '4GiB');
  const concurrency = countOption(args, '--concurrency', 16);
  const concurrentSize = sizeOption(args, '--concurrent-size', '128MiB');

  const work = await mkdtemp(join(tmpdir(), 'argo-oss-bench-download-'));
  const fs = await statfs(work);
  const needed = size + concurrentSize + 512 * MiB;
  if (fs.bavail * fs.bsize < needed) {
    await rm(work, { recursive: true, force: true });
    console.error(`not enough free disk space in ${tmpdir()}: need ${formatBytes(needed)} (try --size 256MiB)`);
    process.exitCode = 1;
    return;
  }

  console.log(`download benchmark: ${cpus().length} CPU(s) ${cpus()[0]?.model ?? ''}, node ${process.version}`);
  console.log(`object ${formatBytes(size)}; OSS server + Kubernetes API in this process, client in a worker thread, the function in its own process\n`);

  let ossServer: TestOssServer | undefined;
  let kube: TestKubeApi | undefined;
  let fn: Awaited<ReturnType<typeof startFunction>> | undefined;
  let oss: OssClient | undefined;
  let proxy: Awaited<ReturnType<typeof startProxy>> | undefined;
  const client = clientThread();
  try {
    ossServer = await startTestOssServer({ dataDir: join(work, 'oss') });
    kube = await startTestKubeApi({
      tokens: [{ token: READER_TOKEN, user: 'bench-reader', rules: [{ namespaces: [NAMESPACE], apiGroups: ['argoproj.io'], resources: ['workflows'], verbs: ['get'] }] }],
    });
    const endpoint = `http://localhost:${ossServer.server.port}`;
    oss = createOssClient({ bucket: ossServer.bucket, region: LOCAL_DEFAULT_REGION, endpoint, credentials: ossServer.credentials });
    // Namespaced, as the default ARGO_OSS_WORKFLOW_KEY_PREFIX lays keys out.
    const bigKey = `${NAMESPACE}/${WORKFLOW}/${NODE_ID}/big.bin`;
    const smallKey = `${NAMESPACE}/${WORKFLOW}/${NODE_ID}/concurrent.bin`;
    process.stdout.write(`writing ${formatBytes(size)} and ${formatBytes(concurrentSize)} objects (streamed PUT)… `);
    await putRandomObject(oss, bigKey, size);
    await putRandomObject(oss, smallKey, concurrentSize);
    if ((await headObject(oss, bigKey)).size !== size) throw new Error('the object was not written whole');
    console.log('done');
    await kube.writeWorkflow(workflow([{ name: 'big', key: bigKey }, { name: 'concurrent', key: smallKey }], ossServer.bucket));

    fn = await startFunction(work, {
      OSS_ENDPOINT: endpoint,
      OSS_REGION: LOCAL_DEFAULT_REGION,
      OSS_BUCKET: ossServer.bucket,
      OSS_ACCESS_KEY_ID: ossServer.credentials.accessKeyId,
      OSS_ACCESS_KEY_SECRET: ossServer.credentials.accessKeySecret,
      KUBECONFIG: kube.api.kubeconfigPath,
    });
    const pid = fn.child.pid!;
    const auth = { authorization: `Bearer ${READER_TOKEN}` };
    const through = (name: string): Target => ({ url: `${fn!.url}/artifacts/${NAMESPACE}/${WORKFLOW}/${NODE_ID}/${name}`, headers: auth });
    const direct = async (key: string): Promise<Target> => ({ url: (await presignGetObject(oss!, key, { expiresSeconds: 3600 })).url, headers: {} });
    const bigUrl = (await direct(bigKey)).url;
    const smallUrl = (await direct(smallKey)).url;
    proxy = await startProxy(work, { '/big': bigUrl, '/small': smallUrl });
    const big: Record<Via, Target> = { direct: { url: bigUrl, headers: {} }, peer: { url: `${proxy.url}/big`, headers: {} }, fn: through('big') };
    const small: Record<Via, Target> = { direct: { url: smallUrl, headers: {} }, peer: { url: `${proxy.url}/small`, headers: {} }, fn: through('concurrent') };

    // Warm-up (not measured): JIT on all sides, sockets, the function's first Kubernetes and OSS calls.
    for (const via of VIAS) {
      const r = await client.call<GetResult>({ op: 'get', ...small[via] });
      if (r.bytes !== concurrentSize) throw new Error(`warm-up ${via}: ${r.bytes} bytes, expected ${concurrentSize}`);
    }
    await client.call({ op: 'ttfb', targets: VIAS.map((v) => big[v]), samples: 5 });
    const idle = await procStatus(pid);

    // (1) one download of the whole object, rotating which goes first.
    const single: Record<Via, number[]> = { direct: [], peer: [], fn: [] };
    for (let r = 0; r < runs; r++) {
      for (const via of [...VIAS.slice(r % 3), ...VIAS.slice(0, r % 3)]) {
        process.stdout.write(`  ${LABEL[via]}, ${formatBytes(size)}… `);
        const res = await client.call<GetResult>({ op: 'get', ...big[via] });
        if (res.bytes !== size) throw new Error(`${via}: ${res.bytes} bytes, expected ${size}`);
        single[via].push(res.secs);
        console.log(`${f(res.secs, 2)} s`);
      }
    }

    // (2) time to first byte of 1 KiB range requests, interleaved.
    process.stdout.write(`  time to first byte, ${samples} × ${VIAS.length} range requests… `);
    const ttfbs = await client.call<number[][]>({ op: 'ttfb', targets: VIAS.map((v) => big[v]), samples });
    const ttfb = Object.fromEntries(VIAS.map((v, i) => [v, ttfbs[i]!])) as Record<Via, number[]>;
    console.log('done');

    // (3) the function's RSS while it streams streamTotal (whole-object downloads back to back).
    const rounds = Math.max(1, Math.ceil(streamTotal / size));
    process.stdout.write(`  function RSS while streaming ${formatBytes(rounds * size)} (${rounds} × ${formatBytes(size)})… `);
    const stream = await sampled(pid, async () => {
      const t0 = performance.now();
      for (let i = 0; i < rounds; i++) {
        const r = await client.call<GetResult>({ op: 'get', ...big.fn });
        if (r.bytes !== size) throw new Error(`stream: ${r.bytes} bytes, expected ${size}`);
      }
      return (performance.now() - t0) / 1000;
    });
    console.log(`${f(stream.result, 1)} s`);

    // (4) N concurrent downloads of the smaller object.
    const conc = {} as Record<Via, { secs: number; bytes: number }>;
    let concFn: Awaited<ReturnType<typeof sampled<{ secs: number; bytes: number }>>> | undefined;
    for (const via of VIAS) {
      process.stdout.write(`  ${concurrency} concurrent downloads of ${formatBytes(concurrentSize)}, ${LABEL[via]}… `);
      const go = () => client.call<{ secs: number; bytes: number }>({ op: 'concurrent', ...small[via], n: concurrency });
      if (via === 'fn') {
        concFn = await sampled(pid, go);
        conc.fn = concFn.result;
      } else conc[via] = await go();
      if (conc[via].bytes !== concurrency * concurrentSize) throw new Error(`${via}: ${conc[via].bytes} bytes in the concurrent run`);
      console.log(`${f(conc[via].secs, 1)} s`);
    }
    const end = await procStatus(pid);

    // The table.
    const t = Object.fromEntries(VIAS.map((v) => [v, mbps(size, median(single[v]))])) as Record<Via, number>;
    const m = Object.fromEntries(VIAS.map((v) => [v, median(ttfb[v])])) as Record<Via, number>;
    const c = Object.fromEntries(VIAS.map((v) => [v, mbps(conc[v].bytes, conc[v].secs)])) as Record<Via, number>;
    const growth = stream.maxRss - stream.before.rss;
    const cpuPerGiB = (stream.after.cpuSeconds - stream.before.cpuSeconds) / ((rounds * size) / GiB);
    const ok = (b: boolean) => (b ? 'ok' : 'MISSED');
    const rows: string[][] = [
      ['measure', 'direct', 'peer proxy', 'function', 'fn / direct', 'fn / peer', 'target (fn vs direct)', ''],
      [
        `1 download of ${formatBytes(size)}, MB/s${runs > 1 ? ` (median of ${runs})` : ''}`,
        f(t.direct),
        f(t.peer),
        f(t.fn),
        `${f(t.fn / t.direct, 2)}x`,
        `${f(t.fn / t.peer, 2)}x`,
        '≥ 0.90x',
        ok(t.fn >= 0.9 * t.direct),
      ],
      [`time to first byte, ms (median of ${samples})`, f(m.direct, 2), f(m.peer, 2), f(m.fn, 2), `+${f(m.fn - m.direct, 2)} ms`, `+${f(m.fn - m.peer, 2)} ms`, '≤ +10 ms', ok(m.fn - m.direct <= 10)],
      [`${concurrency} concurrent × ${formatBytes(concurrentSize)}, aggregate MB/s`, f(c.direct), f(c.peer), f(c.fn), `${f(c.fn / c.direct, 2)}x`, `${f(c.fn / c.peer, 2)}x`, '', ''],
      [`function RSS growth streaming ${formatBytes(rounds * size)}, MiB`, '', '', f(growth / MiB, 1), '', '', '< 32 MiB', ok(growth < 32 * MiB)],
      [`function RSS growth, ${concurrency} concurrent, MiB`, '', '', f((concFn!.maxRss - concFn!.before.rss) / MiB, 1), '', '', '', ''],
      ['function RSS idle after warm-up / peak (VmHWM), MiB', '', '', `${f(idle.rss / MiB)} / ${f(end.hwm / MiB)}`, '', '', '', ''],
      ['function CPU s per GiB streamed', '', '', f(cpuPerGiB, 2), '', '', '', ''],
    ];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    const line = (r: string[]) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
    console.log(`\n${line(rows[0]!)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
    for (const r of rows.slice(1)) console.log(line(r));
    console.log(
      `\ndirect = presigned GET from the OSS server; peer proxy = a bare node:http pass-through process (pipe(), default buffers, ` +
        `no auth, no SDK): what a naive extra hop achieves on this machine; function = artifact-download (${cpus().length} cores shared by the OSS server, client and function).` +
        `\nMB/s = 10^6 bytes/s. TTFB: request sent → first body byte, keep-alive, bytes=0-1023; p90 direct ${f(pct(ttfb.direct, 0.9), 2)} ms, ` +
        `peer ${f(pct(ttfb.peer, 0.9), 2)} ms, function ${f(pct(ttfb.fn, 0.9), 2)} ms.` +
        `\nRSS growth = highest VmRSS sampled every 50 ms minus VmRSS just before the phase.`,
    );
  } finally {
    await client.close();
    await fn?.stop();
    await proxy?.stop();
    oss?.close();
    await kube?.close();
    await ossServer?.close();
    await rm(work, { recursive: true, force: true });
  }
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}
