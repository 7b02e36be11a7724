// Pod identity (shared/tenancy/pod-owner.ts) on the two-tenant cluster (test/helpers/tenants.ts)
// through the real @kubernetes/client-node: what TokenReview says of each token, the ownerReferences
// chains (pod → Workflow, GC pod → WorkflowArtifactGCTask → Workflow), and who each pod proves to be.
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../shared/k8s';
import { controllerRefOf, PodOwnerError, resolvePodOwner } from '../shared/tenancy';
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

describe('resolvePodOwner', () => {
  const ownerOf = async (name: string, namespace = TEAM_A) => {
    const pod = await kube.getPod(namespace, name);
    expect(pod, name).toBeDefined();
    return resolvePodOwner(kube, namespace, pod!);
  };
  const refusal = async (name: string) => {
    const err = await ownerOf(name).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, name).toBeInstanceOf(PodOwnerError);
    return (err as Error).message;
  };

  it("proves a workflow pod's and a GC pod's workflow by name and uid, in the pod's namespace", async () => {
    expect(await ownerOf(t.a.pod.name)).toEqual({ workflow: t.a.workflow, role: 'workflow' });
    expect(await ownerOf(t.b.pod.name, TEAM_B)).toEqual({ workflow: t.b.workflow, role: 'workflow' });
    expect(await ownerOf(t.a.gcPod.name)).toEqual({ workflow: t.a.workflow, role: 'artifact-gc' });
    expect(await ownerOf(t.b.gcPod.name, TEAM_B)).toEqual({ workflow: t.b.workflow, role: 'artifact-gc' });
  });

  it('refuses every pod that only claims a workflow', async () => {
    expect(await refusal('spoof')).toMatch(/no controller ownerReference/);
    expect(await refusal('foreign-owner')).toMatch(/Workflow team-a\/only-b .* does not exist in team-a/);
    expect(await refusal('forged-uid')).toMatch(/Workflow team-a\/same \(uid 00000000-0000-4000-8000-000000000200\), which does not exist/);
    expect(await refusal('forged-gc')).toMatch(/WorkflowArtifactGCTask team-a\/forged-artgc-0 is owned by Workflow team-a\/same .* does not exist/);
    expect(await refusal('finished')).toMatch(/has finished \(Succeeded\)/);
    expect(await refusal('deleting')).toMatch(/is being deleted/);
  });

  it('takes only a single controller reference of an Argo kind', () => {
    const wf = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', name: 'w', uid: 'u1', controller: true };
    expect(controllerRefOf({ ownerReferences: [{ ...wf, controller: false }] })).toBeUndefined();
    expect(controllerRefOf({ ownerReferences: [wf, { ...wf, name: 'w2' }] })).toBeUndefined();
    expect(controllerRefOf({ ownerReferences: [{ ...wf, controller: false, name: 'x' }, wf] })).toEqual(wf);
  });

  it('refuses a pod controlled by anything else, or by an Argo kind of another API version', async () => {
    const lookup = { getWorkflowMeta: async () => ({ uid: 'u1' }), getArtifactGCTaskMeta: async () => undefined };
    const pod = (ref: object) => ({ metadata: { name: 'p', ownerReferences: [{ controller: true, ...ref }] }, status: { phase: 'Running' } });
    await expect(resolvePodOwner(lookup, 'ns', pod({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'w', uid: 'u1' }))).rejects.toThrow(/not by an Argo Workflow/);
    await expect(resolvePodOwner(lookup, 'ns', pod({ apiVersion: 'argoproj.io/v1beta9', kind: 'Workflow', name: 'w', uid: 'u1' }))).rejects.toThrow(PodOwnerError);
    await expect(resolvePodOwner(lookup, 'ns', pod({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', name: 'W/x', uid: 'u1' }))).rejects.toThrow(PodOwnerError);
    expect(await resolvePodOwner(lookup, 'ns', pod({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', name: 'w', uid: 'u1' }))).toEqual({ workflow: { namespace: 'ns', name: 'w', uid: 'u1' }, role: 'workflow' });
  });
});
