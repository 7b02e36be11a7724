// shared/k8s against the local Kubernetes API with the real @kubernetes/client-node (no mocks).
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../shared/config';
import { KubeClient, KubeError, kubeConfigFromConfig, POD_NAME_EXTRA } from '../shared/k8s';
import { startTestKubeApi, type TestKubeApi } from './helpers/kube-api';

const POD_UID = '5b1d2c3e-0000-4000-8000-000000000001';

describe('shared/k8s', () => {
  let k8s: TestKubeApi;
  let admin: KubeClient;

  beforeAll(async () => {
    k8s = await startTestKubeApi({
      tokens: [
        { token: 'pod-token', serviceAccount: { namespace: 'argo', name: 'runner' }, pod: { name: 'wf-a-1', uid: POD_UID } },
        { token: 'aud-token', serviceAccount: { namespace: 'argo', name: 'runner' }, pod: { name: 'wf-a-1', uid: POD_UID }, audiences: ['argo-oss'] },
        { token: 'alice-token', user: 'alice', groups: ['devs'] },
      ],
    });
    await k8s.writePod({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'wf-a-1', namespace: 'argo', uid: POD_UID, labels: { 'workflows.argoproj.io/workflow': 'wf-a' } },
      spec: { serviceAccountName: 'runner' },
    });
    admin = new KubeClient(kubeConfigFromConfig({ kubeconfigPath: k8s.api.kubeconfigPath }).kubeConfig);
  });
  afterAll(() => k8s?.close());

  describe('kubeConfigFromConfig', () => {
    it('prefers server+token, then a base64 kubeconfig, then KUBECONFIG', async () => {
      const text = await readFile(k8s.api.kubeconfigPath, 'utf8');
      const env = {
        KUBECONFIG: '/nonexistent/kubeconfig',
        ARGO_OSS_KUBECONFIG_BASE64: Buffer.from(text).toString('base64'),
      };
      const fromB64 = kubeConfigFromConfig(loadConfig(env));
      expect(fromB64.source).toBe('kubeconfig-base64');
      expect(fromB64.kubeConfig.getCurrentCluster()?.server).toBe(k8s.api.url);
      const fromServer = kubeConfigFromConfig(loadConfig({ ...env, ARGO_OSS_KUBE_SERVER: k8s.api.url, ARGO_OSS_KUBE_TOKEN: k8s.api.adminToken }));
      expect(fromServer.source).toBe('server-token');
      const review = await new KubeClient(fromServer.kubeConfig).reviewToken('pod-token');
      expect(review.authenticated).toBe(true);
      expect(kubeConfigFromConfig(loadConfig({ KUBECONFIG: k8s.api.kubeconfigPath })).source).toBe('kubeconfig-file');
    });

    it('reports a missing or half configuration by variable', () => {
      expect(() => kubeConfigFromConfig(loadConfig({}))).toThrow(ConfigError);
      expect(() => loadConfig({ ARGO_OSS_KUBE_SERVER: 'https://k8s:6443' })).toThrow(/ARGO_OSS_KUBE_TOKEN/);
      expect(() => loadConfig({ ARGO_OSS_KUBE_TOKEN: 't' })).toThrow(/ARGO_OSS_KUBE_SERVER/);
      expect(() => loadConfig({ ARGO_OSS_KUBECONFIG_BASE64: Buffer.from('hello').toString('base64') })).toThrow(/ARGO_OSS_KUBECONFIG_BASE64/);
    });
  });

  describe('reviewToken', () => {
    it('identifies a pod-bound service-account token: user, groups, pod name and uid', async () => {
      const r = await admin.reviewToken('pod-token');
      expect(r).toMatchObject({
        authenticated: true,
        username: 'system:serviceaccount:argo:runner',
        serviceAccount: { namespace: 'argo', name: 'runner' },
        pod: { name: 'wf-a-1', uid: POD_UID },
      });
      expect(r.groups).toContain('system:serviceaccounts:argo');
      expect(r.extra[POD_NAME_EXTRA]).toEqual(['wf-a-1']);
    });

    it('reports admins with their groups and plain users without a pod', async () => {
      expect((await admin.reviewToken(k8s.api.adminToken)).groups).toContain('system:masters');
      const alice = await admin.reviewToken('alice-token');
      expect(alice).toMatchObject({ authenticated: true, username: 'alice' });
      expect(alice.pod).toBeUndefined();
      expect(alice.serviceAccount).toBeUndefined();
    });

    it('rejects unknown tokens and tokens for another audience', async () => {
      const r = await admin.reviewToken('nope');
      expect(r.authenticated).toBe(false);
      expect(r.error).toBeTruthy();
      expect((await admin.reviewToken('aud-token')).authenticated).toBe(false);
      expect((await admin.reviewToken('aud-token', ['argo-oss'])).authenticated).toBe(true);
      expect((await admin.reviewToken('pod-token', ['argo-oss'])).authenticated).toBe(true); // no audience limit on it
    });

    it('throws KubeError with the status when the reviewer may not create tokenreviews', async () => {
      const alice = new KubeClient(k8s.kubeConfig('alice-token'));
      const err = await alice.reviewToken('pod-token').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KubeError);
      expect((err as KubeError).status).toBe(403);
    });
  });

  describe('getPod', () => {
    it('reads a pod and answers undefined for a missing one', async () => {
      const pod = await admin.getPod('argo', 'wf-a-1');
      expect(pod?.metadata?.uid).toBe(POD_UID);
      expect(pod?.metadata?.labels?.['workflows.argoproj.io/workflow']).toBe('wf-a');
      expect(await admin.getPod('argo', 'missing')).toBeUndefined();
      expect(await admin.getPod('other', 'wf-a-1')).toBeUndefined();
    });
  });
});
