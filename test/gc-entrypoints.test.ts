// The GC's three front doors over the same core: the FC event handler (EventBridge + timer payloads
// as Buffers), the local gateway's POST /events and POST /reconcile, and `argo-oss gc`.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LOCAL_DEFAULT_CREDENTIALS } from '../local/defaults';
import { startLocalStack, type LocalStack } from '../local/stack';
import { createOssClient, objectExists, putObject, type OssClient } from '../shared/oss';
import { runCli } from './helpers/cli';
import { kubeEvent, NAMESPACED_KEY_PREFIX, workflow } from './helpers/gc';
import type { Workflow } from '../shared/argo';

describe('artifact GC entry points', () => {
  let dir: string;
  let stack: LocalStack;
  let oss: OssClient;
  const quiet = (_line: string) => undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'argo-oss-gc-'));
    stack = await startLocalStack({
      dataDir: dir,
      ports: { gateway: 0, oss: 0, cluster: 0 },
      credential: { ...LOCAL_DEFAULT_CREDENTIALS },
      region: 'cn-hangzhou',
      bucket: 'argo-artifacts',
      adminToken: 'local-admin',
      env: { ARGO_OSS_GC_STALE_UPLOAD_HOURS: '0', ARGO_OSS_WORKFLOW_KEY_PREFIX: NAMESPACED_KEY_PREFIX },
      log: quiet,
    });
    oss = createOssClient({ bucket: 'argo-artifacts', region: 'cn-hangzhou', endpoint: stack.env.OSS_ENDPOINT, credentials: { ...LOCAL_DEFAULT_CREDENTIALS } });
  });
  afterAll(async () => {
    oss?.close();
    await stack?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const deploy = async (wf: Workflow, keys: string[]) => {
    await writeFile(join(dir, 'cluster', 'workflows', `${wf.metadata.namespace}.${wf.metadata.name}.yaml`), stringify(wf));
    for (const k of keys) await putObject(oss, k, 'x');
  };
  const post = async (path: string, body?: string, token: string | null = 'local-admin') => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(token !== null ? { authorization: `Bearer ${token}` } : {}) };
    const res = await fetch(`${stack.gateway.url}${path}`, { method: 'POST', headers, ...(body !== undefined ? { body } : {}) });
    return { status: res.status, body: (await res.json()) as any };
  };

  it('serves POST /events and POST /reconcile on the local gateway', async () => {
    const info = (await (await fetch(stack.gateway.url)).json()) as { functions: Array<{ name: string; prefix: string }> };
    expect(info.functions.filter((f) => f.name === 'artifact-gc').map((f) => f.prefix).sort()).toEqual(['/events', '/reconcile']);
    const wf = workflow({ name: 'gw', strategy: 'OnWorkflowCompletion', artifacts: [{ name: 'out', key: 'argo/gw/p/out.tgz' }, { name: 'later', key: 'argo/gw/p/later.tgz', strategy: 'OnWorkflowDeletion' }] });
    await deploy(wf, ['argo/gw/p/out.tgz', 'argo/gw/p/later.tgz']);

    const dry = await post('/events?dryRun=true', JSON.stringify([kubeEvent(wf)]));
    expect(dry).toMatchObject({ status: 200, body: { dryRun: true, planned: 1, deleted: 0 } });
    const r = await post('/events', JSON.stringify(kubeEvent(wf)));
    expect(r).toMatchObject({ status: 200, body: { deleted: 1, deferred: 1, events: { received: 1, handled: 1 } } });
    expect(await objectExists(oss, 'argo/gw/p/out.tgz')).toBe(false);

    await rm(join(dir, 'cluster', 'workflows', 'argo.gw.yaml'));
    const rec = await post('/reconcile');
    expect(rec).toMatchObject({ status: 200, body: { deleted: 1, workflows: { deletionsDetected: 1 } } });
    expect(await objectExists(oss, 'argo/gw/p/later.tgz')).toBe(false);
  });

  it('requires the admin token on /events and /reconcile, before reading the body (issue 10, F9)', async () => {
    const wf = workflow({ name: 'forged', strategy: 'OnWorkflowCompletion', artifacts: [{ name: 'out', key: 'argo/forged/p/out.tgz' }] });
    await deploy(wf, ['argo/forged/p/out.tgz']);
    const forged = JSON.stringify({ specversion: '1.0', id: 'x', source: 'attacker', type: 'argo-oss-artifacts.workflow.deleted', data: wf });
    for (const token of [null, 'wrong', 'local-admin-but-longer', 'team-a-user-token']) {
      for (const path of ['/events', '/reconcile']) {
        const r = await post(path, forged, token);
        expect(r, `${path} with ${token}`).toMatchObject({ status: 401, body: { error: { code: 'Unauthorized' } } });
      }
    }
    expect(await objectExists(oss, 'argo/forged/p/out.tgz')).toBe(true);
    // Refused on the headers alone: a body announced but never sent is not waited for.
    const early = await new Promise<{ status?: number; auth?: string }>((resolve, reject) => {
      const req = httpRequest(`${stack.gateway.url}/events`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(32 * 1024 * 1024) } }, (res) => {
        res.resume();
        resolve({ status: res.statusCode, auth: res.headers['www-authenticate'] });
        req.destroy();
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(early).toEqual({ status: 401, auth: expect.stringMatching(/^Bearer/) });
    // The other functions keep their own authentication: the gateway does not demand the admin token there.
    expect((await fetch(`${stack.gateway.url}/uploads`, { method: 'POST', body: '{}' })).status).toBe(401);
    expect((await fetch(`${stack.gateway.url}/healthz`)).status).toBe(200);
  });

  it('validates the gateway requests and names the field', async () => {
    expect(await post('/events', '{not json')).toMatchObject({ status: 400, body: { error: { code: 'InvalidJson', field: 'body' } } });
    expect(await post('/events')).toMatchObject({ status: 400, body: { error: { field: 'body' } } });
    expect(await post('/events', '42')).toMatchObject({ status: 400, body: { error: { field: 'body' } } });
    expect(await post('/events?dryRun=maybe', '{}')).toMatchObject({ status: 400, body: { error: { field: 'dryRun' } } });
    expect(await post('/reconcile', '{"dry":true}')).toMatchObject({ status: 400, body: { error: { field: 'dry' } } });
    expect(await post('/reconcile', '{"dryRun":"yes"}')).toMatchObject({ status: 400, body: { error: { field: 'dryRun' } } });
    expect((await fetch(`${stack.gateway.url}/events`, { headers: { authorization: 'Bearer local-admin' } })).status).toBe(405);
    // A foreign CloudEvent is acknowledged, not an error.
    expect(await post('/events', JSON.stringify({ specversion: '1.0', id: '1', source: 'acs.oss', type: 'oss:ObjectCreated:PutObject', data: {} }))).toMatchObject({
      status: 200,
      body: { events: { received: 1, ignored: 1 } },
    });
  });

  it('runs as the FC event handler for EventBridge and timer payloads, logging JSON lines', async () => {
    Object.assign(process.env, { ...stack.env, ARGO_OSS_GC_STALE_UPLOAD_HOURS: '0', ARGO_OSS_WORKFLOW_KEY_PREFIX: NAMESPACED_KEY_PREFIX });
    const { handler } = await import('../functions/artifact-gc/index');
    const wf = workflow({ name: 'fc', strategy: 'OnWorkflowCompletion', artifacts: [{ name: 'out', key: 'argo/fc/p/out.tgz' }] });
    await deploy(wf, ['argo/fc/p/out.tgz']);
    const ctx = { requestId: 'req-1', credentials: { accessKeyId: LOCAL_DEFAULT_CREDENTIALS.accessKeyId, accessKeySecret: LOCAL_DEFAULT_CREDENTIALS.accessKeySecret } };
    // FC collects stdout: one JSON object per line.
    const logged: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logged.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    });
    try {
      const s = await handler(Buffer.from(JSON.stringify([kubeEvent(wf)])), ctx);
      expect(s).toMatchObject({ deleted: 1, events: { received: 1, handled: 1 } });
      expect(await objectExists(oss, 'argo/fc/p/out.tgz')).toBe(false);
      // Timer trigger → reconcile.
      const timer = await handler(Buffer.from(JSON.stringify({ triggerTime: new Date().toISOString(), triggerName: 'reconcile', payload: '{"action":"reconcile"}' })), ctx);
      expect(timer.workflows?.listed).toBeGreaterThan(0);
      // Malformed payloads are logged and acknowledged.
      expect(await handler(Buffer.from('not json'), ctx)).toMatchObject({ events: { malformed: 1 }, errors: [] });
    } finally {
      spy.mockRestore();
    }
    const records = logged.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.find((r) => r.action === 'delete')).toMatchObject({ requestId: 'req-1', key: 'argo/fc/p/out.tgz', result: 'ok' });
    expect(records.filter((r) => r.msg === 'gc run done')).toHaveLength(3);
    expect(records.find((r) => r.msg === 'event malformed')).toMatchObject({ level: 'warn', reason: expect.stringMatching(/not JSON/) });
  });

  it('argo-oss gc event and gc reconcile', async () => {
    const wf = workflow({ name: 'cli', strategy: 'OnWorkflowCompletion', artifacts: [{ name: 'out', key: 'argo/cli/p/out.tgz' }] });
    await deploy(wf, ['argo/cli/p/out.tgz']);
    const file = join(dir, 'event.json');
    await writeFile(file, JSON.stringify(kubeEvent(wf)));
    const env = { ...stack.env, ARGO_OSS_GC_STALE_UPLOAD_HOURS: '0', ARGO_OSS_WORKFLOW_KEY_PREFIX: NAMESPACED_KEY_PREFIX };

    const dry = await runCli(['gc', 'event', file, '--dry-run', '--json', '--quiet'], env);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, planned: 1, deleted: 0 });
    expect(await objectExists(oss, 'argo/cli/p/out.tgz')).toBe(true);

    const real = await runCli(['gc', 'event', file], env);
    expect(real.code).toBe(0);
    expect(real.stdout).toMatch(/planned 1, deleted 1 \(1 object\)/);
    expect(real.stdout).toMatch(/delete\s+argo\/cli cli-1\/out argo\/cli\/p\/out.tgz/);
    expect(real.stderr).toMatch(/"action":"delete"/);
    expect(await objectExists(oss, 'argo/cli/p/out.tgz')).toBe(false);

    const rec = await runCli(['gc', 'reconcile', '--json', '--quiet'], env);
    expect(rec.code).toBe(0);
    expect(JSON.parse(rec.stdout)).toMatchObject({ errors: [], workflows: { listed: expect.any(Number) } });

    const usage = await runCli(['gc', 'event'], env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/event needs FILE/);
    expect((await runCli(['gc', 'reconcile'], { ...env, ARGO_OSS_GC_WHEN: 'Sometimes' })).stderr).toMatch(/ARGO_OSS_GC_WHEN/);
    // Six CLI processes started from the sources: seconds of CPU each, minutes of wall time on a loaded
    // machine. The limit only catches a hang (test/helpers/cli.ts).
  }, 600_000);
});
