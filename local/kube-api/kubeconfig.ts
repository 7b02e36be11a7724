// The kubeconfig for the local API: `kc.loadFromFile(path)` gives an admin client; every other token
// gets its own context (`kubectl --context argo-oss-local:alice`). The server is plain HTTP on
// loopback, and @kubernetes/client-node 1.x refuses http:// servers unless the cluster says
// insecure-skip-tls-verify, so it does.
import { stringify } from 'yaml';
import { writeFileAtomic } from './manifest-file';
import type { TokenEntry } from './tokens';

export const CLUSTER_NAME = 'argo-oss-local';

function slug(entry: TokenEntry): string {
  const sa = /^system:serviceaccount:([^:]+):(.+)$/.exec(entry.user.username);
  return sa ? `sa-${sa[1]}-${sa[2]}` : entry.user.username;
}

/** Kubeconfig YAML: current context = the admin token; one more context per other token. */
export function buildKubeconfig(server: string, adminToken: string, tokens: readonly TokenEntry[]): string {
  const contexts: Array<{ name: string; token: string; namespace?: string }> = [{ name: CLUSTER_NAME, token: adminToken }];
  const used = new Set([CLUSTER_NAME]);
  for (const entry of tokens) {
    if (entry.token === adminToken) continue;
    let name = `${CLUSTER_NAME}:${slug(entry)}`;
    for (let n = 2; used.has(name); n++) name = `${CLUSTER_NAME}:${slug(entry)}-${n}`;
    used.add(name);
    const sa = /^system:serviceaccount:([^:]+):/.exec(entry.user.username);
    contexts.push(sa ? { name, token: entry.token, namespace: sa[1] } : { name, token: entry.token });
  }
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: CLUSTER_NAME, cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: contexts.map((c) => ({ name: c.name, user: { token: c.token } })),
    contexts: contexts.map((c) => ({ name: c.name, context: { cluster: CLUSTER_NAME, user: c.name, ...(c.namespace ? { namespace: c.namespace } : {}) } })),
    'current-context': CLUSTER_NAME,
    preferences: {},
  });
}

export async function writeKubeconfig(path: string, server: string, adminToken: string, tokens: readonly TokenEntry[]): Promise<void> {
  // It holds bearer tokens: owner-only.
  await writeFileAtomic(path, buildKubeconfig(server, adminToken, tokens), 0o600);
}
