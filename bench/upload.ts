// Upload throughput: the pod uploader (argo-oss upload, through the coordinator, CRC-64 verified end
// to end) vs ali-oss multipartUpload (its defaults; our concurrency; our concurrency and part size), on the
// same 1 GiB and 4 GiB files of random bytes, against the local OSS server on loopback, in one run.
// Each client runs in its own child process (plain node, no tsx: ours from an esbuild bundle of
// cli/upload, as pods run it), so CPU time and peak RSS are the client's own. The OSS server and the
// coordinator run in this process. Then URL signing: 10,000 part URLs through the coordinator's API
// (10 requests of 1000) and through the signing function directly.
//   npm run bench -- upload [--sizes 1,4] [--concurrency N] [--part-size SIZE] [--runs N] [--only ours,ali-default,ali-conc,ali-same]
import { spawn } from 'node:child_process';
import { mkdtemp, rm, statfs, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { deleteObject, headObject, presignUploadPart } from '../shared/oss';
import { DEFAULT_CONCURRENCY } from '../cli/upload';
import { PartUrlSigner } from '../shared/upload/part-urls';
import { formatBytes, parseSize } from '../cli/upload/size';
import { startTestCoordinator, type TestCoordinator } from '../test/helpers/coordinator';
import { stringOption } from './args';
import { makeRandomFile } from './random-file';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const ROOT = fileURLToPath(new URL('..', import.meta.url));

type Mode = 'ours' | 'ali-default' | 'ali-conc' | 'ali-same';
const MODES: Mode[] = ['ours', 'ali-default', 'ali-conc', 'ali-same'];

interface ChildResult {
  seconds: number;
  cpuSeconds: number;
  maxRssBytes: number;
  startRssBytes: number;
  parts: number;
  partSize: number;
  concurrency: number;
  crc64?: string;
}

interface Row extends ChildResult {
  mode: Mode;
  size: number;
  verified: boolean;
}

/** The client side: plain CommonJS, so neither tsx nor TypeScript compilation is measured. */
const CHILD = String.raw`
const o = JSON.parse(process.argv[2]);
(async () => {
  let run;
  if (o.mode === 'ours') {
    const { uploadFile } = require(o.bundle);
    run = async () => {
      const s = await uploadFile({ coordinator: o.url, token: o.token, key: o.key, path: o.path, concurrency: o.concurrency, partSize: o.partSize, progress: 'none' });
      if (!s.verified) throw new Error('not verified');
      return { parts: s.parts, partSize: s.partSize, concurrency: o.concurrency, crc64: s.crc64 };
    };
  } else {
    const OSS = require(o.aliOss);
    const client = new OSS(o.options);
    const opts = o.mode === 'ali-same' ? { parallel: o.concurrency, partSize: o.partSize } : o.mode === 'ali-conc' ? { parallel: o.concurrency } : {};
    run = async () => {
      await client.multipartUpload(o.key, o.path, opts);
      const partSize = client._getPartSize(o.size, opts.partSize);
      return { parts: Math.ceil(o.size / partSize), partSize, concurrency: opts.parallel || 5 };
    };
  }
  const startRssBytes = process.memoryUsage().rss;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const r = await run();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  // Peak RSS of this process image: VmHWM. (getrusage's maxRSS survives execve on Linux, so a child
  // would report the parent's peak if that was higher.)
  let maxRssBytes = process.resourceUsage().maxRSS * 1024;
  try {
    const hwm = /VmHWM:\s*(\d+) kB/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'));
    if (hwm) maxRssBytes = Number(hwm[1]) * 1024;
  } catch {}
  process.stdout.write(JSON.stringify({ ...r, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssBytes, startRssBytes }));
})().catch((err) => {
  console.error(err && err.stack || err);
  process.exit(1);
});
`;

function runChild(script: string, payload: Record<string, unknown>): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, JSON.stringify(payload)], { stdio: ['ignore', 'pipe', 'pipe'] });
    // A client that hangs must not hang the benchmark.
    const timer = setTimeout(() => child.kill('SIGKILL'), 30 * 60_000);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`${payload.mode} exited with ${code}:\n${err}`));
      try {
        resolve(JSON.parse(out) as ChildResult);
      } catch {
        reject(new Error(`${payload.mode}: no result on stdout:\n${out}\n${err}`));
      }
    });
  });
}

/** Writes `bytes` of random data in 16 MiB chunks and returns the file's CRC-64 (computed as written). */
const fmt = (n: number, digits = 2) => n.toFixed(digits);
const label: Record<Mode, string> = {
  ours: 'ours (argo-oss upload)',
  'ali-default': 'ali-oss multipartUpload, defaults',
  'ali-conc': 'ali-oss multipartUpload, our concurrency',
  'ali-same': 'ali-oss multipartUpload, our conc+part',
};

function printTable(size: number, rows: Row[]): void {
  const header = ['client', 'conc', 'part', 'parts', 'wall s', 'MB/s', 'CPU s/GiB', 'peak RSS MB', 'CRC-64 e2e'];
  const lines = rows.map((r) => [
    label[r.mode],
    String(r.concurrency),
    `${fmt(r.partSize / MiB, r.partSize % MiB ? 1 : 0)} MiB`,
    String(r.parts),
    fmt(r.seconds),
    fmt(r.size / 1e6 / r.seconds, 0),
    fmt(r.cpuSeconds / (r.size / GiB)),
    fmt(r.maxRssBytes / 1e6, 0),
    r.mode === 'ours' ? 'client+server' : `no (checked here: ${r.verified ? 'ok' : 'MISMATCH'})`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells: string[]) => cells.map((c, i) => (i === 0 || i === 8 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(`\n${formatBytes(size)} file`);
  console.log(row(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) console.log(row(l));
  const ours = rows.find((r) => r.mode === 'ours');
  for (const peer of rows.filter((r) => r.mode !== 'ours')) {
    if (!ours) break;
    console.log(
      `ours / ${label[peer.mode]}: speed ${fmt(peer.seconds / ours.seconds)}x, CPU per GiB ${fmt(ours.cpuSeconds / peer.cpuSeconds)}x, peak RSS ${fmt(ours.maxRssBytes / peer.maxRssBytes)}x`,
    );
  }
}

async function signingBench(c: TestCoordinator): Promise<void> {
  // An upload planned at 10,000 parts of 100 KiB; no data is sent, only URLs signed.
  const parts = 10_000;
  const start = await c.api('POST', '/uploads', { token: c.adminToken, body: { key: 'bench/sign.bin', size: parts * 100 * 1024, partSize: 100 * 1024 } });
  if (start.status !== 201) throw new Error(`start for the signing bench: ${start.status} ${JSON.stringify(start.body)}`);
  const uploadId: string = start.body.uploadId;
  const batch = (i: number) => Array.from({ length: 1000 }, (_, j) => ({ partNumber: i * 1000 + j + 1 }));
  // warm-up (JIT, auth cache)
  await c.api('POST', `/uploads/${uploadId}/sign`, { token: c.adminToken, body: { key: 'bench/sign.bin', parts: batch(0) } });
  const t0 = performance.now();
  let urls = 0;
  for (let i = 0; i < 10; i++) {
    const r = await c.api('POST', `/uploads/${uploadId}/sign`, { token: c.adminToken, body: { key: 'bench/sign.bin', parts: batch(i) } });
    if (r.status !== 200) throw new Error(`sign: ${r.status} ${JSON.stringify(r.body)}`);
    urls += r.body.parts.length;
  }
  const api = performance.now() - t0;
  // The coordinator's signer itself, in the same batches, then ali-oss's per-URL V4 presign.
  const signer = new PartUrlSigner(c.oss);
  await signer.sign('bench/sign.bin', uploadId, batch(0), 900); // warm-up
  const t1 = performance.now();
  for (let i = 0; i < 10; i++) await signer.sign('bench/sign.bin', uploadId, batch(i), 900);
  const direct = performance.now() - t1;
  const ref = { key: 'bench/sign.bin', uploadId };
  for (let n = 1; n <= 200; n++) await presignUploadPart(c.oss, ref, n, { expiresSeconds: 900 }); // warm-up
  const t2 = performance.now();
  for (let n = 1; n <= parts; n++) await presignUploadPart(c.oss, ref, n, { expiresSeconds: 900 });
  const sdk = performance.now() - t2;
  await c.api('DELETE', `/uploads/${uploadId}?key=bench/sign.bin`, { token: c.adminToken });
  const line = (what: string, ms: number) => console.log(`  ${what.padEnd(78)} ${fmt(ms, 0).padStart(5)} ms  (${fmt((parts / ms) * 1000, 0)} URLs/s)`);
  console.log(`\nURL signing: ${parts} part URLs (target < 150 ms)`);
  line('coordinator API: 10 × POST /uploads/{id}/sign of 1000 parts (HTTP, auth, manifest)', api);
  line("coordinator's signer directly (shared/upload/part-urls PartUrlSigner, 10 × 1000)", direct);
  line('ali-oss signatureUrlV4 per URL (shared/oss presignUploadPart), for reference', sdk);
  void urls;
}

export async function run(args: string[]): Promise<void> {
  const sizes = (stringOption(args, '--sizes') ?? '1,4').split(',').map((s) => {
    const n = Number(s);
    if (!(n > 0)) throw new Error(`--sizes: bad size ${s} (GiB)`);
    return Math.round(n * GiB);
  });
  const concurrency = Number(stringOption(args, '--concurrency') ?? DEFAULT_CONCURRENCY);
  const partSizeOpt = stringOption(args, '--part-size');
  const partSize = partSizeOpt ? parseSize(partSizeOpt) : undefined;
  const runs = Number(stringOption(args, '--runs') ?? 1);
  const only = (stringOption(args, '--only')?.split(',') as Mode[] | undefined) ?? MODES;
  for (const m of only) if (!MODES.includes(m)) throw new Error(`--only: unknown client ${m} (${MODES.join(', ')})`);

  const work = await mkdtemp(join(tmpdir(), 'argo-oss-bench-upload-'));
  // Disk: the files, plus one uploaded object at a time in the OSS server's data dir (parts are
  // hard-linked into the object on complete), plus 1 GiB of slack.
  const needed = sizes.reduce((a, b) => a + b, 0) + Math.max(...sizes) + GiB;
  const fs = await statfs(work);
  const free = fs.bavail * fs.bsize;
  if (free < needed) {
    await rm(work, { recursive: true, force: true });
    console.error(`not enough free disk space in ${tmpdir()}: need ${fmt(needed / GiB, 1)} GiB, have ${fmt(free / GiB, 1)} GiB (try --sizes 1)`);
    process.exitCode = 1;
    return;
  }

  console.log(`upload benchmark: ${cpus().length} CPU(s) ${cpus()[0]?.model ?? ''}, node ${process.version}; the OSS server and the coordinator share this machine with the client`);
  // Ours as pods run it: one bundled file, plain node.
  const bundle = join(work, 'ours.cjs');
  await build({
    stdin: { contents: `export { uploadFile } from './cli/upload/index.ts';`, resolveDir: ROOT, loader: 'ts' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: bundle,
    logLevel: 'warning',
  });
  const script = join(work, 'client.cjs');
  await writeFile(script, CHILD);
  const aliOss = createRequire(import.meta.url).resolve('ali-oss');

  const c = await startTestCoordinator();
  const ossOptions = {
    ...c.ossServer.clientOptions(true),
    timeout: 600_000,
  };
  try {
    // Warm-up (not measured): the server's JIT, its MD5 workers, the coordinator's auth cache.
    {
      const path = join(work, 'warm-up.bin');
      await makeRandomFile(path, 64 * MiB);
      for (const mode of only) {
        await runChild(script, { mode, bundle, aliOss, url: c.url, token: c.adminToken, options: ossOptions, key: `bench/warm-up-${mode}`, path, size: 64 * MiB, concurrency, partSize: partSize ?? 16 * MiB });
        await deleteObject(c.oss, `bench/warm-up-${mode}`);
      }
      await rm(path, { force: true });
    }
    for (const size of sizes) {
      const path = join(work, `file-${size}.bin`);
      process.stdout.write(`\ncreating ${formatBytes(size)} of random data… `);
      const crc = await makeRandomFile(path, size);
      console.log('done');
      const rows: Row[] = [];
      let oursPartSize = partSize;
      for (let r = 0; r < runs; r++) {
        // Rotate the order per run, so no client always goes first (cold server) or last.
        for (const mode of [...only.slice(r % only.length), ...only.slice(0, r % only.length)]) {
          const key = `bench/${mode}-${size}.bin`;
          process.stdout.write(`  ${label[mode]}… `);
          const result = await runChild(script, {
            mode,
            bundle,
            aliOss,
            url: c.url,
            token: c.adminToken,
            options: ossOptions,
            key,
            path,
            size,
            concurrency,
            partSize: mode === 'ours' ? partSize : (oursPartSize ?? 16 * MiB),
          });
          if (mode === 'ours') oursPartSize = result.partSize;
          const head = await headObject(c.oss, key);
          const verified = head.size === size && head.crc64 === crc;
          if (!verified) throw new Error(`${mode}: the object in OSS does not match the file (size ${head.size}, CRC ${head.crc64}, expected ${crc})`);
          console.log(`${fmt(result.seconds)} s`);
          rows.push({ ...result, mode, size, verified });
          await deleteObject(c.oss, key);
        }
      }
      // With --runs > 1 keep the median run per client.
      const median = only.map((m) => {
        const rs = rows.filter((x) => x.mode === m).sort((a, b) => a.seconds - b.seconds);
        return rs[Math.floor(rs.length / 2)];
      });
      printTable(size, median);
      await rm(path, { force: true });
    }
    await signingBench(c);
  } finally {
    await c.close();
    await rm(work, { recursive: true, force: true });
  }
}
