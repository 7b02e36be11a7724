// The example `argo-oss local` seeds at its first start, so there is something to browse at once: a
// completed Workflow `argo/hello-artifacts` whose node has a file artifact, a directory artifact, a
// .tgz artifact (Argo's default archive) and its archived logs, in the cluster directory as the Argo
// controller would have left it (status.nodes[…].outputs.artifacts) and in OSS under namespaced keys
// (<namespace>/<workflow>/<pod>/…). Seeded once: a marker in the data dir remembers it, so deleting
// the example (or letting GC reclaim it) is not undone at the next start.
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { deflateSync, gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { stringify } from 'yaml';
import { crc32 } from '../shared/crc32';
import { putObject, type OssClient } from '../shared/oss';

export const EXAMPLE = {
  namespace: 'argo',
  workflow: 'hello-artifacts',
  nodeId: 'hello-artifacts-2718281828',
  pod: 'hello-artifacts-main-2718281828',
} as const;

const MARKER = 'example-seeded';

/** A real PNG (8-bit RGB, no filter, one IDAT) of a colour gradient. */
export function gradientPng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([head, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) raw.set([(x * 255) / width, (y * 255) / height, 160], y * (width * 3 + 1) + 1 + x * 3);
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

async function tgz(files: Array<[string, string | Buffer]>, dirs: string[]): Promise<Buffer> {
  const p = pack();
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((resolve, reject) => {
    out.on('end', resolve);
    out.on('error', reject);
  });
  (p as unknown as NodeJS.ReadableStream).pipe(out);
  for (const d of dirs) p.entry({ name: d, type: 'directory', mode: 0o755 });
  for (const [name, body] of files) p.entry({ name, mode: 0o644 }, body);
  p.finalize();
  await ended;
  return gzipSync(Buffer.concat(chunks));
}

/** The example's objects: key below the pod prefix → bytes. */
export async function exampleObjects(): Promise<Map<string, Buffer>> {
  const epochs = Array.from({ length: 20 }, (_, i) => i + 1);
  const metrics = ['epoch,loss,accuracy,learning_rate', ...epochs.map((e) => `${e},${(1.2 / (e + 1)).toFixed(4)},${(0.55 + 0.4 * (1 - 1 / e)).toFixed(4)},0.001`)].join('\n') + '\n';
  const log = epochs.map((e) => `2024-05-01T12:${String(e).padStart(2, '0')}:00Z epoch ${e}/20 loss=${(1.2 / (e + 1)).toFixed(4)}`).join('\n');
  return new Map<string, Buffer>([
    ['message.txt', Buffer.from('hello from argo-oss-artifacts: this file is the `message` artifact\n')],
    ['results/metrics.csv', Buffer.from(metrics)],
    ['results/loss-curve.png', gradientPng(320, 160)],
    ['results/README.md', Buffer.from('# Results\n\nA seeded example of a **directory artifact** (`archive: none`).\n\n- `metrics.csv`: one row per epoch\n- `loss-curve.png`: an image preview\n- `logs/train.log`: the training log\n\nDownload the whole folder as `.zip` or `.tar.gz` from the listing.\n')],
    ['results/config.json', Buffer.from(JSON.stringify({ model: 'example', epochs: 20, optimizer: { name: 'adam', lr: 0.001 }, layers: [128, 64, 10] }))],
    ['results/logs/train.log', Buffer.from(`${log}\nWARNING: example warning line\ntraining finished\n`)],
    [
      'bundle.tgz',
      await tgz(
        [
          ['bundle/report.csv', 'section,status\nupload,ok\ngc,ok\ndownload,ok\n'],
          ['bundle/logs/run.log', 'started\nfinished\n'],
        ],
        ['bundle/', 'bundle/logs/'],
      ),
    ],
    ['main.log', Buffer.from('time="2024-05-01T12:00:00Z" level=info msg="starting"\ntime="2024-05-01T12:20:00Z" level=info msg="done"\n')],
  ]);
}

/** The OSS key of one of the example's objects (`results` is the directory artifact's key). */
export function exampleKey(below: string): string {
  return `${EXAMPLE.namespace}/${EXAMPLE.workflow}/${EXAMPLE.pod}/${below}`;
}

/** The completed Workflow as the controller leaves it, pointing at `bucket`. */
export function exampleWorkflow(bucket: string): object {
  const { namespace, workflow, nodeId } = EXAMPLE;
  const key = exampleKey;
  const outputs = [
    { name: 'message', path: '/tmp/message.txt', archive: { none: {} }, oss: { key: key('message.txt') } },
    { name: 'results', path: '/tmp/results', archive: { none: {} }, oss: { key: key('results') } },
    { name: 'bundle', path: '/tmp/bundle', oss: { key: key('bundle.tgz') } },
    { name: 'main-logs', oss: { key: key('main.log') } },
  ];
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { name: workflow, namespace, labels: { 'workflows.argoproj.io/completed': 'true', 'workflows.argoproj.io/phase': 'Succeeded' } },
    spec: {
      entrypoint: 'main',
      templates: [
        {
          name: 'main',
          container: { image: 'alpine:3.20', command: ['sh', '-c', 'echo seeded by argo-oss local'] },
          outputs: { artifacts: outputs.filter((o) => o.name !== 'main-logs').map(({ oss: _o, ...a }) => a) },
        },
      ],
    },
    status: {
      phase: 'Succeeded',
      startedAt: '2024-05-01T12:00:00Z',
      finishedAt: '2024-05-01T12:20:00Z',
      artifactRepositoryRef: { artifactRepository: { oss: { bucket, keyFormat: '{{workflow.namespace}}/{{workflow.name}}/{{pod.name}}' } } },
      nodes: {
        [nodeId]: {
          id: nodeId,
          name: workflow,
          displayName: workflow,
          type: 'Pod',
          templateName: 'main',
          phase: 'Succeeded',
          startedAt: '2024-05-01T12:00:00Z',
          finishedAt: '2024-05-01T12:20:00Z',
          outputs: { artifacts: outputs },
        },
      },
    },
  };
}

/** Paths of the example on the gateway (listing of the directory artifact, file, archive). */
export function examplePaths(): { results: string; message: string; bundle: string } {
  const base = `/artifact-files/${EXAMPLE.namespace}/workflows/${EXAMPLE.workflow}/${EXAMPLE.nodeId}/outputs`;
  return { results: `${base}/results/`, message: `${base}/message?view=1`, bundle: `${base}/bundle/` };
}

export interface SeedResult {
  /** The example exists in the cluster directory (seeded now or earlier, and not removed). */
  present: boolean;
  seeded: boolean;
  manifest: string;
}

const exists = (p: string) => access(p).then(() => true, () => false);

/** Seeds the example once (objects, then the manifest); later starts only report whether it is there. */
export async function seedExample(o: { oss: OssClient; bucket: string; dataDir: string; clusterDir: string }): Promise<SeedResult> {
  const manifest = join(o.clusterDir, 'workflows', `${EXAMPLE.namespace}.${EXAMPLE.workflow}.yaml`);
  if (await exists(join(o.dataDir, MARKER))) return { present: await exists(manifest), seeded: false, manifest };
  for (const [k, body] of await exampleObjects()) {
    await putObject(o.oss, exampleKey(k), body);
  }
  await mkdir(join(o.clusterDir, 'workflows'), { recursive: true });
  if (!(await exists(manifest))) {
    await writeFile(manifest, `# Seeded by 'argo-oss local' (once): a completed Workflow as the Argo controller leaves it.\n# Delete this file to delete the Workflow; it is not re-created.\n${stringify(exampleWorkflow(o.bucket))}`);
  }
  await writeFile(join(o.dataDir, MARKER), `${new Date().toISOString()}\n`);
  return { present: true, seeded: true, manifest };
}
