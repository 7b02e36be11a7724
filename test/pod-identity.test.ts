// Pod identity on the two-tenant cluster (test/helpers/tenants.ts) through the real
// @kubernetes/client-node: what TokenReview says of each token, and the ownerReferences chains
// (pod → Workflow, GC pod → WorkflowArtifactGCTask → Workflow) the coordinator verifies.
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../shared/k8s';
import { startTenantCluster, TEAM_A, TEAM_B, type Tenants } from './helpers/tenants';
import type { TestKubeApi } from './helpers/kube-api';

let k8s: TestKubeApi;
let t: Tenants;
let kube: KubeClient;

beforeAll(async () => {
  ({ k8s, tenants: t } = await startTenantCluster());
  kube = new KubeClient(k8s.kubeConfig());
});
afterAll(() => k8s?.close());

describe('the two-tenant cluster', () => {
  it('has a workflow `same` in each namespace with distinct uids, and pods owned by them', async () => {
    expect(t.a.workflow.name).toBe(t.b.workflow.name);
    expect(t.a.workflow.uid).not.toBe(t.b.workflow.uid);
    const objects = k8s.kubeConfig().makeApiClient(CustomObjectsApi);
    const core = k8s.kubeConfig().makeApiClient(CoreV1Api);
    for (const tenant of [t.a, t.b]) {
      const wf: any = await objects.getNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', plural: 'workflows', namespace: tenant.namespace, name: 'same' });
      expect(wf.metadata.uid).toBe(tenant.workflow.uid);
      const pod = await core.readNamespacedPod({ namespace: tenant.namespace, name: tenant.pod.name });
      expect(pod.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'Workflow', name: 'same', uid: tenant.workflow.uid, controller: true })]);
      const gcPod = await core.readNamespacedPod({ namespace: tenant.namespace, name: tenant.gcPod.name });
      const taskRef = gcPod.metadata!.ownerReferences![0];
      expect(taskRef).toMatchObject({ kind: 'WorkflowArtifactGCTask', controller: true });
      const task: any = await objects.getNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', plural: 'workflowartifactgctasks', namespace: tenant.namespace, name: taskRef.name });
      expect(task.metadata.uid).toBe(taskRef.uid);
      expect(task.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Workflow', name: 'same', uid: tenant.workflow.uid, controller: true })]);
    }
  });

  it('reviews every pod-bound token as its pod, and user tokens as per-namespace users', async () => {
    const a = await kube.reviewToken(t.a.podToken);
    expect(a).toMatchObject({ authenticated: true, pod: { name: t.a.pod.name, uid: t.a.pod.uid }, serviceAccount: { namespace: TEAM_A, name: 'default' } });
    expect((await kube.reviewToken(t.b.gcPodToken)).pod).toEqual({ name: t.b.gcPod.name, uid: t.b.gcPod.uid });
    for (const token of Object.values(t.attackers)) expect((await kube.reviewToken(token)).serviceAccount?.namespace).toBe(TEAM_A);
    expect((await kube.reviewToken(t.b.userToken)).username).toBe(`user-${TEAM_B}`);
  });
});
