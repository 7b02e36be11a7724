// Minimal discovery (/version, /api, /apis and per-group resource lists) so kubectl and client
// libraries that look before they leap see the resources this server has.
import type { ApiReply, Router } from './router';
import { PODS, WORKFLOW_ARTIFACT_GC_TASKS, WORKFLOWS, type ResourceType } from './types';

interface Served {
  group: string;
  version: string;
  resources: Array<{ name: string; singularName: string; namespaced: boolean; kind: string; verbs: string[]; shortNames?: string[] }>;
}

function fromType(t: ResourceType): Served['resources'][number] {
  return { name: t.resource, singularName: t.singular, namespaced: true, kind: t.kind, verbs: t.verbs, shortNames: t.shortNames };
}

const review = (name: string, kind: string) => ({ name, singularName: '', namespaced: false, kind, verbs: ['create'] });

const SERVED: Served[] = [
  { group: '', version: 'v1', resources: [fromType(PODS)] },
  { group: WORKFLOWS.group, version: WORKFLOWS.version, resources: [fromType(WORKFLOWS), fromType(WORKFLOW_ARTIFACT_GC_TASKS)] },
  { group: 'authentication.k8s.io', version: 'v1', resources: [review('tokenreviews', 'TokenReview'), review('selfsubjectreviews', 'SelfSubjectReview')] },
  {
    group: 'authorization.k8s.io',
    version: 'v1',
    resources: [review('selfsubjectaccessreviews', 'SelfSubjectAccessReview'), review('subjectaccessreviews', 'SubjectAccessReview')],
  },
];

const ok = (body: unknown): Promise<ApiReply> => Promise.resolve({ code: 200, body });

function groupOf(s: Served) {
  const gv = { groupVersion: `${s.group}/${s.version}`, version: s.version };
  return { name: s.group, versions: [gv], preferredVersion: gv };
}

export function registerDiscovery(router: Router, serverAddress: () => string): void {
  router.on('GET', '/version', () =>
    ok({
      major: '1',
      minor: '31',
      gitVersion: 'v1.31.0+argo-oss-local',
      gitCommit: '',
      gitTreeState: 'clean',
      buildDate: '1970-01-01T00:00:00Z',
      goVersion: 'none (argo-oss local kube-api, Node.js)',
      compiler: 'none',
      platform: `${process.platform}/${process.arch}`,
    }),
  );
  router.on('GET', '/api', () =>
    ok({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: serverAddress() }] }),
  );
  router.on('GET', '/apis', () => ok({ kind: 'APIGroupList', apiVersion: 'v1', groups: SERVED.filter((s) => s.group).map(groupOf) }));
  for (const s of SERVED) {
    const path = s.group ? `/apis/${s.group}/${s.version}` : `/api/${s.version}`;
    router.on('GET', path, () => ok({ kind: 'APIResourceList', apiVersion: 'v1', groupVersion: s.group ? `${s.group}/${s.version}` : s.version, resources: s.resources }));
    if (s.group) router.on('GET', `/apis/${s.group}`, () => ok({ kind: 'APIGroup', apiVersion: 'v1', ...groupOf(s) }));
  }
}
