// Tenant isolation, download side (issue 10: F4, F10, model item 4). Two namespaces, team-a and
// team-b, each with a workflow named `same`. Users may write a Workflow's status, so team-a's status
// names team-b's key, folder and .tgz: team-a's user gets no bytes, no listing and no share link,
// with the same body as for a key where nothing is stored, while each tenant still downloads, lists
// and shares its own. Objects outside the namespace prefixes are served by their recorded owner (the
// coordinator's metadata): to users who may get that workflow, not to others. Plus the .tgz limits.
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putObject } from '../shared/oss';
import { ownerMetadata, type WorkflowIdentity } from '../shared/tenancy';
import { artifact, LEGACY_LAYOUT, startDownloadFixture, workflow, type DownloadFixture, type HttpResult } from './helpers/download';
import type { TokenSpec } from './helpers/kube-api';
import { seedTenants, type Tenants } from './helpers/tenants';

const SECRET = 'isolation-share-secret-0123456789abcdef';
const NAMESPACED = { ARGO_OSS_WORKFLOW_KEY_PREFIX: '{{workflow.namespace}}/{{workflow.name}}/', ARGO_OSS_SINGLE_TENANT: 'false', ARGO_OSS_SHARE_SECRET: SECRET };

/** A workflow of team-b that no longer exists (its objects outlive it). */
const GONE_B = { namespace: 'team-b', name: 'gone', uid: '00000000-0000-4000-8000-00000000b0ff' } satisfies WorkflowIdentity;

/**
 * Users: team-a's and team-b's from the two-tenant fixture (their own namespace only; the same token
 * in every cluster seedTenants writes), plus these.
 */
const USER = { a: '', b: '', ops: 'ops-token', narrow: 'narrow-token' };
const getWorkflows = (namespaces: string[], resourceNames?: string[]) => ({
  namespaces,
  apiGroups: ['argoproj.io'],
  resources: ['workflows'],
  verbs: ['get', 'list'],
  ...(resourceNames ? { resourceNames } : {}),
});
const TOKENS: TokenSpec[] = [
  // Reads both tenants' workflows.
  { token: USER.ops, user: 'ops', rules: [getWorkflows(['team-a', 'team-b'])] },
  // team-a, and in team-b only the workflow named only-b.
  { token: USER.narrow, user: 'narrow', rules: [getWorkflows(['team-a']), getWorkflows(['team-b'], ['only-b'])] },
];

/** Secrets of team-b: none of these may appear in anything team-a's user gets. */
const B_BYTES = { file: 'team-b secret file', member: 'team-b secret member', dirFile: 'team-b secret in folder' };

function* zeros(size: number): Generator<Buffer> {
  const chunk = Buffer.alloc(1024 * 1024);
  for (let left = size; left > 0; left -= chunk.length) yield left >= chunk.length ? chunk : chunk.subarray(0, left);
}

function tgz(entries: Array<{ name: string; body?: string; size?: number; zeros?: boolean }>): Readable {
  const p = pack();
  void (async () => {
    for (const e of entries) {
      if (e.zeros) {
        const s = p.entry({ name: e.name, size: e.size! });
        Readable.from(zeros(e.size!)).pipe(s);
        await once(s, 'finish');
      } else p.entry({ name: e.name }, e.body ?? '');
    }
    p.finalize();
  })();
  return p.pipe(createGzip());
}

const artifacts = (names: Record<string, string>) => Object.entries(names).map(([name, key]) => artifact(name, key, {}, { bucket: 'argo-artifacts', endpoint: 'oss-cn-hangzhou-internal.aliyuncs.com' }));
const manifest = (wf: WorkflowIdentity, node: string, outputs: Record<string, string>) => {
  const m = workflow(wf.name, { [node]: { outputs: artifacts(outputs) } }, { namespace: wf.namespace }) as { metadata: Record<string, unknown> };
  m.metadata.uid = wf.uid;
  return m;
};

// team-a/same's status: its own artifacts, then team-b's (F4), then objects outside both prefixes.
const A_OUTPUTS = {
  own: 'team-a/same/same-a-1/out.txt',
  'own-dir': 'team-a/same/same-a-1/dir',
  'own-tgz': 'team-a/same/same-a-1/bundle.tgz',
  'b-key': 'team-b/same/same-b-1/out.txt',
  'b-dir': 'team-b/same/same-b-1/dir',
  'b-tgz': 'team-b/same/same-b-1/bundle.tgz',
  'b-root': 'team-b',
  ghost: 'team-b/same/same-b-1/never-written.txt',
  'ghost-dir': 'team-b/same/same-b-1/never-written-dir',
  'imported-a': 'legacy/same/import-a.txt',
  'imported-b': 'legacy/same/import-b.txt',
  'imported-only-b': 'legacy/only-b/import.txt',
  'imported-gone': 'legacy/gone/import.txt',
  'imported-tgz': 'legacy/same/import-b.tgz',
  unowned: 'legacy/same/plain.txt',
  'forged-owner': 'legacy/same/forged.txt',
  'legacy-dir': 'legacy/same',
};
const B_OUTPUTS = { own: 'team-b/same/same-b-1/out.txt', 'own-dir': 'team-b/same/same-b-1/dir', 'own-tgz': 'team-b/same/same-b-1/bundle.tgz' };

const a = (name: string) => `/artifacts/team-a/same/same-a-1/${name}`;
const af = (name: string, rest = '') => `/artifact-files/team-a/workflows/same/same-a-1/outputs/${name}${rest}`;
const b = (name: string) => `/artifacts/team-b/same/same-b-1/${name}`;
const bf = (name: string, rest = '') => `/artifact-files/team-b/workflows/same/same-b-1/outputs/${name}${rest}`;

const errorOf = (r: HttpResult) => JSON.parse(r.body.toString()).error as { code: string; message: string };

let d: DownloadFixture;
let t: Tenants;
let A: WorkflowIdentity;
let B: WorkflowIdentity;
const get = (path: string, token: string, method = 'GET') => d.request(path, { token, method });
const share = (path: string, token: string) =>
  d.request('/share', { method: 'POST', token, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path, ttlSeconds: 600 }) });

beforeAll(async () => {
  d = await startDownloadFixture({ env: NAMESPACED });
  t = await seedTenants(d.kube);
  await d.kube.addTokens(TOKENS);
  ({ workflow: A, userToken: USER.a } = t.a);
  ({ workflow: B, userToken: USER.b } = t.b);
  const ONLY_B = t.onlyB;
  // The tenants' workflows as users could have written their statuses.
  await d.kube.writeWorkflow(manifest(A, 'same-a-1', A_OUTPUTS));
  await d.kube.writeWorkflow(manifest(B, 'same-b-1', B_OUTPUTS));
  const put = (key: string, body: string, owner?: WorkflowIdentity) => putObject(d.oss, key, body, owner ? { meta: ownerMetadata(owner) } : {});
  await Promise.all([
    put('team-a/same/same-a-1/out.txt', 'team-a file', A),
    put('team-a/same/same-a-1/dir/a.txt', 'team-a in folder', A),
    put('team-b/same/same-b-1/out.txt', B_BYTES.file, B),
    put('team-b/same/same-b-1/dir/b.txt', B_BYTES.dirFile, B),
    // Outside both namespace prefixes (e.g. written before the move to namespaced keys), with owners.
    put('legacy/same/import-a.txt', 'imported by team-a', A),
    put('legacy/same/import-b.txt', 'imported by team-b', B),
    put('legacy/only-b/import.txt', 'imported by only-b', ONLY_B),
    put('legacy/gone/import.txt', 'imported by a deleted workflow', GONE_B),
    put('legacy/same/plain.txt', 'no recorded owner'),
    d.oss.sdk.put('legacy/same/forged.txt', Buffer.from('bad owner metadata'), { meta: { 'argo-oss-namespace': 'Team_B', 'argo-oss-workflow': 'same', 'argo-oss-workflow-uid': B.uid } } as never),
    d.putStream('team-a/same/same-a-1/bundle.tgz', tgz([{ name: 'inner.txt', body: 'team-a member' }])),
    d.putStream('team-b/same/same-b-1/bundle.tgz', tgz([{ name: 'inner.txt', body: B_BYTES.member }])),
  ]);
  const archive: Buffer[] = [];
  for await (const chunk of tgz([{ name: 'imported.txt', body: 'imported member' }])) archive.push(chunk as Buffer);
  await putObject(d.oss, 'legacy/same/import-b.tgz', Buffer.concat(archive), { meta: ownerMetadata(B) });
}, 60_000);

afterAll(async () => {
  await d?.close();
});

describe("team-a's workflow naming team-b's keys (F4)", () => {
  // The reference refusal: team-b's namespace holds nothing at this key.
  let refusal: HttpResult;
  beforeAll(async () => {
    refusal = await get(a('ghost'), USER.a);
  });

  it('refuses a key where nothing is stored with 403 KeyNotServed', () => {
    expect(refusal.status).toBe(403);
    expect(errorOf(refusal).code).toBe('KeyNotServed');
    expect(errorOf(refusal).message).toContain('team-a/');
  });

  const attempts: Array<[string, string]> = [
    ["team-b's file", a('b-key')],
    ["team-b's file, redirect mode (no presigned URL)", `${a('b-key')}?redirect=true`],
    ["team-b's file on artifact-files", af('b-key')],
    ["team-b's file as the raw artifact", `${af('b-key')}?download=raw`],
    ["team-b's folder (prefix), listing", af('b-dir', '/')],
    ["team-b's folder as JSON", af('b-dir', '/?format=json')],
    ["team-b's folder without the slash (no redirect probe)", af('b-dir')],
    ["team-b's folder on /artifacts (no redirect probe)", a('b-dir')],
    ['a file inside team-b\'s folder', af('b-dir', '/b.txt')],
    ["team-b's whole namespace as a directory artifact", af('b-root', '/')],
    ['a file deep in it', af('b-root', '/same/same-b-1/out.txt')],
    ["team-b's .tgz", af('b-tgz')],
    ["team-b's .tgz listing", af('b-tgz', '/')],
    ["team-b's .tgz member", af('b-tgz', '/inner.txt')],
    ['a folder where nothing is stored', af('ghost-dir', '/')],
    ['a folder where nothing is stored, without the slash', af('ghost-dir')],
    ['a file below a folder where nothing is stored', af('ghost-dir', '/x.txt')],
  ];

  it.each(attempts)('%s: no bytes, the same body as for nothing stored', async (_, path) => {
    const r = await get(path, USER.a);
    expect(r.status).toBe(403);
    expect(r.body.toString()).toBe(refusal.body.toString());
    expect(r.headers.location).toBeUndefined();
    const head = await get(path, USER.a, 'HEAD');
    expect(head.status).toBe(403);
    expect(head.headers['content-length']).toBe(refusal.headers['content-length']);
  });

  it.each(attempts)('%s: no share link, the same body', async (_, path) => {
    const r = await share(path.replace(/\?.*$/, ''), USER.a);
    expect(r.status).toBe(403);
    expect(r.body.toString()).toBe(refusal.body.toString());
  });

  it('nothing team-a got carries team-b\'s bytes', async () => {
    for (const [, path] of attempts) {
      const text = (await get(path, USER.a)).body.toString();
      for (const secret of Object.values(B_BYTES)) expect(text).not.toContain(secret);
      expect(text).not.toContain('b.txt');
    }
  });

  it("team-b's user cannot read team-a's workflow at all", async () => {
    expect((await get(a('b-key'), USER.b)).status).toBe(403);
    expect((await share(a('b-key'), USER.b)).status).toBe(403);
  });
});

describe('each tenant still downloads, lists and shares its own', () => {
  it.each([
    ['team-a', 'a', a, af, 'team-a file', 'a.txt', 'team-a member'],
    ['team-b', 'b', b, bf, B_BYTES.file, 'b.txt', B_BYTES.member],
  ] as const)('%s', async (_, user, art, files, file, dirEntry, member) => {
    const token = USER[user];
    const got = await get(art('own'), token);
    expect(got.status).toBe(200);
    expect(got.body.toString()).toBe(file);
    const listing = await get(files('own-dir', '/?format=json'), token);
    expect(listing.status).toBe(200);
    expect(JSON.parse(listing.body.toString()).entries.map((e: { name: string }) => e.name)).toEqual([dirEntry]);
    expect((await get(files('own-dir'), token)).status).toBe(307);
    expect((await get(files('own-tgz', '/inner.txt'), token)).body.toString()).toBe(member);
    expect(JSON.parse((await get(files('own-tgz', '/?format=json'), token)).body.toString()).count).toBe(1);
    const redirected = await get(`${art('own')}?redirect=true`, token);
    expect(redirected.status).toBe(302);
    expect(await (await fetch(redirected.headers.location!)).text()).toBe(file);

    for (const path of [art('own'), files('own-dir', '/'), files('own-tgz', '/inner.txt')]) {
      const made = await share(path, token);
      expect(made.status, path).toBe(201);
      const used = await d.request(JSON.parse(made.body.toString()).path);
      expect(used.status, path).toBe(200);
    }
  });
});

describe('objects outside the namespace prefixes, by recorded owner', () => {
  it("team-a's own recorded objects are served to team-a's user", async () => {
    const r = await get(a('imported-a'), USER.a);
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('imported by team-a');
  });

  it("team-b's recorded objects: refused to team-a's user (same body), served to a user who may read team-b", async () => {
    const refusal = await get(a('ghost'), USER.a);
    for (const name of ['imported-b', 'imported-only-b', 'imported-gone', 'imported-tgz']) {
      const r = await get(a(name), USER.a);
      expect(r.status, name).toBe(403);
      expect(r.body.toString(), name).toBe(refusal.body.toString());
    }
    const ops = await get(a('imported-b'), USER.ops);
    expect(ops.status).toBe(200);
    expect(ops.body.toString()).toBe('imported by team-b');
    // The archive's owner covers its listing and members.
    expect((await get(af('imported-tgz', '/?format=json'), USER.ops)).status).toBe(200);
    expect((await get(af('imported-tgz', '/?format=json'), USER.a)).body.toString()).toBe(refusal.body.toString());
  });

  it('the owner check is by workflow name: a user who may get only team-b/only-b', async () => {
    expect((await get(a('imported-only-b'), USER.narrow)).body.toString()).toBe('imported by only-b');
    expect((await get(a('imported-b'), USER.narrow)).status).toBe(403);
    expect((await get(a('imported-gone'), USER.narrow)).status).toBe(403);
  });

  it("a deleted owner's objects stay readable for whoever may get workflows of that name there", async () => {
    const r = await get(a('imported-gone'), USER.ops);
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('imported by a deleted workflow');
  });

  it('no recorded owner, or a malformed one, proves nothing; listings outside the prefix are refused even to ops', async () => {
    const refusal = await get(a('ghost'), USER.ops);
    for (const path of [a('unowned'), a('forged-owner'), af('legacy-dir', '/'), af('legacy-dir'), af('legacy-dir', '/import-b.txt?download=raw')]) {
      const r = await get(path, USER.ops);
      expect(r.status, path).toBe(path.includes('download=raw') ? 400 : 403);
      if (r.status === 403) expect(r.body.toString(), path).toBe(refusal.body.toString());
    }
    // A file inside that folder is an object like any other: its own owner decides.
    expect((await get(af('legacy-dir', '/import-b.txt'), USER.ops)).status).toBe(200);
    expect((await get(af('legacy-dir', '/import-b.txt'), USER.a)).status).toBe(403);
  });

  it('share links follow the same rule', async () => {
    expect((await share(a('imported-b'), USER.a)).status).toBe(403);
    const made = await share(a('imported-b'), USER.ops);
    expect(made.status).toBe(201);
    const used = await d.request(JSON.parse(made.body.toString()).path);
    expect(used.body.toString()).toBe('imported by team-b');
  });
});

describe('share links grant one artifact, never more', () => {
  const LINKED = { namespace: 'team-a', name: 'linked', uid: '00000000-0000-4000-8000-00000000a002' };
  const path = '/artifacts/team-a/linked/linked-1/out';

  it('a link made for team-a\'s key does not follow a status edited to name team-b\'s key', async () => {
    await d.kube.writeWorkflow(manifest(LINKED, 'linked-1', { out: 'team-a/same/same-a-1/out.txt' }));
    const made = await share(path, USER.a);
    expect(made.status).toBe(201);
    const link = JSON.parse(made.body.toString()).path as string;
    expect((await d.request(link)).body.toString()).toBe('team-a file');

    // team-a's user rewrites the status (no status subresource): the same artifact now names team-b's key.
    await d.kube.writeWorkflow(manifest(LINKED, 'linked-1', { out: 'team-b/same/same-b-1/out.txt' }));
    const used = await d.request(link);
    expect(used.status).toBe(403);
    expect(errorOf(used).code).toBe('InvalidShareLink');
    expect(used.body.toString()).not.toContain(B_BYTES.file);
    // Nor can a new link be made for it.
    expect((await share(path, USER.a)).status).toBe(403);
  });

  it('the grant cannot be dropped or moved to another path', async () => {
    await d.kube.writeWorkflow(manifest(LINKED, 'linked-1', { out: 'team-a/same/same-a-1/out.txt' }));
    const link = new URL(JSON.parse((await share(path, USER.a)).body.toString()).path as string, 'http://x');
    const q = link.searchParams;
    const dropped = await d.request(`${path}?expires=${q.get('expires')}&signature=${q.get('signature')}`);
    expect(dropped.status).toBe(403);
    expect(errorOf(dropped).code).toBe('InvalidShareLink');
    const other = JSON.parse((await share(a('own'), USER.a)).body.toString()).path as string;
    const otherGrant = new URL(other, 'http://x').searchParams.get('grant');
    const swapped = await d.request(`${path}?expires=${q.get('expires')}&signature=${q.get('signature')}&grant=${otherGrant}`);
    expect(swapped.status).toBe(403);
    expect(errorOf(swapped).code).toBe('InvalidShareLink');
  });
});

describe('single-tenant layouts (no namespace in the key template)', () => {
  it('serve anything under the artifact root, as before', async () => {
    const legacy = await startDownloadFixture({ env: LEGACY_LAYOUT });
    try {
      await seedTenants(legacy.kube);
      await legacy.kube.writeWorkflow(manifest(A, 'same-a-1', { 'b-key': 'same/b.txt', plain: 'elsewhere/plain.txt' }));
      await legacy.put('same/b.txt', 'single tenant');
      await legacy.put('elsewhere/plain.txt', 'no owner needed');
      expect((await legacy.request(a('b-key'), { token: USER.a })).body.toString()).toBe('single tenant');
      expect((await legacy.request(a('plain'), { token: USER.a })).body.toString()).toBe('no owner needed');
    } finally {
      await legacy.close();
    }
  }, 30_000);
});

describe('.tgz limits (F10)', () => {
  const MiB = 1024 * 1024;
  let tz: DownloadFixture;
  const T = { namespace: 'team-a', name: 'bomb', uid: '00000000-0000-4000-8000-00000000a003' };
  const tf = (name: string, rest = '') => `/artifact-files/team-a/workflows/bomb/bomb-1/outputs/${name}${rest}`;

  beforeAll(async () => {
    tz = await startDownloadFixture({ env: { ...NAMESPACED, ARGO_OSS_TGZ_MAX_BYTES: String(2 * MiB), ARGO_OSS_TGZ_MAX_ENTRIES: '50' } });
    await seedTenants(tz.kube);
    await tz.kube.writeWorkflow(
      manifest(T, 'bomb-1', { bomb: 'team-a/bomb/bomb.tgz', mixed: 'team-a/bomb/mixed.tgz', many: 'team-a/bomb/many.tgz' }),
    );
    await Promise.all([
      // 64 MiB of zeros: a few tens of KiB compressed.
      tz.putStream('team-a/bomb/bomb.tgz', tgz([{ name: 'zeros.bin', size: 64 * MiB, zeros: true }, { name: 'after.txt', body: 'after' }])),
      tz.putStream('team-a/bomb/mixed.tgz', tgz([{ name: 'small.txt', body: 'small' }, { name: 'one-mib.bin', size: MiB, zeros: true }, { name: 'big.bin', size: 8 * MiB, zeros: true }, { name: 'last.txt', body: 'last' }])),
      tz.putStream('team-a/bomb/many.tgz', tgz(Array.from({ length: 60 }, (_, i) => ({ name: `f${String(i).padStart(2, '0')}.txt`, body: String(i) })))),
    ]);
  }, 60_000);

  afterAll(async () => {
    await tz?.close();
  });

  const tooLarge = async (path: string, variable: string) => {
    const r = await tz.request(path, { token: USER.a });
    expect(r.status, path).toBe(422);
    const e = errorOf(r);
    expect(e.code).toBe('ArchiveTooLarge');
    expect(e.message).toContain(variable);
    expect(e.message).toContain('download=raw');
  };

  it('a listing past the decompressed-bytes cap → 422 ArchiveTooLarge', async () => {
    await tooLarge(tf('bomb', '/'), 'ARGO_OSS_TGZ_MAX_BYTES');
    await tooLarge(tf('mixed', '/'), 'ARGO_OSS_TGZ_MAX_BYTES');
  });

  it('a member whose end lies past the cap → 422 before any byte of it; members before it are served whole', async () => {
    await tooLarge(tf('bomb', '/after.txt'), 'ARGO_OSS_TGZ_MAX_BYTES');
    await tooLarge(tf('bomb', '/zeros.bin'), 'ARGO_OSS_TGZ_MAX_BYTES');
    await tooLarge(tf('mixed', '/big.bin'), 'ARGO_OSS_TGZ_MAX_BYTES');
    await tooLarge(tf('mixed', '/last.txt'), 'ARGO_OSS_TGZ_MAX_BYTES');
    expect((await tz.request(tf('mixed', '/small.txt'), { token: USER.a })).body.toString()).toBe('small');
    const mib = await tz.stream(tf('mixed', '/one-mib.bin'), { token: USER.a });
    expect(mib.status).toBe(200);
    expect(mib.complete).toBe(true);
    expect(mib.bytes).toBe(MiB);
  });

  it('past the entry cap → 422 for the listing and for members behind it', async () => {
    await tooLarge(tf('many', '/'), 'ARGO_OSS_TGZ_MAX_ENTRIES');
    await tooLarge(tf('many', '/f59.txt'), 'ARGO_OSS_TGZ_MAX_ENTRIES');
    expect((await tz.request(tf('many', '/f10.txt'), { token: USER.a })).body.toString()).toBe('10');
  });

  it('the archive itself is never capped', async () => {
    const raw = await tz.stream(tf('bomb'), { token: USER.a });
    expect(raw.status).toBe(200);
    expect(raw.complete).toBe(true);
  });
});
