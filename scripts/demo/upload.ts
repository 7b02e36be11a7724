// Scenario 1, "Oversized upload": examples/large-upload-workflow.yaml's step, played by a pod-like
// child process. It generates the file, uploads it through the coordinator with `argo-oss upload`
// (the example's own flags), then a second run of the workflow has its upload SIGKILLed midway and
// run again — the example's retry loop — which resumes. Every claim is checked against OSS.
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import { formatBytes } from '../../cli/upload/size';
import { sleep } from '../../shared/backoff';
import { headObject, iterateMultipartUploads, listAllParts, putObject } from '../../shared/oss';
import { choosePartSize, partCountFor } from '../../shared/upload/plan';
import { callJson, type DemoContext } from './context';
import { runUpload, startPod, type DemoPod, type UploadJson, type UploadRun } from './pod';
import { DemoError, type Check, type ScenarioResult } from './report';
import { freeBytes, generateFile, type SourceFile } from './source';
import { exampleRepository, generatedName, NAMESPACE, renderExample, type Rendered } from './workflows';

const EXAMPLE = 'examples/large-upload-workflow.yaml';
const MiB = 1024 * 1024;
/** Parts the killed run needs at least, so that "midway" means something. */
const MIN_PARTS_FOR_KILL = 12;

type Repo = Awaited<ReturnType<typeof exampleRepository>>;

/** The object in OSS has the source's size and CRC-64 (HEAD: Content-Length, x-oss-hash-crc64ecma). */
export async function verifyObject(ctx: DemoContext, key: string, src: { size: number; crc64: string }): Promise<{ ok: boolean; detail: string; etag?: string }> {
  try {
    const h = await headObject(ctx.stack.oss, key);
    const crc = h.crc64?.toString() ?? '(none)';
    const ok = h.size === src.size && crc === src.crc64 && h.etag !== '';
    return { ok, detail: `HEAD ${key}: ${h.size} bytes, CRC-64 ${crc}, ETag ${h.etag}`, etag: h.etag };
  } catch (err) {
    return { ok: false, detail: `HEAD ${key}: ${(err as Error).message}` };
  }
}

async function partsInOss(ctx: DemoContext, key: string): Promise<{ uploadId?: string; parts: number }> {
  for await (const page of iterateMultipartUploads(ctx.stack.oss, { prefix: key })) {
    const u = page.uploads.find((x) => x.key === key);
    if (u) return { uploadId: u.uploadId, parts: (await listAllParts(ctx.stack.oss, { key, uploadId: u.uploadId })).length };
  }
  return { parts: 0 };
}

/** Parts in OSS once the count stops moving: a part whose body was all sent before the kill still commits. */
async function settledParts(ctx: DemoContext, key: string): Promise<number> {
  let last = (await partsInOss(ctx, key)).parts;
  for (let i = 0; i < 20; i++) {
    await sleep(300);
    const now = (await partsInOss(ctx, key)).parts;
    if (now === last) break;
    last = now;
  }
  return last;
}

/** Flags of the example's `argo-oss upload` line that shape the upload (its --concurrency). */
function exampleFlags(r: Rendered): string[] {
  const script = [...(r.template.container.command ?? []), ...(r.template.container.args ?? [])].join('\n');
  const m = /argo-oss\.cjs upload [^\n]*--concurrency (\d+)/.exec(script);
  return m ? ['--concurrency', m[1]] : [];
}

function uploadKey(r: Rendered): string {
  const env = (r.template.container.env ?? []) as Array<{ name: string; value?: string }>;
  const key = env.find((e) => e.name === 'KEY')?.value;
  if (!key) throw new Error(`${EXAMPLE}: the container has no KEY variable`);
  return key;
}

/** A workflow run of the example, Running, with its pod and the pod's token. */
async function startRun(ctx: DemoContext, repo: Repo): Promise<{ run: Rendered; pod: DemoPod }> {
  const name = generatedName('train-20g-');
  ctx.prefixes.push(`${NAMESPACE}/${name}/`);
  const run = await renderExample('large-upload-workflow.yaml', { name, phase: 'Running', repo, parameters: { size: String(ctx.size) }, directories: ['model'] });
  await ctx.cluster.writeWorkflow(run.workflow);
  const pod = await startPod(ctx, { name, uid: run.workflow.metadata.uid! }, run.podName, run.nodeId);
  return { run, pod };
}

/** The run as the controller records it once the pod succeeded: outputs in status, the marker object written. */
async function completeRun(ctx: DemoContext, run: Rendered, repo: Repo): Promise<void> {
  ctx.signal.throwIfAborted();
  const done = await renderExample('large-upload-workflow.yaml', {
    name: run.podName,
    uid: run.workflow.metadata.uid,
    phase: 'Succeeded',
    repo,
    parameters: { size: String(ctx.size) },
    directories: ['model'],
  });
  for (const o of done.outputs) await putObject(ctx.stack.oss, o.key, o.body);
  await ctx.cluster.writeWorkflow(done.workflow);
}

/**
 * Run 1 of the example: generate the file, upload it as the pod does, check the plan and the object,
 * complete the workflow (its `model` artifact is the directory holding model.bin). Sets ctx.big.
 */
export async function uploadOnce(ctx: DemoContext, checks: Check[]): Promise<{ src: SourceFile; partSize: number; partCount: number; repo: Repo }> {
  const r = ctx.report;
  const repo = await exampleRepository(ctx.stack.bucket, ctx.stack.region);
  const src = await prepareSource(ctx);
  r.info(`${src.path}: ${formatBytes(src.size)}, CRC-64 ${src.crc64}, sha256 ${src.sha256.slice(0, 16)}…`);

  const first = await startRun(ctx, repo);
  const key = uploadKey(first.run);
  r.step(`workflow argo/${first.run.podName} is running; its pod holds a pod-bound service-account token (tokens.yaml), as the kubelet projects one`);

  const partSize = choosePartSize(ctx.size);
  const partCount = partCountFor(ctx.size, partSize);
  r.step(`upload: ${formatBytes(ctx.size)} → ${key}`);
  r.info(`part plan: max(16 MiB, size / 10,000) → ${partCount} part${partCount === 1 ? '' : 's'} of ${formatBytes(partSize)}; each PUT straight from the file to a presigned URL`);
  const one = await runUpload(ctx, first.pod, src.path, key, exampleFlags(first.run)).done;
  const s = one.summary;
  r.check(checks, 'the uploader exits 0 with the object verified', one.code === 0 && s?.verified === true, s ? describeSummary(s) : `exit ${one.code ?? one.signal}`);
  r.check(checks, "the uploader's CRC-64 is the file's", s?.crc64 === src.crc64, `${s?.crc64 ?? '?'} = ${src.crc64}`);
  if (s?.uploadId) {
    const plan = await callJson(`${ctx.stack.gatewayUrl}/uploads/${encodeURIComponent(s.uploadId)}?key=${encodeURIComponent(key)}`, { token: first.pod.token });
    const b = plan.body ?? {};
    r.check(
      checks,
      "the coordinator's plan is the one announced, and its state is completed",
      plan.status === 200 && b.partSize === partSize && b.partCount === partCount && b.state === 'completed',
      `GET /uploads/${s.uploadId}: ${b.partCount} × ${formatBytes(b.partSize ?? 0)}, ${b.writers?.length ?? '?'} writer, state ${b.state ?? plan.status}`,
    );
  }
  const v = await verifyObject(ctx, key, src);
  r.check(checks, 'OSS holds the object with the same size and CRC-64', v.ok, v.detail);
  if (one.code === 0) await completeRun(ctx, first.run, repo);
  if (v.ok) {
    ctx.big = { namespace: 'argo', workflow: first.run.podName, nodeId: first.run.nodeId, artifact: 'model', file: key.slice(key.lastIndexOf('/') + 1), key, size: src.size, sha256: src.sha256, crc64: src.crc64 };
  }
  return { src, partSize, partCount, repo };
}

export async function uploadScenario(ctx: DemoContext, result: ScenarioResult): Promise<void> {
  const r = ctx.report;
  const checks = result.checks;
  r.section(1, 'Oversized upload', `${EXAMPLE}: a pod writes ${formatBytes(ctx.size)} and uploads it through the coordinator with argo-oss upload.`);
  const { src, partSize, partCount, repo } = await uploadOnce(ctx, checks);

  // A second run of the workflow: its upload dies midway (SIGKILL: an OOM kill, a node going away)
  // and the example's retry loop runs the same command again.
  const second = await startRun(ctx, repo);
  const key = uploadKey(second.run);
  const flags = exampleFlags(second.run);
  const concurrency = Number(flags[1] ?? 8);
  let killPartSize = partSize;
  const extra: string[] = [];
  if (partCount < MIN_PARTS_FOR_KILL) {
    killPartSize = Math.max(MiB, Math.floor(ctx.size / MIN_PARTS_FOR_KILL / MiB) * MiB);
    extra.push('--part-size', String(killPartSize));
  }
  const parts = partCountFor(ctx.size, killPartSize);
  // At least four waves of parts, so that the kill lands between two of them.
  const c2 = Math.max(1, Math.min(concurrency, Math.floor(parts / 4)));
  const latencyMs = Math.min(1000, Math.ceil(4000 / Math.ceil(parts / c2)));
  r.step(`second run, workflow argo/${second.run.podName}: ${formatBytes(ctx.size)} → ${key}, killed midway`);
  if (extra.length) r.info(`(${formatBytes(ctx.size)} is only ${partCount} default part${partCount === 1 ? '' : 's'}: this run asks for ${formatBytes(killPartSize)} parts, ${parts} of them)`);
  r.info(`the local OSS server delays each UploadPart of this key by ${latencyMs} ms (a fault set through its admin API) and ${c2} parts go at a time, so that the kill lands midway`);
  const fault = await callJson(`${ctx.stack.ossEndpoint}/_argo-oss/faults`, { method: 'POST', body: { match: { operation: 'UploadPart', key }, count: -1, latencyMs } });
  if (fault.status !== 201) throw new DemoError(`cannot slow the OSS server down: HTTP ${fault.status} ${JSON.stringify(fault.body)}`);
  let killedAt = 0;
  let killedId: string | undefined;
  let killed: Awaited<UploadRun['done']>;
  try {
    const attempt = runUpload(ctx, second.pod, src.path, key, ['--concurrency', String(c2), ...extra]);
    const target = Math.max(1, Math.floor(parts / 3));
    let exited = false;
    void attempt.done.then(() => (exited = true));
    while (!exited && !ctx.signal.aborted) {
      const seen = await partsInOss(ctx, key);
      killedId = seen.uploadId;
      if (seen.parts >= target) {
        attempt.child.kill('SIGKILL');
        break;
      }
      await sleep(50);
    }
    killed = await attempt.done;
    killedAt = await settledParts(ctx, key);
  } finally {
    await callJson(`${ctx.stack.ossEndpoint}/_argo-oss/faults/${encodeURIComponent(String(fault.body?.id))}`, { method: 'DELETE' });
  }
  r.check(checks, 'the upload is killed midway (SIGKILL) with parts already in OSS', killed.signal === 'SIGKILL' && killedAt > 0 && killedAt < parts, `signal ${killed.signal ?? 'none'}, ${killedAt} of ${parts} parts in OSS`);

  r.step('attempt 2: the same command again, at full speed (the example retries it in the same pod)');
  const again = await runUpload(ctx, second.pod, src.path, key, [...flags, ...extra]).done;
  const s = again.summary;
  r.check(
    checks,
    'the second attempt resumes the same upload',
    again.code === 0 && s?.resumed === true && s.uploadId === killedId && s.verified === true,
    s ? `upload ${s.uploadId}${s.uploadId === killedId ? '' : ` (the killed one was ${killedId})`}; ${describeSummary(s)}` : `exit ${again.code ?? again.signal}`,
  );
  r.check(
    checks,
    'it re-verifies the parts in OSS against the file and sends only the rest',
    !!s && s.partsReused >= killedAt && s.partsReused + s.partsUploaded === parts,
    s ? `${s.partsReused} reused (the ${killedAt} in OSS after the kill) + ${s.partsUploaded} sent = ${parts}` : 'no summary',
  );
  const v = await verifyObject(ctx, key, src);
  r.check(checks, 'OSS holds the second object with the same size and CRC-64', v.ok, v.detail);
  const open = await partsInOss(ctx, key);
  r.check(checks, 'no multipart upload is left open', open.uploadId === undefined, open.uploadId ? `upload ${open.uploadId} is still open` : undefined);
  if (again.code === 0) await completeRun(ctx, second.run, repo);

  result.summary = `${formatBytes(ctx.size)} as ${partCount} × ${formatBytes(partSize)}, CRC-64 verified; killed at ${killedAt}/${parts} parts, resumed (${s?.partsReused ?? '?'} reused)`;
}

function describeSummary(s: UploadJson): string {
  const rate = s.seconds > 0 ? `, ${formatBytes(s.size / s.seconds)}/s` : '';
  return `${s.key}: ${formatBytes(s.size)}, ${s.parts} parts (${s.partsUploaded} sent, ${s.partsReused} reused), CRC-64 ${s.crc64}, ${s.seconds} s${rate}`;
}

/** Generates the source file in the work dir, once per run (scenario 3 reuses it when it runs alone). */
let generated: SourceFile | undefined;
export async function prepareSource(ctx: DemoContext): Promise<SourceFile> {
  if (generated) return generated;
  const path = join(ctx.workDir, 'model.bin');
  await checkDisk(ctx);
  ctx.report.step(`generating ${formatBytes(ctx.size)} of pseudo-random bytes (streamed to disk, hashed on the way): ${path}`);
  generated = await generateFile(path, ctx.size, randomBytes(16).toString('hex'), (line) => ctx.report.info(line), ctx.signal);
  return generated;
}

export async function removeSource(): Promise<void> {
  if (generated) await rm(generated.path, { force: true });
  generated = undefined;
}

/** The file, plus two objects of its size in the OSS data dir (parts are hard-linked on complete). */
async function checkDisk(ctx: DemoContext): Promise<void> {
  const ossDir = ctx.stack.dataDir;
  const same = (await stat(ctx.workDir)).dev === (await stat(ossDir)).dev;
  const margin = 256 * MiB;
  const needs: Array<[string, number]> = same ? [[ctx.workDir, 3 * ctx.size + margin]] : [[ctx.workDir, ctx.size + margin], [ossDir, 2 * ctx.size + margin]];
  for (const [dir, bytes] of needs) {
    const free = await freeBytes(dir);
    if (free < bytes) throw new DemoError(`not enough disk: ${formatBytes(bytes)} needed in ${dir} (the file${same ? ' and two uploaded copies' : ''}), ${formatBytes(free)} free; use a smaller --size or --work-dir elsewhere`);
  }
}

