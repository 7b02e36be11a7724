// What `npm run build` ships, driven once each against the local stack exactly as Function Compute
// runs it: every bundle copied away from node_modules and run by plain `node` in a child process.
//   upload-coordinator: handler(Buffer of an HTTP-trigger event, context with role credentials)
//   artifact-gc:        handler(Buffer of a CloudEvent batch, context)
//   artifact-download:  `node index.js` (the custom runtime's command) listening on FC_CUSTOM_LISTEN_PORT
//   cli (plugin):       `node argo-oss.cjs plugin SOCKET` (the plugin image's ENTRYPOINT) over gRPC
import { execFile, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../local/stack';
import { LOCAL_DEFAULT_BUCKET, LOCAL_DEFAULT_CREDENTIALS, LOCAL_DEFAULT_REGION } from '../local/defaults';
import { createOssClient, objectExists, putObject, type OssClient } from '../shared/oss';
import { kubeEvent, NAMESPACED_KEY_PREFIX, workflow } from './helpers/gc';
import { artifact, artifactClient, pluginConfiguration } from './helpers/artifact-plugin';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;

/** Calls `handler(Buffer.from(event), context)` of a CommonJS bundle in a fresh `node`, returning its JSON result. */
async function invokeBundle(dir: string, event: unknown, env: Record<string, string>): Promise<unknown> {
  const script =
    "const { handler } = require('./index.js');" +
    "const ctx = { requestId: 'bundle-test', credentials: JSON.parse(process.env.TEST_CREDENTIALS) };" +
    'handler(Buffer.from(process.argv[1]), ctx).then((r) => process.stdout.write("\\nRESULT " + JSON.stringify(r) + "\\n"), (e) => { console.error(e); process.exit(1); });';
  const { stdout } = await run(process.execPath, ['-e', script, JSON.stringify(event)], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', ...env, TEST_CREDENTIALS: JSON.stringify(LOCAL_DEFAULT_CREDENTIALS) },
    timeout: 60_000,
  });
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`no result from the bundle:\n${stdout}`);
  return JSON.parse(line.slice('RESULT '.length));
}

describe('function bundles from npm run build, against the local stack', () => {
  let out: string;
  let isolated: string;
  let stack: LocalStack;
  let oss: OssClient;
  let env: Record<string, string>;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'argo-oss-dist-'));
    isolated = await mkdtemp(join(tmpdir(), 'argo-oss-bundles-'));
    await run(process.execPath, [join(root, 'scripts/build.mjs'), out], { cwd: root, timeout: 120_000 });
    // Each function folder is deployed as is: copy it where no node_modules can be found.
    for (const fn of ['upload-coordinator', 'artifact-gc', 'artifact-download', 'cli']) await cp(join(out, fn), join(isolated, fn), { recursive: true });
    stack = await startLocalStack({
      dataDir: join(isolated, 'stack'),
      ports: { gateway: 0, oss: 0, cluster: 0 },
      credential: LOCAL_DEFAULT_CREDENTIALS,
      region: LOCAL_DEFAULT_REGION,
      bucket: LOCAL_DEFAULT_BUCKET,
    });
    // The bundles read only what FC would give them: OSS settings and the cluster's kubeconfig.
    env = { OSS_ENDPOINT: stack.env.OSS_ENDPOINT, OSS_REGION: stack.env.OSS_REGION, OSS_BUCKET: stack.env.OSS_BUCKET, KUBECONFIG: stack.env.KUBECONFIG };
    oss = createOssClient({ bucket: LOCAL_DEFAULT_BUCKET, region: LOCAL_DEFAULT_REGION, endpoint: stack.env.OSS_ENDPOINT, credentials: LOCAL_DEFAULT_CREDENTIALS });
  }, 180_000);

  afterAll(async () => {
    oss?.close();
    await stack?.close();
    await rm(out, { recursive: true, force: true });
    await rm(isolated, { recursive: true, force: true });
  });

  it('upload-coordinator: an HTTP-trigger event starts an upload with the role credentials from the context', async () => {
    const body = Buffer.from(JSON.stringify({ key: 'bundles/coordinated.bin', size: 1024 })).toString('base64');
    const event = {
      version: 'v1',
      rawPath: '/uploads',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${stack.kube.adminToken}` },
      queryParameters: {},
      body,
      isBase64Encoded: true,
      requestContext: { requestId: 'r1', http: { method: 'POST', path: '/uploads', protocol: 'HTTP/1.1', sourceIp: '10.0.0.1', userAgent: 'test' } },
    };
    const r = (await invokeBundle(join(isolated, 'upload-coordinator'), event, env)) as { statusCode: number; body: string; isBase64Encoded: boolean };
    const text = r.isBase64Encoded ? Buffer.from(r.body, 'base64').toString() : r.body;
    expect(r.statusCode, text).toBe(201);
    expect(JSON.parse(text)).toMatchObject({ key: 'bundles/coordinated.bin', size: 1024 });
  });

  it('artifact-gc: a kube-eventer completion event deletes exactly the OnWorkflowCompletion artifact', async () => {
    const wf = workflow({
      name: 'bundle-gc',
      strategy: 'OnWorkflowDeletion',
      artifacts: [
        { name: 'done', key: 'argo/bundle-gc/p/done.txt', strategy: 'OnWorkflowCompletion' },
        { name: 'kept', key: 'argo/bundle-gc/p/kept.txt' },
      ],
    });
    await mkdir(join(isolated, 'stack/cluster/workflows'), { recursive: true });
    await writeFile(join(isolated, 'stack/cluster/workflows/bundle-gc.yaml'), stringify(wf));
    for (const key of ['argo/bundle-gc/p/done.txt', 'argo/bundle-gc/p/kept.txt']) await putObject(oss, key, key);
    const summary = await invokeBundle(join(isolated, 'artifact-gc'), [kubeEvent(wf)], { ...env, ARGO_OSS_WORKFLOW_KEY_PREFIX: NAMESPACED_KEY_PREFIX });
    expect(summary).toMatchObject({ deleted: 1, events: { received: 1, handled: 1 } });
    expect(await objectExists(oss, 'argo/bundle-gc/p/done.txt')).toBe(false);
    expect(await objectExists(oss, 'argo/bundle-gc/p/kept.txt')).toBe(true);
  });

  it('artifact-download: `node index.js` listens on FC_CUSTOM_LISTEN_PORT and streams an artifact with the caller\'s token', async () => {
    const wf = workflow({ name: 'bundle-dl', artifacts: [{ name: 'report', key: 'argo/bundle-dl/p/report.txt' }] });
    await writeFile(join(isolated, 'stack/cluster/workflows/bundle-dl.yaml'), stringify(wf));
    await putObject(oss, 'argo/bundle-dl/p/report.txt', 'streamed from the bundle\n');
    const nodeId = Object.keys(wf.status?.nodes ?? {})[0];
    const child = spawn(process.execPath, ['index.js'], {
      cwd: join(isolated, 'artifact-download'),
      // A web function has no invocation context: credentials come from the environment here (inside
      // FC, from per-request x-fc-* headers: test/download-function.test.ts).
      env: {
        PATH: process.env.PATH ?? '',
        ...env,
        FC_CUSTOM_LISTEN_PORT: '0',
        OSS_ACCESS_KEY_ID: LOCAL_DEFAULT_CREDENTIALS.accessKeyId,
        OSS_ACCESS_KEY_SECRET: LOCAL_DEFAULT_CREDENTIALS.accessKeySecret,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let err = '';
        child.stderr.on('data', (c: Buffer) => {
          err += c.toString();
          const m = /listening on :(\d+)/.exec(err);
          if (m) resolve(Number(m[1]));
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
      });
      const url = `http://127.0.0.1:${port}/artifacts/${wf.metadata.namespace}/bundle-dl/${nodeId}/report`;
      const res = await fetch(url, { headers: { authorization: `Bearer ${stack.kube.adminToken}` } });
      expect(res.status, res.status === 200 ? '' : await res.clone().text()).toBe(200);
      expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
      expect(await res.text()).toBe('streamed from the bundle\n');
      expect((await fetch(url)).status).toBe(401);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('cli: `node argo-oss.cjs plugin SOCKET` serves the artifact-driver API from the bundle alone (Save, then Load)', async () => {
    const socket = join(isolated, 'plugin', 'socket');
    const child = spawn(process.execPath, ['argo-oss.cjs', 'plugin', socket], {
      cwd: join(isolated, 'cli'),
      env: { PATH: process.env.PATH ?? '', ARGO_OSS_TOKEN: stack.kube.adminToken },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    const client = artifactClient(socket);
    try {
      await new Promise<void>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          if (out.includes('serving unix://')) resolve();
        });
        void exited.then((code) => reject(new Error(`exited ${code}`)));
      });
      const configuration = pluginConfiguration({ coordinator: stack.gateway.url, bucket: LOCAL_DEFAULT_BUCKET, endpoint: stack.env.OSS_ENDPOINT });
      const src = join(isolated, 'plugin', 'out.txt');
      await writeFile(src, 'saved by the bundled plugin\n');
      expect(await client.call('Save', { path: src, output_artifact: artifact('bundle-plugin/p/out.txt', configuration) })).toEqual({ success: true, error: '' });
      const dest = join(isolated, 'plugin', 'in', 'out.txt.tmp');
      expect(await client.call('Load', { input_artifact: artifact('bundle-plugin/p/out.txt', configuration), path: dest })).toEqual({ success: true, error: '' });
      expect(await readFile(dest, 'utf8')).toBe('saved by the bundled plugin\n');
    } finally {
      client.close();
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
