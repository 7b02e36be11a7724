// Artifact-driver plugin throughput, each party in its own process against the local OSS server and
// the coordinator (both in this process), in one run:
//   Save        a file of --size (default 1 GiB) through the plugin (gRPC Save → the pod uploader →
//               presigned multipart, CRC-64 verified)  vs  the official OSS Go SDK's Bucket.UploadFile
//               (4 routines, 16 MiB parts: the SDK Argo's own OSS driver is built on; Debian's
//               golang-go + golang-github-aliyun-aliyun-oss-go-sdk-dev)
//   OpenStream  the object through the plugin as gRPC frames  vs  a direct presigned GET; the plugin's
//               RSS is sampled while it streams (growth over its RSS before the call)
//   Load        the object into a file through the plugin (ranged GETs in parallel)  vs  one
//               single-stream GET of the presigned URL into a file
// The plugin runs as pods run it (the esbuild CLI bundle under plain node); the gRPC client and the
// peers are separate processes too, so each CPU figure is that process's own.
//   npm run bench -- plugin [--size 1GiB] [--only save,stream,load] [--runs 1]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, open, rm, statfs, writeFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Crc64 } from '../shared/crc64';
import { deleteObject, headObject, presignGetObject } from '../shared/oss';
import { formatBytes, parseSize } from '../cli/upload/size';
import { startTestCoordinator } from '../test/helpers/coordinator';
import { stringOption } from './args';
import { makeRandomFile } from './random-file';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const GO_PEER = fileURLToPath(new URL('./peers/oss-upload-file.go', import.meta.url));
const GO_SDK = '/usr/share/gocode/src/github.com/aliyun/aliyun-oss-go-sdk/oss';
const APT_HINT = 'apt-get install -y golang-go golang-github-aliyun-aliyun-oss-go-sdk-dev';
const CLK_TCK = 100;
type Op = 'save' | 'stream' | 'load';
const OPS: Op[] = ['save', 'stream', 'load'];

/** The gRPC client and the plain-GET peer: plain CommonJS (no tsx), one operation per process. */
const CLIENT = String.raw`
const o = JSON.parse(process.argv[2]);
const fs = require('fs');
const http = require('http');
function grpcClient() {
  const grpc = require(o.grpcJs);
  const loader = require(o.protoLoader);
  const pkg = grpc.loadPackageDefinition(loader.loadSync(o.proto, { keepCase: true, longs: String, defaults: true }));
  return new pkg.artifact.ArtifactService('unix://' + o.socket, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
}
const artifact = () => ({ name: 'bench', plugin: { name: 'argo-oss', configuration: o.configuration, key: o.key } });
let client;
const unary = (client, method, req) => new Promise((resolve, reject) => client[method](req, (err, res) => (err ? reject(err) : res.success ? resolve(res) : reject(new Error(res.error)))));
const ops = {
  async save() { await unary(client, 'Save', { path: o.path, output_artifact: artifact() }); return { bytes: o.size }; },
  async load() { await unary(client, 'Load', { input_artifact: artifact(), path: o.path }); return { bytes: fs.statSync(o.path).size }; },
  stream() {
    return new Promise((resolve, reject) => {
      let bytes = 0, ends = 0, maxFrame = 0;
      const s = client.OpenStream({ artifact: artifact() });
      s.on('data', (m) => { if (m.is_end) ends++; else { bytes += m.data.length; if (m.data.length > maxFrame) maxFrame = m.data.length; } });
      s.on('error', reject);
      s.on('end', () => (ends === 1 ? resolve({ bytes, maxFrame }) : reject(new Error('no is_end frame'))));
    });
  },
  get() {
    return new Promise((resolve, reject) => {
      http.get(o.url, (res) => {
        if (res.statusCode !== 200) return reject(new Error('GET ' + res.statusCode));
        let bytes = 0;
        if (o.path) {
          const out = fs.createWriteStream(o.path);
          res.on('data', (c) => (bytes += c.length));
          res.pipe(out);
          out.on('finish', () => resolve({ bytes }));
          out.on('error', reject);
        } else {
          res.on('data', (c) => (bytes += c.length));
          res.on('end', () => resolve({ bytes }));
        }
        res.on('error', reject);
      }).on('error', reject);
    });
  },
};
(async () => {
  // Connected before the clock starts: the proto is parsed and the socket open.
  if (o.op !== 'get') {
    client = grpcClient();
    await new Promise((resolve, reject) => client.waitForReady(Date.now() + 30000, (err) => (err ? reject(err) : resolve())));
  }
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const r = await ops[o.op]();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(JSON.stringify({ ...r, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 }));
})().catch((err) => { console.error(err && err.stack || err); process.exit(1); });
`;

interface Measured {
  seconds: number;
  bytes: number;
  /** CPU of the process doing the transfer (the plugin for ours, the peer process otherwise). */
  cpuSeconds: number;
  /** The gRPC client's own CPU (ours only). */
  clientCpuSeconds?: number;
  rssGrowthBytes?: number;
  maxFrame?: number;
}

function runJson<T>(cmd: string, args: string[], what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30 * 60_000);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`${what} exited with ${code}:\n${err}`));
      try {
        resolve(JSON.parse(out) as T);
      } catch {
        reject(new Error(`${what}: no result on stdout:\n${out}\n${err}`));
      }
    });
  });
}

/** utime + stime of a process, seconds (Linux /proc). */
function processCpu(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function processRss(pid: number): number {
  const m = /VmRSS:\s*(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Builds the Go peer, or says why it cannot run. */
function buildGoPeer(work: string): { bin: string } | { missing: string } {
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error || go.status !== 0) return { missing: `no Go toolchain (${APT_HINT})` };
  if (!existsSync(join(GO_SDK, 'upload.go'))) return { missing: `the OSS Go SDK is not in /usr/share/gocode (${APT_HINT})` };
  const bin = join(work, 'oss-upload-file');
  const r = spawnSync('go', ['build', '-o', bin, GO_PEER], {
    encoding: 'utf8',
    env: { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOCACHE: join(work, 'gocache'), GOFLAGS: '', CGO_ENABLED: '0' },
  });
  if (r.status !== 0) return { missing: `building the Go peer failed: ${r.stderr.trim().split('\n')[0]}` };
  return { bin };
}

const fmt = (n: number, digits = 2) => n.toFixed(digits);

export async function run(args: string[]): Promise<void> {
  const size = parseSize(stringOption(args, '--size') ?? '1GiB');
  const only = (stringOption(args, '--only')?.split(',') as Op[] | undefined) ?? OPS;
  for (const op of only) if (!OPS.includes(op)) throw new Error(`--only: unknown operation ${op} (${OPS.join(', ')})`);
  const work = await mkdtemp(join(tmpdir(), 'argo-oss-bench-plugin-'));
  // The source, the object (twice at most while one is replaced), two loaded copies, slack.
  const needed = 5 * size + GiB;
  const fsStat = await statfs(work);
  if (fsStat.bavail * fsStat.bsize < needed) {
    await rm(work, { recursive: true, force: true });
    console.error(`not enough free disk space in ${tmpdir()}: need ${fmt(needed / GiB, 1)} GiB (try --size 256MiB)`);
    process.exitCode = 1;
    return;
  }
  console.log(`plugin benchmark: ${cpus().length} CPU(s) ${cpus()[0]?.model ?? ''}, node ${process.version}; ${formatBytes(size)}; the OSS server and the coordinator share this machine`);

  // The plugin as the image runs it: the CLI bundle, plain node, no node_modules needed.
  const bundleDir = join(work, 'cli');
  await mkdir(bundleDir);
  await build({ entryPoints: [join(ROOT, 'cli/bundle-entry.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile: join(bundleDir, 'argo-oss.cjs'), external: ['proxy-agent'], logLevel: 'warning' });
  await writeFile(join(bundleDir, 'package.json'), '{ "type": "commonjs" }\n');
  const clientScript = join(work, 'client.cjs');
  await writeFile(clientScript, CLIENT);
  const require = createRequire(import.meta.url);
  const common = { grpcJs: require.resolve('@grpc/grpc-js'), protoLoader: require.resolve('@grpc/proto-loader'), proto: join(ROOT, 'test/fixtures/argo-artifact.proto') };
  const goPeer = only.includes('save') ? buildGoPeer(work) : { missing: 'not run' };

  const c = await startTestCoordinator();
  const socket = join(work, 'artifact-plugins', 'argo-oss', 'socket');
  let plugin: ChildProcess | undefined;
  try {
    plugin = spawn(process.execPath, [join(bundleDir, 'argo-oss.cjs'), 'plugin', socket], { env: { PATH: process.env.PATH ?? '', ARGO_OSS_TOKEN: c.adminToken }, stdio: ['ignore', 'pipe', 'pipe'] });
    let pluginLog = '';
    plugin.stderr!.on('data', (d) => (pluginLog += d));
    await new Promise<void>((resolve, reject) => {
      plugin!.stdout!.on('data', (d: Buffer) => d.toString().includes('serving') && resolve());
      plugin!.once('exit', (code) => reject(new Error(`the plugin exited with ${code}:\n${pluginLog}`)));
    });
    const pid = plugin.pid!;
    // The plugin's defaults: the coordinator's part size for the file, 8 parts / ranges in flight.
    const configuration = `coordinator: ${c.url}\nbucket: ${c.ossServer.bucket}\nendpoint: ${c.env.OSS_ENDPOINT}\n`;
    const client = (op: string, extra: Record<string, unknown>) => runJson<Measured & { maxFrame?: number }>(process.execPath, [clientScript, JSON.stringify({ op, socket, configuration, ...common, ...extra })], op);

    /** Runs an operation of ours, measuring the plugin's CPU and (optionally) sampling its RSS. */
    const ours = async (op: Op, extra: Record<string, unknown>, sampleRss = false): Promise<Measured> => {
      const rss0 = processRss(pid);
      let peak = rss0;
      const sampler = sampleRss ? setInterval(() => (peak = Math.max(peak, processRss(pid))), 50) : undefined;
      const cpu0 = processCpu(pid);
      try {
        const r = await client(op, extra);
        return { seconds: r.seconds, bytes: r.bytes, cpuSeconds: processCpu(pid) - cpu0, clientCpuSeconds: r.cpuSeconds, ...(sampleRss ? { rssGrowthBytes: Math.max(0, peak - rss0) } : {}), ...(r.maxFrame ? { maxFrame: r.maxFrame } : {}) };
      } finally {
        clearInterval(sampler);
      }
    };
    const presigned = async (key: string) => (await presignGetObject(c.oss, key, { expiresSeconds: 3600 })).url;

    // Warm-up (not measured): JIT in the plugin, the server and the coordinator's auth cache.
    {
      const warm = join(work, 'warm.bin');
      await makeRandomFile(warm, 64 * MiB);
      await ours('save', { path: warm, key: 'bench/plugin/warm.bin', size: 64 * MiB });
      await ours('stream', { key: 'bench/plugin/warm.bin' });
      await ours('load', { key: 'bench/plugin/warm.bin', path: join(work, 'warm.out') });
      await rm(join(work, 'warm.out'), { force: true });
      await deleteObject(c.oss, 'bench/plugin/warm.bin');
    }

    const source = join(work, 'source.bin');
    process.stdout.write(`creating ${formatBytes(size)} of random data… `);
    const crc = await makeRandomFile(source, size);
    console.log('done');
    const key = 'bench/plugin/data.bin';
    const rows: Array<{ what: string; ours: Measured; peerLabel: string; peer?: Measured; peerMissing?: string; target: string; ratio?: number; met?: boolean }> = [];

    // Save — the object it leaves is the one the read benchmarks use.
    {
      let peer: Measured | undefined;
      let peerMissing: string | undefined;
      if (only.includes('save')) {
        if ('bin' in goPeer) {
          process.stdout.write('  Save: Go SDK UploadFile… ');
          const g = await runJson<{ seconds: number; cpuSeconds: number }>(
            goPeer.bin,
            ['-endpoint', c.env.OSS_ENDPOINT.replace('localhost', '127.0.0.1'), '-ak', c.ossServer.credentials.accessKeyId, '-sk', c.ossServer.credentials.accessKeySecret, '-bucket', c.ossServer.bucket, '-key', 'bench/plugin/go.bin', '-file', source, '-part-size', String(16 * MiB), '-routines', '4'],
            'Go SDK UploadFile',
          );
          const head = await headObject(c.oss, 'bench/plugin/go.bin');
          if (head.size !== size || head.crc64 !== crc) throw new Error('the Go SDK object does not match the file');
          await deleteObject(c.oss, 'bench/plugin/go.bin');
          peer = { seconds: g.seconds, bytes: size, cpuSeconds: g.cpuSeconds };
          console.log(`${fmt(g.seconds)} s`);
        } else peerMissing = goPeer.missing;
      }
      process.stdout.write('  Save: through the plugin… ');
      const r = await ours('save', { path: source, key, size });
      const head = await headObject(c.oss, key);
      if (head.size !== size || head.crc64 !== crc) throw new Error('the plugin object does not match the file');
      console.log(`${fmt(r.seconds)} s`);
      if (only.includes('save')) {
        const ratio = peer ? r.seconds / peer.seconds : undefined;
        rows.push({ what: 'Save', ours: r, peerLabel: 'Go SDK UploadFile (4 routines, 16 MiB parts)', peer, peerMissing, target: 'wall ≤ 1.0× peer', ratio, met: ratio === undefined ? undefined : ratio <= 1.0 });
      }
    }

    if (only.includes('stream')) {
      process.stdout.write('  OpenStream: direct presigned GET… ');
      const peer = await client('get', { url: await presigned(key) });
      console.log(`${fmt(peer.seconds)} s`);
      process.stdout.write('  OpenStream: through the plugin… ');
      const r = await ours('stream', { key }, true);
      if (r.bytes !== size) throw new Error(`OpenStream gave ${r.bytes} bytes`);
      console.log(`${fmt(r.seconds)} s`);
      const ratio = peer.seconds / r.seconds;
      rows.push({ what: 'OpenStream', ours: r, peerLabel: 'direct presigned GET', peer: { ...peer, cpuSeconds: peer.cpuSeconds }, target: 'speed ≥ 0.9× peer, RSS growth < 64 MiB', ratio, met: ratio >= 0.9 && (r.rssGrowthBytes ?? 0) < 64 * MiB });
    }

    if (only.includes('load')) {
      const peerOut = join(work, 'peer.out');
      process.stdout.write('  Load: single-stream GET into a file… ');
      const peer = await client('get', { url: await presigned(key), path: peerOut });
      await rm(peerOut, { force: true });
      console.log(`${fmt(peer.seconds)} s`);
      process.stdout.write('  Load: through the plugin… ');
      const out = join(work, 'loaded', 'data.bin.tmp');
      const r = await ours('load', { key, path: out }, true);
      const check = new Crc64();
      const fh = await open(out, 'r');
      for await (const chunk of fh.createReadStream({ highWaterMark: 16 * MiB })) check.update(chunk as Buffer);
      if (check.digest() !== crc) throw new Error('the loaded file does not match');
      await rm(out, { force: true });
      console.log(`${fmt(r.seconds)} s`);
      const ratio = peer.seconds / r.seconds;
      rows.push({ what: 'Load', ours: r, peerLabel: 'single-stream GET into a file', peer, target: 'speed ≥ 1.5× peer', ratio, met: ratio >= 1.5 });
    }

    // ---- the table ----
    const gib = size / GiB;
    const header = ['operation', 'party', 'wall s', 'MB/s', 'CPU s/GiB', 'client CPU s/GiB', 'plugin RSS growth MiB'];
    const lines: string[][] = [];
    for (const row of rows) {
      lines.push([row.what, 'ours (argo-oss plugin)', fmt(row.ours.seconds), fmt(size / 1e6 / row.ours.seconds, 0), fmt(row.ours.cpuSeconds / gib), fmt((row.ours.clientCpuSeconds ?? 0) / gib), row.ours.rssGrowthBytes === undefined ? '-' : fmt(row.ours.rssGrowthBytes / MiB, 1)]);
      if (row.peer) lines.push(['', row.peerLabel, fmt(row.peer.seconds), fmt(size / 1e6 / row.peer.seconds, 0), fmt(row.peer.cpuSeconds / gib), '-', '-']);
      else lines.push(['', `${row.peerLabel}: not run (${row.peerMissing})`, '-', '-', '-', '-', '-']);
    }
    const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
    const line = (cells: string[]) => cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
    console.log(`\n${formatBytes(size)}, plugin CPU = the plugin process (for the peers: the peer process)`);
    console.log(line(header));
    console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const l of lines) console.log(line(l));
    console.log('');
    for (const row of rows) {
      const how = row.what === 'Save' ? `ours/peer wall ${row.ratio === undefined ? '-' : `${fmt(row.ratio)}×`}` : `ours/peer speed ${fmt(row.ratio!)}×`;
      console.log(`${row.what.padEnd(10)} ${how}; target ${row.target}: ${row.met === undefined ? 'not measured' : row.met ? 'met' : 'MISSED'}${row.ours.maxFrame ? ` (largest frame ${formatBytes(row.ours.maxFrame)})` : ''}`);
    }
  } finally {
    if (plugin && plugin.exitCode === null) {
      const exited = new Promise((r) => plugin!.once('exit', r));
      plugin.kill('SIGTERM');
      await exited;
    }
    await c.close();
    await rm(work, { recursive: true, force: true });
  }
}
