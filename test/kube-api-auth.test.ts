// Authentication and authorization of the local Kubernetes API, through the real client-node
// clients: 401/403 Status errors, TokenReview (incl. pod-bound service-account tokens),
// SelfSubjectAccessReview / SubjectAccessReview, and tokens.yaml validation and reloading.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthenticationV1Api, AuthorizationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeApi, TokensFileError } from '../local/kube-api';
import { startTestKubeApi, type TestKubeApi, type TokenSpec } from './helpers/kube-api';

const WF = { group: 'argoproj.io', version: 'v1alpha1', plural: 'workflows' } as const;

const TOKENS: TokenSpec[] = [
  { token: 'reader-token', user: 'alice', groups: ['argo-readers'], rules: [{ namespaces: ['argo'], resources: ['workflows'], verbs: ['get', 'list'] }] },
  {
    token: 'pod-token',
    serviceAccount: { namespace: 'argo', name: 'default' },
    pod: { name: 'wf-abc-123', uid: '1f0e2d3c-4b5a-4978-8695-a4b3c2d1e0f9' },
    audiences: ['https://kubernetes.default.svc.cluster.local', 'argo-oss'],
    rules: [{ namespaces: ['argo'], apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
  },
  {
    token: 'gc-token',
    user: 'artifact-gc',
    rules: [
      { namespaces: ['*'], resources: ['workflows'], verbs: ['get', 'list', 'patch'] },
      { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
      { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
    ],
  },
  { token: 'expired-token', user: 'bob', expiresAt: '2001-01-01T00:00:00Z', admin: true },
];

let k8s: TestKubeApi;
const client = <T>(token: string, api: new (...args: any[]) => T): T => k8s.kubeConfig(token).makeApiClient(api as any) as T;

async function failure(p: Promise<unknown>): Promise<{ code: number; status: Record<string, any> | undefined }> {
  const err = (await p.then(
    () => expect.fail('expected the call to fail'),
    (e: unknown) => e,
  )) as { code: number; body: unknown };
  return { code: err.code, status: typeof err.body === 'string' ? JSON.parse(err.body) : undefined };
}

beforeAll(async () => {
  k8s = await startTestKubeApi({ tokens: TOKENS });
  await k8s.writeWorkflow({ metadata: { name: 'wf-1', namespace: 'argo' } });
  await k8s.writeWorkflow({ metadata: { name: 'wf-2', namespace: 'other' } });
  await k8s.writePod({ metadata: { name: 'wf-abc-123', namespace: 'argo', labels: { 'workflows.argoproj.io/workflow': 'wf-1' } } });
});
afterAll(() => k8s?.close());

describe('authentication', () => {
  it('answers 401 Unauthorized Status without a token, with an empty or an unknown one', async () => {
    for (const auth of [undefined, 'Bearer ', 'Bearer nope']) {
      const res = await fetch(`${k8s.api.url}/apis/argoproj.io/v1alpha1/namespaces/argo/workflows/wf-1`, { headers: auth ? { Authorization: auth } : {} });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    }
    // client-node reports 401 without the body.
    const { code } = await failure(client('nope', CustomObjectsApi).getNamespacedCustomObject({ ...WF, namespace: 'argo', name: 'wf-1' }));
    expect(code).toBe(401);
  });

  it('rejects an expired token and a token not valid for the API audience', async () => {
    expect((await failure(client('expired-token', CustomObjectsApi).listClusterCustomObject({ ...WF }))).code).toBe(401);
  });
});

describe('authorization of requests', () => {
  it('lets a reader get and list in its namespace', async () => {
    const api = client('reader-token', CustomObjectsApi);
    expect((await api.getNamespacedCustomObject({ ...WF, namespace: 'argo', name: 'wf-1' })).metadata.name).toBe('wf-1');
    expect((await api.listNamespacedCustomObject({ ...WF, namespace: 'argo' })).items).toHaveLength(1);
  });

  it('answers 403 Forbidden with kube-apiserver wording elsewhere', async () => {
    const api = client('reader-token', CustomObjectsApi);
    const get = await failure(api.getNamespacedCustomObject({ ...WF, namespace: 'other', name: 'wf-2' }));
    expect(get.code).toBe(403);
    expect(get.status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'workflows.argoproj.io "wf-2" is forbidden: User "alice" cannot get resource "workflows" in API group "argoproj.io" in the namespace "other"',
      reason: 'Forbidden',
      details: { name: 'wf-2', group: 'argoproj.io', kind: 'workflows' },
      code: 403,
    });
    const all = await failure(api.listClusterCustomObject({ ...WF }));
    expect(all.status?.message).toBe('workflows.argoproj.io is forbidden: User "alice" cannot list resource "workflows" in API group "argoproj.io" at the cluster scope');
    const patch = await failure(api.patchNamespacedCustomObject({ ...WF, namespace: 'argo', name: 'wf-1', body: [] }));
    expect(patch.status?.message).toContain('cannot patch resource "workflows"');
    // Forbidden comes before NotFound: a reader learns nothing about objects it may not see.
    expect((await failure(api.getNamespacedCustomObject({ ...WF, namespace: 'other', name: 'missing' }))).code).toBe(403);
  });

  it('lets a pod token read pods of its namespace only', async () => {
    const core = client('pod-token', CoreV1Api);
    expect((await core.readNamespacedPod({ namespace: 'argo', name: 'wf-abc-123' })).metadata?.name).toBe('wf-abc-123');
    const list = await failure(core.listNamespacedPod({ namespace: 'argo' }));
    expect(list.status?.message).toBe('pods is forbidden: User "system:serviceaccount:argo:default" cannot list resource "pods" in API group "" in the namespace "argo"');
  });
});

describe('TokenReview', () => {
  const review = (token: string, audiences?: string[]) =>
    client(k8s.api.adminToken, AuthenticationV1Api).createTokenReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences } } });

  it('reviews the admin and a user token', async () => {
    const admin = await review(k8s.api.adminToken);
    expect(admin.status?.authenticated).toBe(true);
    expect(admin.status?.user?.username).toBe('admin');
    expect(admin.status?.user?.groups).toEqual(['system:masters', 'system:authenticated']);

    const alice = await review('reader-token');
    expect(alice.status?.user).toMatchObject({ username: 'alice', groups: ['argo-readers', 'system:authenticated'] });
    expect(alice.status?.user?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(alice.status?.audiences).toEqual(['https://kubernetes.default.svc.cluster.local']);
  });

  it('reviews a pod-bound service-account token like a real bound token', async () => {
    const res = await review('pod-token', ['argo-oss']);
    expect(res.status?.authenticated).toBe(true);
    expect(res.status?.audiences).toEqual(['argo-oss']);
    expect(res.status?.user?.username).toBe('system:serviceaccount:argo:default');
    expect(res.status?.user?.groups).toEqual(['system:serviceaccounts', 'system:serviceaccounts:argo', 'system:authenticated']);
    expect(res.status?.user?.extra).toEqual({
      'authentication.kubernetes.io/pod-name': ['wf-abc-123'],
      'authentication.kubernetes.io/pod-uid': ['1f0e2d3c-4b5a-4978-8695-a4b3c2d1e0f9'],
    });
  });

  it('does not authenticate unknown, expired or wrong-audience tokens', async () => {
    const unknown = await review('who-knows');
    expect(unknown.status?.authenticated).toBe(false);
    expect(unknown.status?.error).toMatch(/invalid bearer token/);
    expect((await review('expired-token')).status?.error).toMatch(/expired/);
    expect((await review('pod-token', ['someone-else'])).status).toMatchObject({ authenticated: false, error: expect.stringMatching(/audiences/) });
  });

  it('is allowed to the GC token but forbidden to a token without create tokenreviews', async () => {
    const gc = await client('gc-token', AuthenticationV1Api).createTokenReview({ body: { spec: { token: 'pod-token' } } });
    expect(gc.status?.user?.extra?.['authentication.kubernetes.io/pod-name']).toEqual(['wf-abc-123']);
    const denied = await failure(client('reader-token', AuthenticationV1Api).createTokenReview({ body: { spec: { token: 'pod-token' } } }));
    expect(denied.code).toBe(403);
    expect(denied.status?.message).toContain('cannot create resource "tokenreviews" in API group "authentication.k8s.io" at the cluster scope');
  });
});

describe('access reviews', () => {
  const attrs = (verb: string, namespace: string, resource = 'workflows', group = 'argoproj.io') => ({ resourceAttributes: { verb, namespace, group, resource } });

  it('SelfSubjectAccessReview answers for the caller', async () => {
    const api = client('reader-token', AuthorizationV1Api);
    const yes = await api.createSelfSubjectAccessReview({ body: { spec: attrs('get', 'argo') } });
    expect(yes.status?.allowed).toBe(true);
    // tokens[0] of the file is the helper's admin entry.
    expect(yes.status?.reason).toBe('allowed by tokens.yaml: tokens[1].rules[0] of user "alice"');
    const no = await api.createSelfSubjectAccessReview({ body: { spec: attrs('delete', 'argo') } });
    expect(no.status?.allowed).toBe(false);
    const admin = await client(k8s.api.adminToken, AuthorizationV1Api).createSelfSubjectAccessReview({ body: { spec: attrs('delete', 'anywhere') } });
    expect(admin.status?.allowed).toBe(true);
  });

  it('SubjectAccessReview answers for a given user or group', async () => {
    const api = client('gc-token', AuthorizationV1Api);
    const sar = (spec: object) => api.createSubjectAccessReview({ body: { spec: spec as any } });
    expect((await sar({ user: 'alice', ...attrs('list', 'argo') })).status?.allowed).toBe(true);
    expect((await sar({ user: 'alice', ...attrs('list', 'other') })).status?.allowed).toBe(false);
    expect((await sar({ user: 'system:serviceaccount:argo:default', groups: ['system:serviceaccounts'], ...attrs('get', 'argo', 'pods', '') })).status?.allowed).toBe(true);
    expect((await sar({ user: 'mallory', groups: ['system:masters'], ...attrs('delete', 'argo') })).status?.allowed).toBe(true);
    expect((await sar({ user: 'mallory', ...attrs('get', 'argo') })).status?.allowed).toBe(false);

    const invalid = await failure(sar({ user: 'alice' }));
    expect(invalid.code).toBe(422);
    expect(invalid.status?.reason).toBe('Invalid');
  });

  it('SubjectAccessReview is forbidden to tokens without create subjectaccessreviews', async () => {
    const res = await failure(client('reader-token', AuthorizationV1Api).createSubjectAccessReview({ body: { spec: { user: 'alice', ...attrs('get', 'argo') } } }));
    expect(res.code).toBe(403);
    expect(res.status?.message).toBe(
      'subjectaccessreviews.authorization.k8s.io is forbidden: User "alice" cannot create resource "subjectaccessreviews" in API group "authorization.k8s.io" at the cluster scope',
    );
  });
});

describe('tokens.yaml', () => {
  it('is re-read when it changes: new tokens work at once, removed ones stop', async () => {
    const fresh = await startTestKubeApi({ tokens: [{ token: 'old', user: 'old', admin: true }] });
    try {
      const list = (token: string) => fresh.kubeConfig(token).makeApiClient(CustomObjectsApi).listClusterCustomObject({ ...WF });
      await list('old');
      await fresh.writeTokens([{ token: 'new', user: 'new', admin: true }]);
      await list('new');
      expect((await failure(list('old'))).code).toBe(401);
    } finally {
      await fresh.close();
    }
  });

  it('fails start-up with an error naming the entry and field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kube-api-bad-'));
    try {
      await writeFile(
        join(dir, 'tokens.yaml'),
        ['tokens:', '  - token: a', '    user: alice', '    rules:', '      - resources: [workflows]', '        verbs: [read]', '  - token: a', '    user: bob', '    pod: {name: p}', '  - user: nobody'].join('\n'),
      );
      const err = await startKubeApi({ clusterDir: dir }).then(
        () => expect.fail('start-up should fail'),
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(TokensFileError);
      const message = (err as Error).message;
      expect(message).toContain('tokens[0] (user "alice").rules[0].verbs: unknown "read"');
      expect(message).toContain('tokens[1] (user "bob").token: duplicates the token of tokens[0]');
      expect(message).toContain('tokens[1] (user "bob").pod: is only valid together with `serviceAccount`');
      expect(message).toContain('tokens[1] (user "bob").pod.uid: is required');
      expect(message).toContain('tokens[2] (user "nobody").token: is required');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('while invalid at runtime, answers 500 naming the problem instead of using stale tokens', async () => {
    const fresh = await startTestKubeApi();
    try {
      const tokensFile = join(fresh.clusterDir, 'tokens.yaml');
      const good = await readFile(tokensFile, 'utf8');
      await writeFile(tokensFile, `${good}  - token: x\n    user: y\n    admn: true\n`);
      const err = await failure(fresh.kubeConfig().makeApiClient(CustomObjectsApi).listClusterCustomObject({ ...WF }));
      expect(err.code).toBe(500);
      expect(err.status?.message).toContain('tokens[1] (user "y"): unknown field "admn"');
      await writeFile(tokensFile, good);
      await fresh.kubeConfig().makeApiClient(CustomObjectsApi).listClusterCustomObject({ ...WF });
    } finally {
      await fresh.close();
    }
  });

  it('gets an admin entry when missing, keeping the file, and reuses it on the next start', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kube-api-admin-'));
    try {
      await writeFile(join(dir, 'tokens.yaml'), '# my tokens\ntokens:\n  - token: reader\n    user: alice # the reader\n');
      const first = await startKubeApi({ clusterDir: dir });
      await first.close();
      const text = await readFile(join(dir, 'tokens.yaml'), 'utf8');
      expect(text).toContain('user: alice # the reader');
      expect(text).toContain(`token: ${first.adminToken}`);
      expect(first.adminToken.length).toBeGreaterThanOrEqual(32);

      const second = await startKubeApi({ clusterDir: dir });
      try {
        expect(second.adminToken).toBe(first.adminToken);
        const kc = new KubeConfig();
        kc.loadFromFile(second.kubeconfigPath);
        expect(kc.getContexts().map((c) => c.name)).toEqual(['argo-oss-local', 'argo-oss-local:alice']);
        kc.setCurrentContext('argo-oss-local:alice');
        expect((await failure(kc.makeApiClient(CustomObjectsApi).listClusterCustomObject({ ...WF }))).code).toBe(403);
      } finally {
        await second.close();
      }

      const explicit = await startKubeApi({ clusterDir: dir, adminToken: 'chosen-admin' });
      await explicit.close();
      expect(explicit.adminToken).toBe('chosen-admin');
      await expect(startKubeApi({ clusterDir: dir, adminToken: 'reader' })).rejects.toThrow(/not `admin: true`/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
