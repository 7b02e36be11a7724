// Browsing the local stack as a new user would: the seeded example Workflow (a file, a directory and
// a .tgz artifact under namespaced keys) is there at the first start and its printed share link
// opens without a token; a browser without a token gets an HTML 401 that links the sign-in page
// (API clients keep JSON); the sign-in page checks the token with the cluster and sets the
// authorization cookie; share links are on by default with a kept secret; manifests the functions
// cannot use are logged with the reason.
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { EXAMPLE, examplePaths } from '../local/example';
import { LOCAL_DEFAULT_BUCKET, LOCAL_DEFAULT_CREDENTIALS, LOCAL_DEFAULT_REGION } from '../local/defaults';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../local/stack';
import { httpCall } from './helpers/download';

const ADMIN = 'local-browse-admin-token';
let work: string;
let stack: LocalStack;
const lines: string[] = [];

const options = (dataDir: string, more: Partial<LocalStackOptions> = {}): LocalStackOptions => ({
  dataDir,
  ports: { gateway: 0, oss: 0, cluster: 0 },
  credential: { ...LOCAL_DEFAULT_CREDENTIALS },
  region: LOCAL_DEFAULT_REGION,
  bucket: LOCAL_DEFAULT_BUCKET,
  adminToken: ADMIN,
  example: true,
  env: {},
  log: (l) => lines.push(l),
  ...more,
});

const get = (path: string, headers: Record<string, string> = {}) => httpCall(stack.gateway.url, path, { headers });
const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'local-browse-'));
  stack = await startLocalStack(options(join(work, 'data')));
}, 60_000);

afterAll(async () => {
  await stack?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the seeded example', () => {
  it('is listed through the printed share link without a token', async () => {
    expect(stack.example?.seeded).toBe(true);
    const url = new URL(stack.example!.shareUrl);
    expect(url.pathname).toBe(examplePaths().results);
    const r = await get(`${url.pathname}${url.search}`, HTML);
    expect(r.status).toBe(200);
    const html = r.body.toString();
    for (const name of ['metrics.csv', 'loss-curve.png', 'README.md', 'config.json', 'logs/']) expect(html).toContain(`>${name}</a>`);
  });

  it('has a file, a directory and a .tgz artifact under namespaced keys, readable with a token', async () => {
    const auth = { authorization: `Bearer ${ADMIN}` };
    const message = await get(examplePaths().message, auth);
    expect(message.status).toBe(200);
    expect(message.body.toString()).toContain('hello from argo-oss-artifacts');
    const bundle = await get(`${examplePaths().bundle}bundle/`, auth);
    expect(bundle.body.toString()).toContain('>report.csv</a>');
    const manifest = await readFile(join(work, 'data', 'cluster', 'workflows', `${EXAMPLE.namespace}.${EXAMPLE.workflow}.yaml`), 'utf8');
    expect(manifest).toContain(`key: ${EXAMPLE.namespace}/${EXAMPLE.workflow}/${EXAMPLE.pod}/results`);
  });

  it('is seeded once: removing it is not undone at the next start', async () => {
    const dataDir = join(work, 'once');
    const first = await startLocalStack(options(dataDir));
    await first.close();
    await unlink(join(dataDir, 'cluster', 'workflows', `${EXAMPLE.namespace}.${EXAMPLE.workflow}.yaml`));
    const second = await startLocalStack(options(dataDir));
    try {
      expect(second.example).toBeUndefined();
    } finally {
      await second.close();
    }
  }, 60_000);
});

describe('signing in from a browser', () => {
  const listing = examplePaths().results;

  it('a browser without a token gets an HTML 401 linking the sign-in page; API clients get JSON', async () => {
    const page = await get(listing, HTML);
    expect(page.status).toBe(401);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['www-authenticate']).toContain('Bearer');
    expect(page.body.toString()).toContain(`href="/sign-in?next=${encodeURIComponent(listing)}"`);
    const api = await get(listing, { accept: '*/*' });
    expect(api.status).toBe(401);
    expect(JSON.parse(api.body.toString()).error.code).toBe('Unauthorized');
    expect((await get(listing, { accept: 'application/json, text/html;q=0.5' })).headers['content-type']).toContain('application/json');
  });

  it('the sign-in page checks the token and sets the cookie, then goes back', async () => {
    const form = await get(`/sign-in?next=${encodeURIComponent(listing)}`);
    expect(form.status).toBe(200);
    expect(form.headers['content-security-policy']).toContain("form-action 'self'");
    expect(form.body.toString()).toContain(`name="next" value="${listing}"`);

    const post = (body: string, headers: Record<string, string> = {}) =>
      httpCall(stack.gateway.url, '/sign-in', { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
    const bad = await post(new URLSearchParams({ token: 'nobody-knows-this', next: listing }).toString());
    expect(bad.status).toBe(401);
    expect(bad.headers['set-cookie']).toBeUndefined();
    expect(bad.body.toString()).toContain('does not know this token');

    const ok = await post(new URLSearchParams({ token: ADMIN, next: listing }).toString());
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe(listing);
    const cookie = String(ok.headers['set-cookie']);
    expect(cookie).toMatch(/^authorization=Bearer%20local-browse-admin-token; Path=\/; SameSite=Strict; HttpOnly$/);
    const r = await get(listing, { ...HTML, cookie: cookie.split(';')[0] });
    expect(r.status).toBe(200);

    // Only paths on this host come back; another site cannot post the form.
    expect((await post(new URLSearchParams({ token: ADMIN, next: '//evil.example/x' }).toString())).headers.location).toBe('/');
    expect((await post(new URLSearchParams({ token: ADMIN, next: 'https://evil.example/' }).toString())).headers.location).toBe('/');
    expect((await post(new URLSearchParams({ token: ADMIN }).toString(), { origin: 'https://evil.example' })).status).toBe(403);
    expect((await post(new URLSearchParams({ token: ADMIN }).toString(), { 'sec-fetch-site': 'cross-site', origin: 'null' })).status).toBe(403);
    const out = await get('/sign-in/out');
    expect(out.status).toBe(303);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
  });
});

describe('share links and manifests on the local stack', () => {
  it('share links are on with a secret kept in the data dir and written to local.env', async () => {
    const kept = (await readFile(join(work, 'data', 'share-secret'), 'utf8')).trim();
    expect(kept).toBe(stack.shareSecret);
    expect(kept.length).toBeGreaterThanOrEqual(32);
    expect(await readFile(stack.envFile, 'utf8')).toContain(`export ARGO_OSS_SHARE_SECRET=${kept}`);
    const made = await httpCall(stack.gateway.url, '/share', {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ path: examplePaths().bundle }),
    });
    expect(made.status).toBe(201);
    const given = await startLocalStack(options(join(work, 'given'), { example: false, env: { ARGO_OSS_SHARE_SECRET: 'g'.repeat(40) } }));
    try {
      expect(given.shareSecret).toBe('g'.repeat(40));
    } finally {
      await given.close();
    }
  }, 60_000);

  it('logs a manifest the functions cannot use, with the reason', async () => {
    const dir = join(work, 'data', 'cluster', 'workflows');
    await writeFile(join(dir, 'submitted.yaml'), stringify({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'submitted' }, spec: { entrypoint: 'main' } }));
    await writeFile(
      join(dir, 'no-outputs.yaml'),
      stringify({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'no-outputs', namespace: 'argo' }, status: { phase: 'Succeeded', nodes: { n1: { id: 'n1', type: 'Pod' } } } }),
    );
    // The functions read workflows on demand: a download request makes the store look.
    await get('/artifact-files/argo/workflows/no-outputs/n1/outputs/x/', { authorization: `Bearer ${ADMIN}` });
    const log = lines.join('\n');
    expect(log).toMatch(/workflows\/submitted\.yaml: Workflow default\/submitted is served, but it has no metadata\.namespace/);
    expect(log).toMatch(/workflows\/submitted\.yaml: Workflow default\/submitted is served, but it has no status\.nodes: a submit-time spec/);
    expect(log).toMatch(/workflows\/no-outputs\.yaml: Workflow argo\/no-outputs is served, but no node in status\.nodes has outputs\.artifacts/);
    expect(log).not.toMatch(/hello-artifacts\.yaml: .*is served, but/);
  });
});
