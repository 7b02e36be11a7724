// A shared cluster with two tenants, for the isolation suites (upload, download, GC): namespaces
// team-a and team-b each run a Workflow named `same` (distinct uids), with pods owned by it as Argo's
// controller owns them, per-namespace user tokens and pod-bound tokens — plus the attackers of
// issue 10: pods in team-a that claim team-b's workflows by label, by ownerReference or by forged uid.
//
//   const k8s = await startTestKubeApi();            // or the `kube` of startTestCoordinator / a fixture
//   const t = await seedTenants(k8s);
//   t.a.podToken / t.b.podToken      pod-bound tokens of a running pod of team-a/same, team-b/same
//   t.a.userToken / t.b.userToken    users who may get/list workflows (and pods) in their namespace only
//   t.a.gcPodToken                   an artifact-GC pod of team-a/same (owned by a WorkflowArtifactGCTask)
//   t.attackers.spoof                team-a pod with no owner, labelled with team-b's workflow `only-b`
//   t.attackers.foreignOwner         team-a pod whose controller ownerReference is team-b's `only-b` (name + uid)
//   t.attackers.forgedUid            team-a pod whose owner is named `same` but carries team-b/same's uid
//   t.attackers.forgedGcTask         team-a GC pod whose task claims team-b/same (name `same`, b's uid)
//   t.attackers.finished / deleting  team-a/same's pods that Succeeded / are being deleted
//   t.onlyB                          team-b's second workflow `only-b`
//
// Workflows are written with only metadata (and phase Running); a suite may rewrite them with a
// status (same namespace, name and uid: use workflowManifest(t.a.workflow, { status })). Tokens are
// added with k8s.addTokens, so a suite's own addTokens entries are kept.
import type { WorkflowIdentity } from '../../shared/tenancy';
import {
  artifactGcPodManifest,
  artifactGcTaskManifest,
  podManifest,
  workflowManifest,
  workflowPodManifest,
  controllerRef,
} from '../../local/kube-api/argo-objects';
import type { TokenSpec } from '../../local/kube-api';
import { startTestKubeApi, type TestKubeApi } from './kube-api';

export const TEAM_A = 'team-a';
export const TEAM_B = 'team-b';
/** The workflow name both tenants use. */
export const SAME = 'same';

export interface TenantPod {
  name: string;
  uid: string;
  token: string;
}

export interface Tenant {
  namespace: string;
  /** The tenant's workflow `same`. */
  workflow: WorkflowIdentity;
  /** A running pod of `same`, controller-owned by it. */
  pod: TenantPod;
  podToken: string;
  /** get/list workflows and pods in this namespace only. */
  userToken: string;
  /** An artifact-GC pod of `same` (owned by a WorkflowArtifactGCTask owned by `same`). */
  gcPod: TenantPod;
  gcPodToken: string;
}

export interface Tenants {
  a: Tenant;
  b: Tenant;
  /** team-b's second workflow, whose name exists only in team-b. */
  onlyB: WorkflowIdentity;
  attackers: {
    spoof: string;
    foreignOwner: string;
    forgedUid: string;
    forgedGcTask: string;
    finished: string;
    deleting: string;
  };
  /** Every tokens.yaml entry added. */
  tokens: TokenSpec[];
}

const uid = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

/** Bound to a pod: TokenReview reports its name and uid (service account `default` of the namespace). */
function podBoundToken(namespace: string, pod: { name: string; uid: string }, token: string): TokenSpec {
  return { token, serviceAccount: { namespace, name: 'default' }, pod: { name: pod.name, uid: pod.uid } };
}

function userToken(namespace: string, token: string): TokenSpec {
  return {
    token,
    user: `user-${namespace}`,
    rules: [
      { namespaces: [namespace], apiGroups: ['argoproj.io'], resources: ['workflows'], verbs: ['get', 'list'] },
      { namespaces: [namespace], apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
    ],
  };
}

/** Writes the two tenants and the attackers into `k8s`; returns their identities and tokens. */
export async function seedTenants(k8s: TestKubeApi): Promise<Tenants> {
  const tokens: TokenSpec[] = [];
  const tenant = async (namespace: string, n: number): Promise<Tenant> => {
    const workflow = { namespace, name: SAME, uid: uid(n) };
    const pod = { name: `${SAME}-main-${n}`, uid: uid(n + 1), token: `${namespace}-pod-token` };
    const task = { name: `${SAME}-artgc-wfcomp-${n}-0`, uid: uid(n + 2) };
    const gcPod = { name: `${SAME}-artgc-wfcomp-${n}`, uid: uid(n + 3), token: `${namespace}-gc-pod-token` };
    await k8s.writeWorkflow(workflowManifest(workflow));
    await k8s.writePod(workflowPodManifest(workflow, pod));
    await k8s.writeGcTask(artifactGcTaskManifest(workflow, task));
    await k8s.writePod(artifactGcPodManifest(workflow, task, gcPod));
    const userTok = `${namespace}-user-token`;
    tokens.push(podBoundToken(namespace, pod, pod.token), podBoundToken(namespace, gcPod, gcPod.token), userToken(namespace, userTok));
    return { namespace, workflow, pod, podToken: pod.token, userToken: userTok, gcPod, gcPodToken: gcPod.token };
  };
  const a = await tenant(TEAM_A, 0x100);
  const b = await tenant(TEAM_B, 0x200);
  const onlyB = { namespace: TEAM_B, name: 'only-b', uid: uid(0x210) };
  await k8s.writeWorkflow(workflowManifest(onlyB));

  const attacker = async (name: string, n: number, manifest: (p: { name: string; uid: string }) => object): Promise<string> => {
    const pod = { name, uid: uid(0x300 + n) };
    await k8s.writePod(manifest(pod));
    const token = `attacker-${name}-token`;
    tokens.push(podBoundToken(TEAM_A, pod, token));
    return token;
  };
  const forgedTask = { name: 'forged-artgc-0', uid: uid(0x3f0) };
  await k8s.writeGcTask(artifactGcTaskManifest({ namespace: TEAM_A, name: SAME, uid: b.workflow.uid }, forgedTask));
  const attackers = {
    spoof: await attacker('spoof', 1, (p) => podManifest({ namespace: TEAM_A, ...p, workflowLabel: onlyB.name })),
    foreignOwner: await attacker('foreign-owner', 2, (p) =>
      podManifest({ namespace: TEAM_A, ...p, workflowLabel: onlyB.name, ownerReferences: [controllerRef('Workflow', onlyB)] }),
    ),
    forgedUid: await attacker('forged-uid', 3, (p) =>
      podManifest({ namespace: TEAM_A, ...p, workflowLabel: SAME, ownerReferences: [controllerRef('Workflow', { name: SAME, uid: b.workflow.uid })] }),
    ),
    forgedGcTask: await attacker('forged-gc', 4, (p) => artifactGcPodManifest({ namespace: TEAM_A, name: SAME, uid: b.workflow.uid }, forgedTask, p)),
    finished: await attacker('finished', 5, (p) => workflowPodManifest(a.workflow, { ...p, phase: 'Succeeded' })),
    deleting: await attacker('deleting', 6, (p) => workflowPodManifest(a.workflow, { ...p, deletionTimestamp: '2030-01-01T00:00:00Z' })),
  };
  await k8s.addTokens(tokens);
  return { a, b, onlyB, attackers, tokens };
}

/** A local Kubernetes API holding the two tenants (close it with `k8s.close()`). */
export async function startTenantCluster(): Promise<{ k8s: TestKubeApi; tenants: Tenants }> {
  const k8s = await startTestKubeApi();
  try {
    return { k8s, tenants: await seedTenants(k8s) };
  } catch (err) {
    await k8s.close();
    throw err;
  }
}
