// Tenant isolation of the upload coordinator (issue 10: F1, F2, F3, F12, F13) on the local stack with
// the real ali-oss and @kubernetes/client-node clients, on the two-tenant cluster of
// test/helpers/tenants.ts: team-a and team-b each run a workflow `same`; team-a also holds pods that
// claim team-b's workflows by label, by ownerReference and by forged uid. Every path (start, resume,
// sign, state, complete, abort, limits) refuses the other tenant, and each tenant still uploads its own.
// The coordinator reads the cluster with its own least-privilege identity (examples/rbac.yaml).
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { crc64 } from '../shared/crc64';
import { AuditLog } from '../shared/gc/audit';
import { abortStaleUploads } from '../shared/gc/stale-uploads';
import { getObject, headObject, listObjectsPage } from '../shared/oss';
import { OWNER_META, recordedOwner } from '../shared/tenancy';
import type { SignedPart, StartUploadResponse } from '../shared/upload/protocol';
import { startGateway } from '../local/gateway';
import type { TokenSpec } from '../local/kube-api';
import { workflowManifest, workflowPodManifest } from '../local/kube-api/argo-objects';
import { runCli } from './helpers/cli';
import { startTestCoordinator, type ApiResult, type TestCoordinator } from './helpers/coordinator';
import { seedTenants, TEAM_A, TEAM_B, type Tenants } from './helpers/tenants';

const KB100 = 100 * 1024;
const md5 = (b: Buffer) => createHash('md5').update(b).digest('base64');

/** The ClusterRole of examples/rbac.yaml: the functions' own least-privilege identity. */
async function functionRules(): Promise<TokenSpec['rules']> {
  const docs = parseAllDocuments(await readFile(join(import.meta.dirname, '..', 'examples', 'rbac.yaml'), 'utf8')).map((d) => d.toJS());
  const role = docs.find((d) => d?.kind === 'ClusterRole');
  return role.rules.map((r: { apiGroups: string[]; resources: string[]; verbs: string[] }) => ({ apiGroups: r.apiGroups, resources: r.resources, verbs: r.verbs }));
}

/** Starts an upload of `data` in one or more parts, PUTs every part to its presigned URL, completes it. */
async function uploadAll(c: TestCoordinator, token: string, key: string, data: Buffer, extra: Record<string, unknown> = {}) {
  const s = await c.api<StartUploadResponse>('POST', '/uploads', { token, body: { key, size: data.length, partSize: KB100, ...extra } });
  expect(s.status, JSON.stringify(s.body)).toBeLessThan(300);
  const parts = Array.from({ length: s.body.partCount! }, (_, i) => i + 1);
  const slice = (n: number) => data.subarray((n - 1) * KB100, Math.min(n * KB100, data.length));
  const signed = await c.api<{ parts: SignedPart[] }>('POST', `/uploads/${s.body.uploadId}/sign`, { token, body: { key, parts: parts.map((n) => ({ partNumber: n, md5: md5(slice(n)) })) } });
  expect(signed.status).toBe(200);
  for (const p of signed.body.parts) expect((await fetch(p.url, { method: 'PUT', headers: p.headers, body: slice(p.partNumber) })).status).toBe(200);
  const done = await c.api('POST', `/uploads/${s.body.uploadId}/complete`, { token, body: { key, crc64: crc64(data).toString() } });
  expect(done.status, JSON.stringify(done.body)).toBe(200);
  return { uploadId: s.body.uploadId, done };
}

/** The 404 of a missing upload, with the id and key taken out (it must not tell "someone else's" from "none"). */
const shape = (r: ApiResult, id: string, key: string) => ({ status: r.status, code: r.body?.error?.code, message: String(r.body?.error?.message).replaceAll(id, '<id>').replaceAll(key, '<key>') });

describe('upload isolation: two namespaces, namespaced keys (default)', () => {
  let c: TestCoordinator;
  let t: Tenants;

  beforeAll(async () => {
    c = await startTestCoordinator({ coordinatorRules: await functionRules() });
    t = await seedTenants(c.kube);
  });
  afterAll(() => c?.close());

  it('each tenant uploads its own artifact under <namespace>/same/; both coexist, each recording its owner', async () => {
    const dataA = randomBytes(2 * KB100 + 5);
    const dataB = randomBytes(KB100 + 9);
    await uploadAll(c, t.a.podToken, `${TEAM_A}/same/out.bin`, dataA, { meta: { stage: 'train' } });
    await uploadAll(c, t.b.podToken, `${TEAM_B}/same/out.bin`, dataB);
    expect((await getObject(c.oss, `${TEAM_A}/same/out.bin`)).body.equals(dataA)).toBe(true);
    expect((await getObject(c.oss, `${TEAM_B}/same/out.bin`)).body.equals(dataB)).toBe(true);
    const headA = await headObject(c.oss, `${TEAM_A}/same/out.bin`);
    expect(recordedOwner(headA.meta)).toEqual(t.a.workflow);
    expect(headA.meta.stage).toBe('train');
    expect(recordedOwner((await headObject(c.oss, `${TEAM_B}/same/out.bin`)).meta)).toEqual(t.b.workflow);
  });

  // The real `argo-oss upload` as a pod runs it (a child process: slow under load, hence the budget).
  for (const which of ['a', 'b'] as const) {
    it(`the real uploader in a pod of team-${which} writes its own key, verified, with the owner recorded`, async () => {
      const tenant = t[which];
      const dir = await mkdtemp(join(tmpdir(), 'iso-upload-'));
      try {
        const file = join(dir, `${tenant.namespace}.bin`);
        const data = randomBytes(300 * 1024);
        await writeFile(file, data);
        const key = `${tenant.namespace}/same/${tenant.pod.name}/model.bin`;
        const r = await runCli(['upload', file, '--key', key, '--part-size', '100KB', '--quiet'], { ...c.env, ARGO_OSS_TOKEN: tenant.podToken });
        expect(r.code, r.stderr).toBe(0);
        expect((await getObject(c.oss, key)).body.equals(data)).toBe(true);
        expect(recordedOwner((await headObject(c.oss, key)).meta)).toEqual(tenant.workflow);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }, 180_000);
  }

  it("a pod may not start an upload in the other namespace's key space, nor anywhere outside its own prefix", async () => {
    const before = await c.listUploads();
    for (const key of [`${TEAM_B}/same/x.bin`, `${TEAM_B}/only-b/x.bin`, 'same/x.bin', `${TEAM_A}/other/x.bin`, `${TEAM_A}/same`]) {
      const r = await c.api('POST', '/uploads', { token: t.a.podToken, body: { key, size: 10 } });
      expect(r.status, key).toBe(403);
      expect(r.body.error).toMatchObject({ code: 'Forbidden', field: 'key', details: { allowedPrefix: `${TEAM_A}/same/` } });
    }
    expect(await c.listUploads()).toEqual(before);
  });

  it('pods that claim a workflow they do not belong to are refused (403), whatever key they ask for', async () => {
    const before = await c.listUploads();
    const attempts: Array<[string, string, RegExp]> = [
      // No owner at all, only the label of team-b's workflow: the label is never trusted.
      [t.attackers.spoof, `${TEAM_A}/only-b/x`, /no controller ownerReference/],
      // Owned by team-b's workflow (name + uid): there is no such workflow in team-a.
      [t.attackers.foreignOwner, `${TEAM_A}/only-b/x`, /Workflow team-a\/only-b .* does not exist/],
      // Owner named `same` (team-a has one) but with team-b/same's uid: the uid decides.
      [t.attackers.forgedUid, `${TEAM_A}/same/x`, /Workflow team-a\/same .* does not exist/],
      // A GC task that claims team-a/same with team-b's uid.
      [t.attackers.forgedGcTask, `${TEAM_A}/same/x`, /does not exist/],
      // Genuine pods of team-a/same that no longer run.
      [t.attackers.finished, `${TEAM_A}/same/x`, /has finished \(Succeeded\)/],
      [t.attackers.deleting, `${TEAM_A}/same/x`, /is being deleted/],
    ];
    for (const [token, key, why] of attempts) {
      for (const k of [key, `${TEAM_B}/same/x`, `${TEAM_B}/only-b/x`]) {
        const r = await c.api('POST', '/uploads', { token, body: { key: k, size: 10 } });
        expect(r.status, `${why} ${k}`).toBe(403);
        expect(r.body.error.message).toMatch(why);
      }
    }
    expect(await c.listUploads()).toEqual(before);
  });

  it("an artifact-GC pod is identified through its task as its workflow's, but may not upload", async () => {
    const r = await c.api('POST', '/uploads', { token: t.a.gcPodToken, body: { key: `${TEAM_A}/same/gc.bin`, size: 10 } });
    expect(r.status).toBe(403);
    expect(r.body.error.message).toContain('artifact-GC pod');
    expect(r.body.error.message).toContain(`${TEAM_A}/same`);
  });

  it('a user token of either namespace is not a pod and may not upload', async () => {
    for (const token of [t.a.userToken, t.b.userToken]) {
      expect((await c.api('POST', '/uploads', { token, body: { key: `${TEAM_A}/same/u.bin`, size: 10 } })).status).toBe(403);
    }
  });

  it("sign, state, complete and abort of the other tenant's upload: 403 with its key, and with one's own key exactly the 404 of a missing upload", async () => {
    const keyB = `${TEAM_B}/same/pending.bin`;
    const up = await c.api<StartUploadResponse>('POST', '/uploads', { token: t.b.podToken, body: { key: keyB, size: 2 * KB100, partSize: KB100 } });
    expect(up.status).toBe(201);
    const id = up.body.uploadId;
    const calls = (uploadId: string, key: string): Array<[string, string, unknown]> => [
      ['POST', `/uploads/${uploadId}/sign`, { key, parts: [{ partNumber: 1 }] }],
      ['GET', `/uploads/${uploadId}?key=${encodeURIComponent(key)}`, undefined],
      ['POST', `/uploads/${uploadId}/complete`, { key }],
      ['DELETE', `/uploads/${uploadId}?key=${encodeURIComponent(key)}`, undefined],
    ];
    for (const [method, path, body] of calls(id, keyB)) expect((await c.api(method, path, { token: t.a.podToken, body })).status, `${method} ${path}`).toBe(403);
    const ownKey = `${TEAM_A}/same/pending.bin`;
    const fakeId = 'F'.repeat(id.length);
    const real = calls(id, ownKey);
    const fake = calls(fakeId, ownKey);
    for (let i = 0; i < real.length; i++) {
      const a = await c.api(real[i][0], real[i][1], { token: t.a.podToken, body: real[i][2] });
      const none = await c.api(fake[i][0], fake[i][1], { token: t.a.podToken, body: fake[i][2] });
      expect(a.status, real[i][1]).toBe(404);
      expect(shape(a, id, ownKey)).toEqual(shape(none, fakeId, ownKey));
    }
    // Untouched: still open, and team-b finishes it.
    const state = await c.api('GET', `/uploads/${id}?key=${encodeURIComponent(keyB)}`, { token: t.b.podToken });
    expect(state.status).toBe(200);
    expect(state.body.state).toBe('uploading');
    expect((await c.api('DELETE', `/uploads/${id}?key=${encodeURIComponent(keyB)}`, { token: t.b.podToken })).status).toBe(204);
  });

  it('callers may not set the owner record themselves: 400 naming the field, nothing started', async () => {
    const before = await c.listUploads();
    for (const name of [OWNER_META.namespace, OWNER_META.workflow, OWNER_META.uid, 'Argo-Oss-Workflow-Uid', 'argo-oss-anything']) {
      for (const token of [t.a.podToken, c.adminToken]) {
        const r = await c.api('POST', '/uploads', { token, body: { key: `${TEAM_A}/same/m.bin`, size: 10, meta: { [name]: t.b.workflow.uid } } });
        expect(r.status, name).toBe(400);
        expect(r.body.error.field).toBe(`meta.${name}`);
      }
    }
    expect(await c.listUploads()).toEqual(before);
  });

  it('a completed upload asked again: 200 for the same bytes, 409 (never 200) for a claim of other bytes', async () => {
    const key = `${TEAM_A}/same/twice.bin`;
    const data = randomBytes(KB100 + 1);
    const { uploadId, done } = await uploadAll(c, t.a.podToken, key, data);
    const again = (body: Record<string, unknown>) => c.api('POST', `/uploads/${uploadId}/complete`, { token: t.a.podToken, body: { key, ...body } });
    const same = await again({ crc64: crc64(data).toString() });
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ alreadyCompleted: true, crc64: done.body.crc64, size: data.length });
    const other = await again({ crc64: crc64(randomBytes(KB100 + 1)).toString() });
    expect(other.status).toBe(409);
    expect(other.body.error).toMatchObject({ code: 'ChecksumMismatch', details: { completed: true, objectCrc64: done.body.crc64 } });
    const wrongParts = await again({ parts: [{ partNumber: 1, etag: 'x' }] });
    expect(wrongParts.status).toBe(409);
    expect((await again({})).status).toBe(200);
    // …and team-b cannot learn about it through complete either.
    expect((await c.api('POST', `/uploads/${uploadId}/complete`, { token: t.b.podToken, body: { key: `${TEAM_B}/same/twice.bin` } })).status).toBe(404);
  });

  it('a re-created workflow (same namespace and name, new uid) does not inherit the old one\'s open upload', async () => {
    const wf = { namespace: TEAM_A, name: 'recreated', uid: '00000000-0000-4000-8000-00000000a001' };
    const podOf = async (uid: string, n: number) => {
      const pod = { name: `recreated-${n}`, uid: `00000000-0000-4000-8000-00000000b00${n}`, token: `recreated-pod-${n}` };
      await c.kube.writeWorkflow(workflowManifest({ ...wf, uid }));
      await c.kube.writePod(workflowPodManifest({ ...wf, uid }, pod));
      await c.kube.addTokens([{ token: pod.token, serviceAccount: { namespace: TEAM_A, name: 'default' }, pod: { name: pod.name, uid: pod.uid } }]);
      return pod.token;
    };
    const key = `${TEAM_A}/recreated/out.bin`;
    const body = { key, size: 10, fingerprint: 'same-file' };
    const first = await c.api<StartUploadResponse>('POST', '/uploads', { token: await podOf(wf.uid, 1), body });
    expect(first.status).toBe(201);
    const second = await c.api<StartUploadResponse>('POST', '/uploads', { token: await podOf('00000000-0000-4000-8000-00000000a002', 2), body });
    expect(second.status).toBe(201);
    expect(second.body.uploadId).not.toBe(first.body.uploadId);
    expect(second.body.resumed).toBe(false);
  });

  it('reads bodies only after authentication: an anonymous 32 MiB start is refused before its body arrives', async () => {
    const { hostname, port } = new URL(c.url);
    const answer = await new Promise<{ status: number; connection?: string }>((resolve, reject) => {
      const req = httpRequest({ host: hostname, port, method: 'POST', path: '/uploads', headers: { 'content-type': 'application/json', 'content-length': String(32 * 1024 * 1024) } }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
      });
      req.on('error', reject);
      req.write('{"key":"');
    });
    expect(answer).toEqual({ status: 401, connection: 'close' });
  });
});

describe('upload isolation: single-tenant mode (legacy {{workflow.name}}/ keys)', () => {
  let c: TestCoordinator;
  let t: Tenants;
  const warnings: string[] = [];

  beforeAll(async () => {
    c = await startTestCoordinator({ env: { ARGO_OSS_SINGLE_TENANT: 'true', ARGO_OSS_WORKFLOW_KEY_PREFIX: '{{workflow.name}}/' }, log: (l) => warnings.push(l) });
    t = await seedTenants(c.kube);
  });
  afterAll(() => c?.close());

  it('warns at start that namespaces are no boundary', () => {
    expect(warnings.some((w) => w.includes('ARGO_OSS_SINGLE_TENANT=true'))).toBe(true);
  });

  it("both `same` workflows may write same/, but the resume index never hands one the other's upload", async () => {
    const key = 'same/shared.bin';
    const body = { key, size: 2 * KB100, partSize: KB100, fingerprint: 'f-1' };
    const b = await c.api<StartUploadResponse>('POST', '/uploads', { token: t.b.podToken, body });
    expect(b.status).toBe(201);
    const a = await c.api<StartUploadResponse>('POST', '/uploads', { token: t.a.podToken, body });
    expect(a.status).toBe(201);
    expect(a.body.resumed).toBe(false);
    expect(a.body.uploadId).not.toBe(b.body.uploadId);
    // Each resumes its own.
    expect((await c.api<StartUploadResponse>('POST', '/uploads', { token: t.b.podToken, body })).body).toMatchObject({ uploadId: b.body.uploadId, resumed: true });
    expect((await c.api<StartUploadResponse>('POST', '/uploads', { token: t.a.podToken, body })).body).toMatchObject({ uploadId: a.body.uploadId, resumed: true });
    // team-a with team-b's upload id and the same key: exactly a missing upload's 404, on every endpoint.
    const id = b.body.uploadId;
    const fakeId = 'F'.repeat(id.length);
    const q = `?key=${encodeURIComponent(key)}`;
    const calls = (uploadId: string): Array<[string, string, unknown]> => [
      ['POST', `/uploads/${uploadId}/sign`, { key, parts: [{ partNumber: 1 }] }],
      ['GET', `/uploads/${uploadId}${q}`, undefined],
      ['POST', `/uploads/${uploadId}/complete`, { key }],
      ['DELETE', `/uploads/${uploadId}${q}`, undefined],
    ];
    for (const [[m, p, body1], [m2, p2, body2]] of calls(id).map((x, i) => [x, calls(fakeId)[i]] as const)) {
      const real = await c.api(m, p, { token: t.a.podToken, body: body1 });
      const none = await c.api(m2, p2, { token: t.a.podToken, body: body2 });
      expect(real.status, p).toBe(404);
      expect(shape(real, id, key)).toEqual(shape(none, fakeId, key));
    }
    // team-b's upload is intact and completes with team-b's bytes.
    const data = randomBytes(2 * KB100);
    const signed = await c.api<{ parts: SignedPart[] }>('POST', `/uploads/${id}/sign`, { token: t.b.podToken, body: { key, parts: [{ partNumber: 1 }, { partNumber: 2 }] } });
    for (const p of signed.body.parts) await fetch(p.url, { method: 'PUT', headers: p.headers, body: data.subarray((p.partNumber - 1) * KB100, p.partNumber * KB100) });
    expect((await c.api('POST', `/uploads/${id}/complete`, { token: t.b.podToken, body: { key, crc64: crc64(data).toString() } })).status).toBe(200);
    expect(recordedOwner((await headObject(c.oss, key)).meta)).toEqual(t.b.workflow);
    expect((await c.api('DELETE', `/uploads/${a.body.uploadId}${q}`, { token: t.a.podToken })).status).toBe(204);
  });
});

describe('upload isolation: per-workflow limits', () => {
  let c: TestCoordinator;
  let t: Tenants;

  beforeAll(async () => {
    c = await startTestCoordinator({ env: { ARGO_OSS_UPLOADS_PER_WORKFLOW: '2', ARGO_OSS_UPLOAD_BYTES_PER_WORKFLOW: String(5 * KB100) } });
    t = await seedTenants(c.kube);
  });
  afterAll(() => c?.close());

  const startA = (name: string, size: number) => c.api('POST', '/uploads', { token: t.a.podToken, body: { key: `${TEAM_A}/same/${name}`, size, partSize: KB100 } });

  it('open uploads: the third start of a workflow gets 429 naming the limit; other workflows are not affected; ending one frees a slot', async () => {
    const one = await startA('one', 10);
    const two = await startA('two', 10);
    expect([one.status, two.status]).toEqual([201, 201]);
    // Resuming an open upload is not a new one.
    expect((await startA('two', 10)).status).toBe(200);
    const three = await startA('three', 10);
    expect(three.status).toBe(429);
    expect(three.body.error).toMatchObject({ code: 'TooManyOpenUploads', details: { limit: 'ARGO_OSS_UPLOADS_PER_WORKFLOW' } });
    expect(three.body.error.message).toContain('ARGO_OSS_UPLOADS_PER_WORKFLOW');
    expect(Number(three.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await c.listUploads()).map((u) => u.key)).not.toContain(`${TEAM_A}/same/three`);
    // team-b has its own allowance.
    expect((await c.api('POST', '/uploads', { token: t.b.podToken, body: { key: `${TEAM_B}/same/one`, size: 10 } })).status).toBe(201);
    expect((await c.api('DELETE', `/uploads/${one.body.uploadId}?key=${TEAM_A}/same/one`, { token: t.a.podToken })).status).toBe(204);
    const again = await startA('three', 10);
    expect(again.status).toBe(201);
    for (const [u, k] of [[two, 'two'], [again, 'three']] as const) await c.api('DELETE', `/uploads/${u.body.uploadId}?key=${TEAM_A}/same/${k}`, { token: t.a.podToken });
  });

  it('bytes in flight: a start past the byte limit gets 429 naming it; completing frees the bytes', async () => {
    const big = await startA('big', 4 * KB100);
    expect(big.status).toBe(201);
    const more = await startA('more', 2 * KB100);
    expect(more.status).toBe(429);
    expect(more.body.error).toMatchObject({ code: 'TooManyBytesInFlight', details: { limit: 'ARGO_OSS_UPLOAD_BYTES_PER_WORKFLOW' } });
    // A stream of unknown size counts as the most it could grow to.
    expect((await c.api('POST', '/uploads', { token: t.a.podToken, body: { key: `${TEAM_A}/same/stream`, partSize: KB100 } })).status).toBe(429);
    const data = randomBytes(4 * KB100);
    const parts = [1, 2, 3, 4];
    const signed = await c.api<{ parts: SignedPart[] }>('POST', `/uploads/${big.body.uploadId}/sign`, { token: t.a.podToken, body: { key: `${TEAM_A}/same/big`, parts: parts.map((n) => ({ partNumber: n })) } });
    for (const p of signed.body.parts) await fetch(p.url, { method: 'PUT', headers: p.headers, body: data.subarray((p.partNumber - 1) * KB100, p.partNumber * KB100) });
    expect((await c.api('POST', `/uploads/${big.body.uploadId}/complete`, { token: t.a.podToken, body: { key: `${TEAM_A}/same/big` } })).status).toBe(200);
    const after = await startA('more', 2 * KB100);
    expect(after.status).toBe(201);
    await c.api('DELETE', `/uploads/${after.body.uploadId}?key=${TEAM_A}/same/more`, { token: t.a.podToken });
  });

  it('an upload left open by a crash and later reclaimed (manifest gone) does not keep counting', async () => {
    const a = await startA('left-1', 10);
    const b = await startA('left-2', 10);
    expect([a.status, b.status]).toEqual([201, 201]);
    // What the stale-upload GC does: abort in OSS and remove the manifest (not our quota marker).
    const { abortMultipartUpload } = await import('../shared/oss');
    const { deleteManifest } = await import('../shared/upload/manifest');
    await abortMultipartUpload(c.oss, { key: `${TEAM_A}/same/left-1`, uploadId: a.body.uploadId });
    await deleteManifest(c.oss, a.body.uploadId);
    expect((await startA('left-3', 10)).status).toBe(201);
    const markers = await listObjectsPage(c.oss, { prefix: `.argo-oss/upload-owners/${TEAM_A}/${t.a.workflow.uid}/` });
    expect(markers.objects.map((o) => o.key.split('.').pop())).not.toContain(a.body.uploadId);
  });

  it("the stale-upload GC's abort also frees the workflow's allowance", async () => {
    const prefix = `.argo-oss/upload-owners/${TEAM_B}/${t.b.workflow.uid}/`;
    const startB = (name: string) => c.api('POST', '/uploads', { token: t.b.podToken, body: { key: `${TEAM_B}/same/${name}`, size: 10 } });
    expect((await startB('idle')).status).toBe(201);
    expect((await listObjectsPage(c.oss, { prefix })).objects.length).toBeGreaterThan(0);
    const now = new Date(Date.now() + 100 * 3600_000);
    const r = await abortStaleUploads(c.oss, { now, staleHours: 1, artifactRoot: '', dryRun: false, audit: new AuditLog(c.oss, { now: () => now, log: () => undefined }) });
    expect(r.aborted).toBeGreaterThan(0);
    expect((await listObjectsPage(c.oss, { prefix })).objects).toEqual([]);
  });
});

describe('local gateway: request deadlines', () => {
  it('cuts off a client that never finishes its headers (slowloris) with 408', async () => {
    const gw = await startGateway({ port: 0, mounts: [], timeouts: { headersTimeout: 300, requestTimeout: 600, connectionsCheckingInterval: 50 } });
    try {
      const { port } = new URL(gw.url);
      const reply = await new Promise<string>((resolve, reject) => {
        const s = connect(Number(port), '127.0.0.1', () => s.write('POST /uploads HTTP/1.1\r\nHost: x\r\nX-Slow: '));
        let got = '';
        s.on('data', (d) => (got += d));
        s.on('close', () => resolve(got));
        s.on('error', reject);
      });
      expect(reply).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      await gw.close();
    }
  });
});
